/**
 * Everything in a finding is model output, so it is untrusted: it must not open HTML tags, hide text in HTML
 * comments (adapters find their own comments by hidden `<!-- loom:... -->` markers, so a forged one would make
 * loom skip or overwrite things), or break the structure around it (tables, fences, headings).
 */
import { removeHtmlComments, removeLoomMarkers } from './html-comments.ts';

/** C0/C1 controls and bidi overrides (which can make displayed text differ from what it says); keeps \n and \t. */
export function removeControls(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** Untrusted one-line text: comments and controls removed, whitespace (line breaks included) collapsed. */
function oneLine(text: string): string {
  return removeHtmlComments(removeControls(text)).replace(/\s+/g, ' ').trim();
}

const BACKSLASH_ESCAPED = new Set(['\\', '`', '*', '_', '[', ']', '~', '#', '|']);
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Plain text (a title, a reason, a pipeline name) as inline markdown: every character markdown would interpret is
 * escaped, except that a matched backtick code span on the line is kept, since titles often quote code. `<` and
 * `>` outside code become entities, so no tag can open; inside a code span they are literal text in CommonMark.
 * `inTable`: the text sits in a GFM table cell, where a `|` even inside code must be escaped.
 */
export function inlineText(text: string, opts: { inTable?: boolean } = {}): string {
  const s = oneLine(text);
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === '`') {
      const run = backtickRunAt(s, i);
      const close = findClosingRun(s, i + run, run);
      if (close !== -1) {
        out += s.slice(i, i + run) + codeContent(s.slice(i + run, close), opts.inTable) + s.slice(close, close + run);
        i = close + run;
      } else {
        out += '\\`'.repeat(run);
        i += run;
      }
      continue;
    }
    out += ENTITIES[ch] ?? (BACKSLASH_ESCAPED.has(ch) ? `\\${ch}` : ch);
    i += 1;
  }
  return out;
}

/** Text (a path, a ref) as one code span, whatever backticks it contains. */
export function codeSpan(text: string, opts: { inTable?: boolean } = {}): string {
  const s = oneLine(text);
  if (s === '') return '';
  const fence = '`'.repeat(longestRun(s, '`') + 1);
  // CommonMark strips one space on each side when both are present, so pad only when the content needs it.
  const pad = s.startsWith('`') || s.endsWith('`') || (s.startsWith(' ') && s.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${codeContent(s, opts.inTable)}${pad}${fence}`;
}

/**
 * A fenced code block whose fence is longer than any backtick run inside, so the content cannot close it.
 * `info` is dropped unless it is a plain language word. The code is kept as written but for control and
 * bidirectional-override characters and loom's own hidden markers: a suggested change is committed as it is shown,
 * so an HTML comment in it stays (inside a fence it is shown, not hidden).
 */
export function fencedBlock(content: string, info = ''): string {
  const body = removeLoomMarkers(removeControls(content)).replace(/\n+$/, '');
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  const lang = /^[A-Za-z0-9+#-]{1,20}$/.test(info) ? info : '';
  return `${fence}${lang}\n${body}\n${fence}`;
}

/** In a GFM table a `|` splits cells even inside code spans unless escaped, and a `\` before it would pair up. */
function codeContent(s: string, inTable = false): string {
  return inTable ? s.replace(/\\(?=\|)/g, '\\\\').replace(/\|/g, '\\|') : s;
}

export function backtickRunAt(s: string, i: number): number {
  let j = i;
  while (s[j] === '`') j += 1;
  return j - i;
}

/** Index of the next backtick run of exactly `length` at or after `from`, or -1 (CommonMark code span rule). */
export function findClosingRun(s: string, from: number, length: number): number {
  let i = from;
  while (i < s.length) {
    if (s[i] === '`') {
      const run = backtickRunAt(s, i);
      if (run === length) return i;
      i += run;
    } else {
      i += 1;
    }
  }
  return -1;
}

function longestRun(s: string, ch: string): number {
  let longest = 0;
  let current = 0;
  for (const c of s) {
    current = c === ch ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}
