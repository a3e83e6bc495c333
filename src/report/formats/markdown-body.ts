import { removeHtmlComments } from './html-comments.ts';
import { backtickRunAt, findClosingRun, removeControls } from './markdown-escape.ts';

interface Fence {
  char: '`' | '~';
  length: number;
  indent: number;
}

/**
 * A finding body is model-written markdown: it keeps its formatting, but must not carry raw HTML (a tag could
 * open `<details>` and swallow the rest of the summary, or show a forged image) nor HTML comments (forged hidden
 * markers). Code is left verbatim, so `Map<string, number>` survives in backticks and fences.
 *
 * The rule is built so that a mistake can only over-escape, never let a tag through: what this function treats
 * as code must be code for any CommonMark renderer. Hence fences only at 0-3 spaces of indent (deeper ones may be
 * lazy paragraph text), a fence ends early (and is closed explicitly) when a line is less indented than its
 * opener (a list item may have ended there), an unclosed fence is closed, and a code span must sit on one line
 * with no `|` in it (a table row would split it). Outside code, every backtick that does not delimit an accepted
 * span is escaped, so the renderer cannot pair backticks differently, and every `<` becomes `&lt;` except in
 * `<scheme:...>` autolinks.
 */
export function sanitizeMarkdownBody(body: string): string {
  const lines = removeHtmlComments(removeControls(body)).split('\n');
  const out: string[] = [];
  let prose: string[] = [];
  let fence: Fence | undefined;
  const flushProse = () => {
    if (prose.length > 0) out.push(neutraliseProse(prose.join('\n')));
    prose = [];
  };

  for (const line of lines) {
    if (fence) {
      if (isClosingFence(line, fence)) {
        out.push(line);
        fence = undefined;
        continue;
      }
      if (line.trim() === '' || leadingSpaces(line) >= fence.indent) {
        out.push(line);
        continue;
      }
      out.push(fenceLine(fence));
      fence = undefined;
    }
    const opened = openingFence(line);
    if (opened) {
      flushProse();
      out.push(line);
      fence = opened;
    } else {
      prose.push(line);
    }
  }
  flushProse();
  if (fence) out.push(fenceLine(fence));
  return out.join('\n').replace(/^\s*\n/, '').trimEnd();
}

function leadingSpaces(line: string): number {
  return /^ */.exec(line)![0].length;
}

function fenceLine(f: Fence): string {
  return ' '.repeat(f.indent) + f.char.repeat(f.length);
}

function openingFence(line: string): Fence | undefined {
  const m = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(line);
  if (!m) return undefined;
  const [, indent = '', marker = '', info = ''] = m;
  // A backtick fence's info string cannot contain a backtick (CommonMark); such a line is inline code, not a fence.
  if (marker[0] === '`' && info.includes('`')) return undefined;
  return { char: marker[0] as Fence['char'], length: marker.length, indent: indent.length };
}

function isClosingFence(line: string, f: Fence): boolean {
  const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
  return m !== null && m[1]![0] === f.char && m[1]!.length >= f.length;
}

const AUTOLINK = /^<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>\u0000-\u001f]*>/;

function neutraliseProse(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length && /[!-/:-@[-`{-~]/.test(s[i + 1]!)) {
      // An escaped `<` or backtick is already literal for the renderer; keep the pair together.
      out += ch + s[i + 1];
      i += 2;
    } else if (ch === '`') {
      const run = backtickRunAt(s, i);
      const close = findClosingRun(s, i + run, run);
      const content = close === -1 ? '' : s.slice(i + run, close);
      if (close !== -1 && !content.includes('\n') && !content.includes('|')) {
        out += s.slice(i, close + run);
        i = close + run;
      } else {
        out += '\\`'.repeat(run);
        i += run;
      }
    } else if (ch === '<') {
      const link = AUTOLINK.exec(s.slice(i, i + 2048))?.[0];
      out += link ?? '&lt;';
      i += link?.length ?? 1;
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}
