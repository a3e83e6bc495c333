/**
 * o200k's pre-split (gpt-tokenizer's O200K_TOKEN_SPLIT_REGEX) worked out by hand for ASCII text, which is most of
 * what a diff of code holds. The regular expression, with its Unicode classes and a match object per piece, was
 * most of the counting thread's time; this walks the text once and hands each piece to `countPiece` as a range,
 * hashed on the way.
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

/** bpe-table.ts hashes a token's bytes with FNV-1a from these; an ASCII character is its own byte. */
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/**
 * Tokens of ASCII `text`: the sum of `countPiece` over its pieces, each given as `text[start, end)` with `hash`, the
 * FNV-1a hash of its characters (see bpe-table.ts), worked out as the piece is scanned rather than in a second pass.
 * -1 when `text` holds any other character: it is then for the regular expression.
 */
export function countAscii(text: string, countPiece: (hash: number, text: string, start: number, end: number) => number): number {
  const n = text.length;
  let tokens = 0;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    // Every run below stops at a character outside ASCII, so such a character is always where a piece starts.
    if (c > 0x7f) return -1;
    const kind = CLASS[c]!;
    const next = i + 1 < n ? CLASS[text.charCodeAt(i + 1)]! : 0;
    let hash = Math.imul(FNV_OFFSET ^ c, FNV_PRIME);
    let end = i + 1;
    if (kind === UPPER || kind === LOWER || ((kind === SPACE || kind === PUNCT) && (next === UPPER || next === LOWER))) {
      // 1 and 2: after the prefix, if any, the letters are uppercase then lowercase ones; either run may be empty
      // but not both, and which alternative matched makes no difference to where the piece ends.
      if (kind === LOWER) {
        // No prefix and no uppercase letters: the lowercase run below starts the piece.
        end = i;
        hash = FNV_OFFSET;
      } else {
        while (end < n && CLASS[(c = text.charCodeAt(end))] === UPPER) {
          hash = Math.imul(hash ^ c, FNV_PRIME);
          end++;
        }
      }
      while (end < n && CLASS[(c = text.charCodeAt(end))] === LOWER) {
        hash = Math.imul(hash ^ c, FNV_PRIME);
        end++;
      }
      const after = afterContraction(text, end, n);
      for (; end < after; end++) hash = Math.imul(hash ^ text.charCodeAt(end), FNV_PRIME);
    } else if (kind === DIGIT) {
      while (end < i + 3 && end < n && CLASS[(c = text.charCodeAt(end))] === DIGIT) {
        hash = Math.imul(hash ^ c, FNV_PRIME);
        end++;
      }
    } else if (kind === PUNCT || (c === 32 && next === PUNCT)) {
      // 4
      while (end < n && CLASS[(c = text.charCodeAt(end))] === PUNCT) {
        hash = Math.imul(hash ^ c, FNV_PRIME);
        end++;
      }
      while (end < n && ((c = text.charCodeAt(end)) === 10 || c === 13 || c === 47)) {
        hash = Math.imul(hash ^ c, FNV_PRIME);
        end++;
      }
    } else {
      // 5, 6, 7: a run of whitespace; where the piece ends is known only at the run's end, so it is hashed after.
      let run = i;
      let lastBreak = -1;
      for (let k = kind; k === SPACE || k === BREAK; k = run < n ? CLASS[text.charCodeAt(run)]! : 0) {
        if (k === BREAK) lastBreak = run;
        run++;
      }
      end = lastBreak >= 0 ? lastBreak + 1 : run === n || run - i === 1 ? run : run - 1;
      for (let k = i + 1; k < end; k++) hash = Math.imul(hash ^ text.charCodeAt(k), FNV_PRIME);
    }
    tokens += countPiece(hash, text, i, end);
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
