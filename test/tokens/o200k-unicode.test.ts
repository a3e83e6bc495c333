import o200kRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { describe, expect, it } from 'vitest';
import { encodeBpeTable } from '../../src/tokens/bpe-table.ts';
import { encodingFromTable } from '../../src/tokens/encoding.ts';
import { countUnicode } from '../../src/tokens/o200k-unicode.ts';
import { generatedText } from '../helpers/generated-text.ts';

// The hand-written o200k pre-split for any text (o200k-unicode.ts) against the regular expression it replaces:
// the same pieces, cut at the same places, on text built from every class the expression tells apart.
const SPLIT = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, 'gu');
const AS_TEXT = { disallowedSpecial: new Set<string>() };

const FRAGMENTS = [
  // ASCII, as in the ASCII test: letters of both cases, contractions, digits, punctuation, whitespace, controls.
  'a', 'Z', 'word', 'Word', 'WORD', 'camelCase', "'s", "'LL", "'ve", "'", '0', '42', '1234', '(', '...', '=>', '/', '//',
  ' ', '  ', '\t', '\r', '\n', '\r\n', '\n\n', ' \n ', '\n/', '\x00', '\x1b', '\x7f',
  // Lu, Lt, Ll, Lm, Lo.
  'É', 'Ω', 'Ж', 'ǅ', 'ᾈ', 'é', 'ß', 'ж', 'ω', 'ʰ', 'ー', 'ˆ', '日', '本', 'א', 'ا', 'ก', 'ㄱ', 'Ĳ', 'ĳ',
  // Marks (Mn, Mc, Me): letters to U and W, yet not letters to the prefix or to alternative 4.
  '\u0301', '\u0903', '\u20dd', '\u0e31', 'e\u0301', 'E\u0301',
  // Numbers beyond ASCII (Nd, No, Nl), one astral.
  '٣', '٤٥', '½', 'Ⅻ', '²', '\u{1d7d8}',
  // Whitespace JavaScript's \s knows, and characters it does not (NEL, zero-width space).
  '\u00a0', '\u2003', '\u3000', '\u2028', '\u2029', '\ufeff', '\u1680', '\u202f', '\u0085', '\u200b',
  // Punctuation and symbols, astral emoji and modifiers, joiners.
  '“', '”', '’', '’s', '—', '…', '€', '✓', '→', '©', '\u{1f600}', '\u{1f44d}\u{1f3fd}', '\u200d', '\u{1f468}\u200d\u{1f469}',
  // Astral letters (Lu, Ll, Lo).
  '\u{1d400}', '\u{1d41a}', '\u{20000}',
  // Lone surrogates, each a code point of its own to the expression.
  '\ud800', '\udc00', 'a\ud83d',
  // Words of other scripts.
  'Straße', 'ÉCOLE', 'Österreich', '日本語のテキスト', 'Привет', 'مرحبا', 'καλημέρα', 'ﬁle',
];

// Now and then any code point of the first plane (lone surrogates included).
const textOf = (seed: number, fragments: number) => generatedText(FRAGMENTS, seed, fragments, 0xffff, 0.08);

function regexPieces(text: string): [number, number][] {
  return [...text.matchAll(SPLIT)].map((m) => [m.index, m.index + m[0].length]);
}

function handPieces(text: string): [number, number][] {
  const pieces: [number, number][] = [];
  const bytes = new TextEncoder();
  countUnicode(text, (utf8, byteStart, byteEnd, whole, start, end) => {
    pieces.push([start, end]);
    // The piece's bytes are the UTF-8 of its text (a lone surrogate as U+FFFD, as TextEncoder writes it).
    expect(Buffer.from(utf8.subarray(byteStart, byteEnd)).equals(Buffer.from(bytes.encode(whole.slice(start, end))))).toBe(true);
    return 1;
  });
  return pieces;
}

describe('o200k pre-split of any text, by hand', async () => {
  const encoding = await encodingFromTable('o200k_base', encodeBpeTable(o200kRanks));

  it('cuts 4,000 generated texts into the pieces the regular expression cuts', () => {
    for (let seed = 1; seed <= 4_000; seed++) {
      const text = textOf(seed, 1 + (seed % 40));
      expect([seed, text, handPieces(text)]).toEqual([seed, text, regexPieces(text)]);
    }
  });

  it('cuts every pair and triple of fragments as the regular expression does', () => {
    for (const a of FRAGMENTS) {
      for (const b of FRAGMENTS) {
        expect([a, b, handPieces(a + b)]).toEqual([a, b, regexPieces(a + b)]);
        const c = FRAGMENTS[(a.length * 7 + b.length * 3) % FRAGMENTS.length]!;
        expect([a, b, c, handPieces(a + b + c)]).toEqual([a, b, c, regexPieces(a + b + c)]);
      }
    }
  });

  it('counts as gpt-tokenizer counts', () => {
    for (let seed = 1; seed <= 500; seed++) {
      // Without U+FEFF: gpt-tokenizer holds that token (rank 5574) as bytes and never finds it, so it counts the byte
      // order mark as two tokens where the merge (and loom, as before this split) makes one.
      const text = textOf(seed * 7919, 1 + (seed % 60)).replaceAll('\ufeff', '');
      expect([seed, encoding.count(text)]).toEqual([seed, countTokens(text, AS_TEXT)]);
    }
    const code = '/** Größe der Tabelle — 日本語のコメント. */\nconst naïve = "café ✓";\n// TODO: überprüfen 👍🏽\n';
    expect(encoding.count(code)).toBe(countTokens(code, AS_TEXT));
  });
});
