import { readFileSync } from 'node:fs';
import cl100kRanks from 'gpt-tokenizer/bpeRanks/cl100k_base';
import o200kRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { countTokens as cl100kCount } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200kCount } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { encodingFromRankData } from '../../src/tokens/encoding.ts';
import { decodeRanks, encodeRanks } from '../../src/tokens/rank-data.ts';

// The built CLI loads its encodings from rank data (tsup.config.ts writes it); the tests otherwise only ever see
// gpt-tokenizer's own modules, so here the two are checked to be the same encoding.
const encodings = [
  { name: 'o200k_base', ranks: o200kRanks, reference: o200kCount },
  { name: 'cl100k_base', ranks: cl100kRanks, reference: cl100kCount },
] as const;

const AS_TEXT = { disallowedSpecial: new Set<string>() };

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
];

describe('rank data', () => {
  it.each(encodings)('round-trips the $name ranks', ({ ranks }) => {
    expect(decodeRanks(encodeRanks(ranks))).toEqual(ranks);
  });

  it.each(encodings)('gives a $name encoding that counts as gpt-tokenizer does', async ({ name, ranks, reference }) => {
    const encoding = await encodingFromRankData(name, encodeRanks(ranks));
    const expected = samples.map((text) => reference(text, AS_TEXT));

    expect(samples.map(encoding.count)).toEqual(expected);
    expect(Array.from(encoding.countMany(samples, false))).toEqual(expected);
    // Segments as a rendered diff has them (see units/exact.ts), counted in one pass.
    const segments = samples.flatMap((text) => text.split('\n')).map((line, i) => `${String(i + 1).padStart(4)} + ${line}\n`);
    expect(Array.from(encoding.countMany(segments, true))).toEqual(segments.map((text) => reference(text, AS_TEXT)));
  });
});
