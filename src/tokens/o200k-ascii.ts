/**
 * o200k's pre-split (gpt-tokenizer's O200K_TOKEN_SPLIT_REGEX) worked out by hand for ASCII text, which is most of
 * what a diff of code holds. The regular expression, with its Unicode classes and a match object per piece, was
 * most of the counting thread's time; this walks the text once and hands each piece to `countPiece` as a range.
 * Text with any other character is walked by code point (o200k-unicode.ts). The regular expression stays the
 * reference: test/tokens/o200k-ascii.test.ts compares the two on text built to hit every branch.
 *
 * The alternatives, tried in this order at each position (the first that matches wins, as in the regex):
 *   1. an optional prefix (not a letter, digit or line break), uppercase letters, then lowercase ones;
 *   2. the same with uppercase letters and optional lowercase ones; both may end in a contraction ('s, 'll, ...);
 *   3. one to three digits;
 *   4. an optional space, punctuation, then any line breaks and slashes;
 *   5. whitespace up to and including its last line break;
 *   6. whitespace not followed by a non-space (a run before a word leaves its last space to the word);
 *   7. whitespace.
 */

const UPPER = 1;
const LOWER = 2;
const DIGIT = 3;
/** \r and \n. */
const BREAK = 4;
/** The rest of \s in ASCII: space, tab, vertical tab, form feed. */
const SPACE = 5;
/** Neither a letter, a digit nor whitespace (control characters included). */
const PUNCT = 6;

/** Class of each byte; bytes above 0x7f (never in ASCII text: the END sentinel) are of none, which ends every run. */
const CLASS = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  CLASS[c] =
    c >= 65 && c <= 90 ? UPPER : c >= 97 && c <= 122 ? LOWER : c >= 48 && c <= 57 ? DIGIT : c === 10 || c === 13 ? BREAK : c === 32 || (c >= 9 && c <= 12) ? SPACE : PUNCT;
}
/** Written twice after the text's bytes (a `'` ending the text looks two ahead), so no scan needs a bounds check. */
const END = 0xff;

/** Tokens of one piece, `bytes[start, end)`; `text` is what the bytes encode (ASCII: byte i is character i). */
export type AsciiPieceCounter = (bytes: Uint8Array, start: number, end: number, text: string) => number;

const ENCODER = new TextEncoder();
/** Kept between calls and grown as needed: the text's bytes, then the END sentinels. */
let scratch = new Uint8Array(4 * 1024);

/** What countAscii returns for text with other than ASCII characters. */
export const NOT_ASCII_TEXT = -1;

/**
 * Tokens of `text` when it is ASCII (the sum of `countPiece` over its pieces), else NOT_ASCII_TEXT. The text is
 * scanned as bytes (one copy into a buffer kept between calls): reading a typed array, and hashing pieces from it,
 * took about 60% of the time that reading the string with charCodeAt did. The copy also tells whether the text is
 * ASCII (a byte per character), so no pass with a regular expression comes first.
 */
export function countAscii(text: string, countPiece: AsciiPieceCounter): number {
  const n = text.length;
  if (scratch.length < n + 2) scratch = new Uint8Array(Math.max(n + 2, scratch.length * 2));
  const b = scratch;
  const copied = ENCODER.encodeInto(text, b);
  if (copied.read !== n || copied.written !== n) return NOT_ASCII_TEXT;
  b[n] = END;
  b[n + 1] = END;
  let tokens = 0;
  let i = 0;
  while (i < n) {
    const kind = CLASS[b[i]!]!;
    const next = CLASS[b[i + 1]!]!;
    let end: number;
    if (kind === UPPER || kind === LOWER || ((kind === SPACE || kind === PUNCT) && (next === UPPER || next === LOWER))) {
      // 1 and 2: after the prefix, if any, the letters are uppercase then lowercase ones; either run may be empty
      // but not both, and which alternative matched makes no difference to where the piece ends.
      end = kind === UPPER || kind === LOWER ? i : i + 1;
      while (CLASS[b[end]!] === UPPER) end++;
      while (CLASS[b[end]!] === LOWER) end++;
      if (b[end] === 39) end += contractionLength(b[end + 1]!, b[end + 2]!);
    } else if (kind === DIGIT) {
      end = i + 1;
      while (end < i + 3 && CLASS[b[end]!] === DIGIT) end++;
    } else if (kind === PUNCT || (b[i] === 32 && next === PUNCT)) {
      // 4
      end = kind === PUNCT ? i + 1 : i + 2;
      while (CLASS[b[end]!] === PUNCT) end++;
      for (let c = b[end]; c === 10 || c === 13 || c === 47; c = b[++end]);
    } else {
      // 5, 6, 7: a run of whitespace.
      let run = i;
      let lastBreak = -1;
      for (let k = CLASS[b[run]!]; k === SPACE || k === BREAK; k = CLASS[b[++run]!]) if (k === BREAK) lastBreak = run;
      end = whitespaceEnd(i, run, n, lastBreak);
    }
    tokens += countPiece(b, i, end, text);
    i = end;
  }
  return tokens;
}

/**
 * Where the piece of a whitespace run `[start, run)` ends (alternatives 5-7), in a text of `n` characters:
 * through its last line break if it has one; else the whole run when nothing follows it or it is one character;
 * else all but its last character, which goes with the word after it. Shared with o200k-unicode.ts.
 */
export function whitespaceEnd(start: number, run: number, n: number, lastBreak: number): number {
  return lastBreak >= 0 ? lastBreak + 1 : run === n || run - start === 1 ? run : run - 1;
}

/**
 * How many characters a contraction after a `'` adds to a piece of letters (`'s 'd 'm 't 'll 've 're`, in either
 * case), given the two code points after the `'`: 2, 3, or 0 for none. Shared with o200k-unicode.ts.
 */
export function contractionLength(first: number, second: number): number {
  // `| 0x20` lowercases a letter; no other code point (the END sentinel included) maps onto the letters compared with.
  const a = first | 0x20;
  if (a === 0x73 || a === 0x64 || a === 0x6d || a === 0x74) return 2;
  const c = second | 0x20;
  if ((a === 0x6c && c === 0x6c) || (a === 0x76 && c === 0x65) || (a === 0x72 && c === 0x65)) return 3;
  return 0;
}
