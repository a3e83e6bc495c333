import { contractionLength, whitespaceEnd } from './o200k-ascii.ts';

/**
 * o200k's pre-split (gpt-tokenizer's O200K_TOKEN_SPLIT_REGEX) worked out by hand for text with characters beyond
 * ASCII, as o200k-ascii.ts does for ASCII. The regular expression costs ~10 ms to compile on first use, which a
 * diff with a single accented comment pays, and its matches were over a third of the counting thread's time on a
 * diff of non-English text. Here each code point is classed once (by small regular expressions, the answer kept per code
 * point) and the text walked once. test/tokens/o200k-unicode.test.ts compares the pieces with the regex's.
 *
 * The alternatives, in the order the regex tries them at each position (the first that matches wins), with
 * U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] and W = [\p{Ll}\p{Lm}\p{Lo}\p{M}] (they share Lm, Lo and marks) and P, the
 * optional prefix, = [^\r\n\p{L}\p{N}]:
 *   1. P? U* W+ and a contraction ('s, 'll, ...): U* as long as it can be with at least one W after it;
 *   2. P? U+ W* and a contraction;
 *   3. \p{N}{1,3};
 *   4. an optional space, [^\s\p{L}\p{N}]+, then [\r\n/]*;
 *   5. \s*[\r\n]+, 6. \s+(?!\S), 7. \s+.
 * A mark (\p{M}) is not a letter, so it may be a prefix as well as a part of the letters.
 */

const LETTER = 1;
const UPPER_SET = 2;
const LOWER_SET = 4;
const NUMBER = 8;
const SPACE = 16;
const BREAK = 32;
const KNOWN = 128;

const IS_LETTER = /\p{L}/u;
const IS_UPPER_SET = /[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]/u;
const IS_LOWER_SET = /[\p{Ll}\p{Lm}\p{Lo}\p{M}]/u;
const IS_NUMBER = /\p{N}/u;
const IS_SPACE = /\s/u;

/** Classes of the code points below 0x10000, filled in as they are met; others are kept in a map. */
const BASIC = new Uint8Array(0x10000);
const ASTRAL = new Map<number, number>();

function classOf(cp: number): number {
  if (cp < 0x10000) {
    const known = BASIC[cp]!;
    if (known !== 0) return known;
    return (BASIC[cp] = classify(cp));
  }
  let flags = ASTRAL.get(cp);
  if (flags === undefined) ASTRAL.set(cp, (flags = classify(cp)));
  return flags;
}

function classify(cp: number): number {
  // A lone surrogate is a code point of its own to the regex (it has the `u` flag) and in none of these classes.
  const char = String.fromCodePoint(cp);
  let flags = KNOWN;
  if (IS_LETTER.test(char)) flags |= LETTER;
  if (IS_UPPER_SET.test(char)) flags |= UPPER_SET;
  if (IS_LOWER_SET.test(char)) flags |= LOWER_SET;
  if (IS_NUMBER.test(char)) flags |= NUMBER;
  if (IS_SPACE.test(char)) flags |= SPACE;
  if (cp === 10 || cp === 13) flags |= BREAK;
  return flags;
}

/** Tokens of one piece: its UTF-8 bytes `bytes[byteStart, byteEnd)`, which are `text[start, end)`. */
export type UnicodePieceCounter = (bytes: Uint8Array, byteStart: number, byteEnd: number, text: string, start: number, end: number) => number;

const ENCODER = new TextEncoder();
// Per code point of the text (kept between calls and grown as needed): its class, its value, where it starts in
// the text and in its UTF-8 bytes; one slot more for where the text ends.
let flagsOf = new Uint8Array(1024);
let valueOf = new Int32Array(1024);
let unitAt = new Int32Array(1025);
let byteAt = new Int32Array(1025);
let bytes = new Uint8Array(4096);

/** Tokens of `text`: the sum of `countPiece` over its pieces. */
export function countUnicode(text: string, countPiece: UnicodePieceCounter): number {
  const n = walk(text);
  const f = flagsOf;
  const at = (k: number) => (k < n ? f[k]! : 0);
  let tokens = 0;
  let i = 0;
  while (i < n) {
    const here = f[i]!;
    let end = -1;
    // 1 and 2: letters, after a prefix or not.
    const prefix = (here & (LETTER | NUMBER | BREAK)) === 0;
    const inRun = (here & (UPPER_SET | LOWER_SET)) !== 0;
    if (prefix && i + 1 < n) end = firstAlternative(i + 1, n);
    if (end < 0 && inRun) end = firstAlternative(i, n);
    if (end < 0 && prefix && i + 1 < n && (at(i + 1) & UPPER_SET) !== 0) end = runEnd(i + 1, n);
    if (end < 0 && (here & UPPER_SET) !== 0) end = runEnd(i, n);
    if (end >= 0) end = afterContraction(end, n);
    else if ((here & NUMBER) !== 0) {
      // 3
      end = i + 1;
      while (end < i + 3 && (at(end) & NUMBER) !== 0) end++;
    } else if (isPunctuation(here) || (valueOf[i] === 32 && i + 1 < n && isPunctuation(f[i + 1]!))) {
      // 4
      end = isPunctuation(here) ? i + 1 : i + 2;
      while (end < n && isPunctuation(f[end]!)) end++;
      while (end < n && (valueOf[end] === 10 || valueOf[end] === 13 || valueOf[end] === 47)) end++;
    } else {
      // 5, 6, 7: a run of whitespace (every code point left is one).
      let run = i;
      let lastBreak = -1;
      while (run < n && (f[run]! & SPACE) !== 0) {
        if ((f[run]! & BREAK) !== 0) lastBreak = run;
        run++;
      }
      end = whitespaceEnd(i, run, n, lastBreak);
    }
    tokens += countPiece(bytes, byteAt[i]!, byteAt[end]!, text, unitAt[i]!, unitAt[end]!);
    i = end;
  }
  return tokens;
}

/** [^\s\p{L}\p{N}]: alternative 4's run (marks, symbols, punctuation, controls that are not whitespace). */
function isPunctuation(flags: number): boolean {
  return (flags & (SPACE | LETTER | NUMBER)) === 0;
}

/** The end of the run of code points in U or W that starts at `p` (alternative 2's letters, when all are in U). */
function runEnd(p: number, n: number): number {
  let r = p;
  while (r < n && (flagsOf[r]! & (UPPER_SET | LOWER_SET)) !== 0) r++;
  return r;
}

/**
 * Where U* W+ starting at `p` ends, or -1 when it does not match. U* takes all it can; where nothing in W follows,
 * it gives back code points until one in W does.
 */
function firstAlternative(p: number, n: number): number {
  const f = flagsOf;
  const r = runEnd(p, n);
  if (r === p) return -1;
  let q = p;
  while (q < r && (f[q]! & UPPER_SET) !== 0) q++;
  if (q < r) {
    // f[q] is in W and not in U: W+ runs on from there.
    let e = q;
    while (e < r && (f[e]! & LOWER_SET) !== 0) e++;
    return e;
  }
  for (let j = r - 1; j >= p; j--) if ((f[j]! & LOWER_SET) !== 0) return j + 1;
  return -1;
}

/** Where a piece of letters ends with its contraction, if one follows (see contractionLength). */
function afterContraction(end: number, n: number): number {
  if (end >= n || valueOf[end] !== 39) return end;
  return end + contractionLength(end + 1 < n ? valueOf[end + 1]! : 0, end + 2 < n ? valueOf[end + 2]! : 0);
}

/** Fills the per-code-point arrays for `text` and its UTF-8 bytes; returns how many code points it has. */
function walk(text: string): number {
  const units = text.length;
  if (flagsOf.length < units) {
    flagsOf = new Uint8Array(units * 2);
    valueOf = new Int32Array(units * 2);
    unitAt = new Int32Array(units * 2 + 1);
    byteAt = new Int32Array(units * 2 + 1);
  }
  if (bytes.length < units * 3) bytes = new Uint8Array(units * 3);
  ENCODER.encodeInto(text, bytes);
  let n = 0;
  let byte = 0;
  for (let u = 0; u < units; ) {
    let cp = text.charCodeAt(u);
    let width = 1;
    let size: number;
    if (cp < 0x80) size = 1;
    else if (cp < 0x800) size = 2;
    else if (cp >= 0xd800 && cp <= 0xdbff && u + 1 < units) {
      const low = text.charCodeAt(u + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        width = 2;
        size = 4;
      } else size = 3;
    } else size = 3; // the rest of the BMP, and a lone surrogate (written as U+FFFD)
    flagsOf[n] = classOf(cp);
    valueOf[n] = cp;
    unitAt[n] = u;
    byteAt[n] = byte;
    n++;
    u += width;
    byte += size;
  }
  unitAt[n] = units;
  byteAt[n] = byte;
  return n;
}
