import { removeHtmlComments, removeLoomMarkers } from './html-comments.ts';
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
  // Bitbucket's hidden markers are link reference definitions; a forged one must go like a forged HTML comment.
  const lines = removeLoomMarkers(removeHtmlComments(removeControls(body))).split('\n');
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
  let plain = '';
  // Two backtick runs side by side would merge into one longer delimiter and change which spans close.
  const append = (piece: string) => {
    out += out.endsWith('`') && piece.startsWith('`') ? `\u200b${piece}` : piece;
  };
  const flush = () => {
    append(neutraliseText(plain));
    plain = '';
  };
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length && /[!-/:-@[-`{-~]/.test(s[i + 1]!)) {
      // An escaped `<` or backtick is already literal for the renderer; keep the pair together.
      flush();
      // `\@name` renders as `@name`, which still pings.
      append(s[i + 1] === '@' ? '\\@\u200d' : ch + s[i + 1]);
      i += 2;
    } else if (ch === '`') {
      flush();
      const run = backtickRunAt(s, i);
      const close = findClosingRun(s, i + run, run);
      const content = close === -1 ? '' : s.slice(i + run, close);
      if (close !== -1 && !content.includes('\n') && !content.includes('|')) {
        append(s.slice(i, close + run));
        i = close + run;
      } else {
        append('\\`'.repeat(run));
        i += run;
      }
    } else if (ch === '<') {
      flush();
      const link = AUTOLINK.exec(s.slice(i, i + 2048))?.[0];
      // An autolink becomes its URL as code: visible, not clickable.
      append(link ? `\`${link.slice(1, -1).replaceAll('`', '')}\`` : '&lt;');
      i += link?.length ?? 1;
    } else {
      plain += ch;
      i += 1;
    }
  }
  flush();
  return out;
}

/**
 * Model text must not ping people, load images or offer links to hosts nobody chose: @mentions get a
 * zero-width joiner, images become their alt text, and links and bare URLs are shown as code, not made clickable.
 */
export function neutraliseText(text: string): string {
  return text
    .replace(/!\[([^\]\n]*)\]\([^)\n]*\)/g, (_m, alt: string) => `(image: ${alt || 'no description'})`)
    .replace(/\[([^\]\n]*)\]\(([^)\s]*)[^)\n]*\)/g, (_m, label: string, url: string) => `${label} (\`${url.replaceAll('`', '')}\`)`)
    .replace(/^( {0,3})\[([^\]\n]+)\]:/gm, '$1\\[$2]:')
    .replace(/(^|[^`\w])((?:https?|ftp):\/\/[^\s<>()`]+|www\.[^\s<>()`]+)/g, '$1`$2`')
    .replace(/(^|[^A-Za-z0-9`])@(?=[A-Za-z0-9])/g, '$1@\u200d');
}

/**
 * A finding title is one line of model text shown as plain inline markdown: mentions must not ping and URLs
 * must not autolink. A zero-width joiner after `@`, in `://` and after `www` keeps the text readable.
 */
export function defuseTitle(title: string): string {
  return title
    .replace(/(^|[^A-Za-z0-9`])@(?=[A-Za-z0-9])/g, '$1@\u200d')
    .replace(/:\/\//g, ':\u200d//')
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}\u200d.`);
}
