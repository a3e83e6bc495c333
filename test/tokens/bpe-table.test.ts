import { readFileSync } from 'node:fs';
import cl100kRanks from 'gpt-tokenizer/bpeRanks/cl100k_base';
import o200kRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { countTokens as cl100kCount } from 'gpt-tokenizer/encoding/cl100k_base';
import o200kApi, { countTokens as o200kCount } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { countPiece, decodeBpeTable, encodeBpeTable } from '../../src/tokens/bpe-table.ts';
import { encodingFromTable } from '../../src/tokens/encoding.ts';

// The built CLI counts with tables made from gpt-tokenizer's ranks (tsup.config.ts writes them); the tests otherwise
// only ever see gpt-tokenizer's own modules, so here the two are checked to count the same.
const encodings = [
  { name: 'o200k_base', ranks: o200kRanks, reference: o200kCount },
  { name: 'cl100k_base', ranks: cl100kRanks, reference: cl100kCount },
] as const;

const AS_TEXT = { disallowedSpecial: new Set<string>() };
/** gpt-tokenizer's own merging of one piece (internals of gpt-tokenizer 4, pinned in package.json). */
const o200kMerges = (o200kApi as unknown as { bytePairEncodingCoreProcessor: { bytePairEncode(piece: string): number[] } }).bytePairEncodingCoreProcessor;

const samples = [
  '',
  'hello world',
  readFileSync(new URL('../../src/tokens/counter.ts', import.meta.url), 'utf8'),
  'x <|endoftext|> y <|im_start|>system<|im_end|> <|fim_prefix|>',
  'héllo wörld, Ünïcödé — 日本語のテキスト, Привет мир, مرحبا بالعالم, 中文测试, 한국어',
  // Rare characters fall back to the byte tokens (`[161]` and the like).
  '🎉🎉 👩‍👩‍👧‍👦 🏳️‍🌈 𓀀𓁐 ꙮ ᚠᛇᚻ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u{10FFFD} \uFFFD',
  `const long = "${'abc123_'.repeat(2000)}";`,
  ' '.repeat(300) + '\t'.repeat(40) + '\n'.repeat(20) + ' \r\n \u00a0\u3000x',
  '    if (a) {\n\t\treturn b?.c ?? d; // 42\n    }\n',
  readFileSync(new URL('../../src/units/plan.ts', import.meta.url), 'utf8'),
  randomText(20_000),
];

/** Characters from every range the pre-split treats differently, in a fixed pseudo-random order. */
function randomText(length: number): string {
  const ranges = [[0x20, 0x7e], [0x09, 0x0d], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x6ff], [0x3040, 0x30ff], [0x4e00, 0x4fff], [0xac00, 0xacff], [0x1f300, 0x1f6ff]];
  let seed = 42;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  let out = '';
  while (out.length < length) {
    const [lo, hi] = ranges[Math.floor(next() * ranges.length)]!;
    const run = 1 + Math.floor(next() * 8);
    for (let i = 0; i < run; i++) out += String.fromCodePoint(lo! + Math.floor(next() * (hi! - lo! + 1)));
  }
  return out;
}

describe('bpe table', () => {
  it.each(encodings)('finds every $name token at its rank, by text and by bytes', ({ ranks }) => {
    const table = decodeBpeTable(encodeBpeTable(ranks));
    ranks.forEach((token, rank) => {
      const bytes = typeof token === 'string' ? Buffer.from(token, 'utf8') : Uint8Array.from(token);
      expect(table.rankOfBytes(bytes, 0, bytes.length)).toBe(rank);
      if (typeof token === 'string') expect(table.rankOfText(token)).toBe(rank);
    });
    expect(table.rankOfText('definitely not one token, surely')).toBe(-1);
  });

  it.each(encodings)('gives a $name encoding that counts as gpt-tokenizer does', async ({ name, ranks, reference }) => {
    const encoding = await encodingFromTable(name, encodeBpeTable(ranks));
    const expected = samples.map((text) => reference(text, AS_TEXT));

    expect(samples.map(encoding.count)).toEqual(expected);
    expect(Array.from(encoding.countMany(samples, false))).toEqual(expected);
    // Segments as a rendered diff has them (see units/exact.ts), counted in one pass.
    const segments = samples.flatMap((text) => text.split('\n')).map((line, i) => `${String(i + 1).padStart(4)} + ${line}\n`);
    expect(Array.from(encoding.countMany(segments, true))).toEqual(segments.map((text) => reference(text, AS_TEXT)));
  });

  it('counts short pieces the same when they are seen again, after many others took their places in its cache', async () => {
    const encoding = await encodingFromTable('o200k_base', encodeBpeTable(o200kRanks));
    // 5- to 8-byte pieces sharing their first four bytes, far more than the cache holds, some of them tokens; and
    // pieces that differ only by a trailing NUL (the same bytes packed, another length), and a piece of a NUL alone
    // (packed as an empty slot is), first, while the cache is empty.
    const letters = 'etaoinsrhl';
    const words: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      const tail = String(i).split('').map((d) => letters[Number(d)]).join('').slice(0, 4);
      words.push(` ret${tail}`, ` con${tail.slice(0, 1 + (i % 4))}`);
    }
    const lines = [' x\0 y', ...words, ' return', ' const', '!\0 !', '!! !\0\0'].map((word, i) => `${String(i % 1000).padStart(4)} +${word}\n`);
    const expected = lines.map((line) => o200kCount(line, AS_TEXT));
    expect(Array.from(encoding.countMany(lines, true))).toEqual(expected);
    expect(Array.from(encoding.countMany([...lines].reverse(), true))).toEqual([...expected].reverse());
  });

  it('merges a piece that is not a token pair by pair, lowest rank first, as tiktoken does', () => {
    const table = decodeBpeTable(encodeBpeTable(o200kRanks));
    const pieces = ['xqzvbnm', 'Ünïcödéxyz', '🎉🎉🎉', 'abc123_abc123_abc123_', ' '.repeat(77), 'ꙮꙮ𓀀', 'qwertyuiopasdfghjklzxcvbnm'.repeat(3)];
    for (const piece of pieces) expect([piece, countPiece(table, piece)]).toEqual([piece, o200kMerges.bytePairEncode(piece).length]);
  });

  it('merges a long piece (past the scan, with a heap) as tiktoken does', () => {
    const table = decodeBpeTable(encodeBpeTable(o200kRanks));
    let seed = 11;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const kinds: ((n: number) => string)[] = [
      (n) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(next() * 26))).join(''),
      // Every pair the same rank: which one merges first is decided by position alone.
      (n) => 'ab'.repeat(n / 2),
      (n) => ' '.repeat(n),
      (n) => '='.repeat(n),
      (n) => 'internationalization'.repeat(n / 20),
      (n) => Array.from({ length: n / 3 }, () => String.fromCodePoint(0x4e00 + Math.floor(next() * 3000))).join(''),
    ];
    for (const kind of kinds) {
      for (const bytes of [240, 300, 1_200, 4_800]) {
        const piece = kind(bytes);
        expect([piece.slice(0, 20), bytes, countPiece(table, piece)]).toEqual([piece.slice(0, 20), bytes, o200kMerges.bytePairEncode(piece).length]);
      }
    }
  });

  it('refuses a damaged table', () => {
    const data = encodeBpeTable(cl100kRanks);
    expect(() => decodeBpeTable(data.subarray(0, data.length - 1))).toThrow('damaged');
  });
});
