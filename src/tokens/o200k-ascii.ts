/**
 * o200k's pre-split (gpt-tokenizer's O200K_TOKEN_SPLIT_REGEX) worked out by hand for ASCII text, which is most of
 * what a diff of code holds. The regular expression, with its Unicode classes and a match object per piece, was
 * most of the counting thread's time; this walks the text once and hands each piece to `countPiece` as a range.
 * Text with any other character goes to the regular expression (see encoding.ts), which stays the reference:
 * test/tokens/o200k-ascii.test.ts compares the two on text built to hit every branch.
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

const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  CLASS[c] =
    c >= 65 && c <= 90 ? UPPER : c >= 97 && c <= 122 ? LOWER : c >= 48 && c <= 57 ? DIGIT : c === 10 || c === 13 ? BREAK : c === 32 || (c >= 9 && c <= 12) ? SPACE : PUNCT;
}

const NOT_ASCII = /[^\x00-\x7f]/;

/** Whether countAscii applies to `text`. */
export function isAscii(text: string): boolean {
  return !NOT_ASCII.test(text);
}

/** Tokens of ASCII `text`: the sum of `countPiece` over its pieces, each given as `text[start, end)`. */
export function countAscii(text: string, countPiece: (text: string, start: number, end: number) => number): number {
  const n = text.length;
  const at = (i: number) => (i < n ? CLASS[text.charCodeAt(i)]! : 0);
  let tokens = 0;
  let i = 0;
  while (i < n) {
    const kind = CLASS[text.charCodeAt(i)]!;
    const next = at(i + 1);
    let end: number;
    if (kind === UPPER || kind === LOWER || ((kind === SPACE || kind === PUNCT) && (next === UPPER || next === LOWER))) {
      // 1 and 2: after the prefix, if any, the letters are uppercase then lowercase ones; either run may be empty
      // but not both, and which alternative matched makes no difference to where the piece ends.
      end = kind === UPPER || kind === LOWER ? i : i + 1;
      while (at(end) === UPPER) end++;
      while (at(end) === LOWER) end++;
      end = afterContraction(text, end, n);
    } else if (kind === DIGIT) {
      end = i + 1;
      while (end < i + 3 && at(end) === DIGIT) end++;
    } else if (kind === PUNCT || (text.charCodeAt(i) === 32 && next === PUNCT)) {
      // 4
      end = kind === PUNCT ? i + 1 : i + 2;
      while (at(end) === PUNCT) end++;
      // Never read past the end: an out-of-range charCodeAt made the optimized code bail out on most lines.
      while (end < n) {
        const c = text.charCodeAt(end);
        if (c !== 10 && c !== 13 && c !== 47) break;
        end++;
      }
    } else {
      // 5, 6, 7: a run of whitespace.
      let run = i;
      let lastBreak = -1;
      for (let k = at(run); k === SPACE || k === BREAK; k = at(++run)) if (k === BREAK) lastBreak = run;
      end = lastBreak >= 0 ? lastBreak + 1 : run === n || run - i === 1 ? run : run - 1;
    }
    tokens += countPiece(text, i, end);
    i = end;
  }
  return tokens;
}

/** Where a piece of letters ends with its contraction: 's 'd 'm 't 'll 've 're, in either case. */
function afterContraction(text: string, end: number, n: number): number {
  if (end >= n || text.charCodeAt(end) !== 39) return end;
  // `| 0x20` lowercases a letter; no other ASCII character maps onto the letters compared with.
  const a = end + 1 < n ? text.charCodeAt(end + 1) | 0x20 : 0;
  if (a === 0x73 || a === 0x64 || a === 0x6d || a === 0x74) return end + 2;
  const b = end + 2 < n ? text.charCodeAt(end + 2) | 0x20 : 0;
  if ((a === 0x6c && b === 0x6c) || (a === 0x76 && b === 0x65) || (a === 0x72 && b === 0x65)) return end + 3;
  return end;
}
