/**
 * Git's C-style path quoting. Even with core.quotePath=false git quotes a path that contains `"`, `\`,
 * or a control character (tab, newline, ...), escaping those as \" \\ \t \n or \ooo octal bytes.
 */

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 0x07, b: 0x08, t: 0x09, n: 0x0a, v: 0x0b, f: 0x0c, r: 0x0d, '"': 0x22, '\\': 0x5c,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

export interface QuotedRead {
  value: string;
  /** Index just past the closing quote. */
  end: number;
}

/** Reads a quoted string starting at `text[start] === '"'`; undefined if it is not closed. */
export function readQuoted(text: string, start = 0): QuotedRead | undefined {
  if (text[start] !== '"') return undefined;
  // Octal escapes are raw bytes of a UTF-8 name, so collect bytes and decode once at the end.
  const bytes: number[] = [];
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') return { value: decoder.decode(Uint8Array.from(bytes)), end: i + 1 };
    if (ch !== '\\') {
      const code = ch.codePointAt(0)!;
      if (code < 0x80) bytes.push(code);
      else {
        const char = String.fromCodePoint(code);
        for (const b of encoder.encode(char)) bytes.push(b);
        i += char.length;
        continue;
      }
      i += 1;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) return undefined;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      bytes.push(simple);
      i += 2;
    } else if (/^[0-7]{3}$/.test(text.slice(i + 1, i + 4))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 4), 8) & 0xff);
      i += 4;
    } else {
      // Unknown escape: keep it literally rather than guess.
      bytes.push(0x5c);
      i += 1;
    }
  }
  return undefined;
}

/** A path as git printed it: unquoted if it was quoted, otherwise unchanged. */
export function unquotePath(text: string): string {
  if (text.startsWith('"')) {
    const read = readQuoted(text);
    if (read) return read.value;
  }
  return text;
}
