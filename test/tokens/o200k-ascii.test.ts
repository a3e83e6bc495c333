import o200kRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { encodeBpeTable } from '../../src/tokens/bpe-table.ts';
import { encodingFromTable } from '../../src/tokens/encoding.ts';
import { generatedText } from '../helpers/generated-text.ts';

// The hand-written o200k pre-split for ASCII (o200k-ascii.ts) against gpt-tokenizer, which uses the regular
// expression: text is built from fragments that sit on each branch's edges, in a fixed pseudo-random order.
const AS_TEXT = { disallowedSpecial: new Set<string>() };
const reference = (text: string) => countTokens(text, AS_TEXT);
const isAscii = (text: string) => /^[\x00-\x7f]*$/.test(text);

const FRAGMENTS = [
  'a', 'Z', 'word', 'Word', 'WORD', 'camelCase', 'HTTPServer', 'snake_case', 'x1', 'ABCdef', 'aBC',
  "'s", "'S", "'t", "'T", "'d", "'m", "'ll", "'lL", "'Ll", "'LL", "'l", "'ve", "'VE", "'vE", "'re", "'Re", "'r", "'x", "'", "''",
  '0', '7', '42', '123', '1234', '1234567', '3.14', '0x1F',
  '(', ')', '{', '}', '[', ']', ';', ',', '.', '...', '=>', '===', '!=', '//', '/*', '*/', '/', '\\', '\\n', '`', '"', '$', '@', '#', '%', '^', '&', '|', '~', '<', '>', '?', ':', '-', '+', '_', '__',
  ' ', '  ', '   ', '\t', '\t\t', '\v', '\f', '\r', '\n', '\r\n', '\n\n', ' \n', ' \n ', '\t\n\t', '\n/', '\n//', '\r/', ' /',
  '\x00', '\x01', '\x08', '\x0e', '\x1b', '\x1f', '\x7f',
];

const textOf = (seed: number, fragments: number) => generatedText(FRAGMENTS, seed, fragments, 128, 0.1);

describe('o200k pre-split of ASCII text, by hand', async () => {
  const encoding = await encodingFromTable('o200k_base', encodeBpeTable(o200kRanks));

  it('counts every one of 3,000 generated texts as the regular expression does', () => {
    for (let seed = 1; seed <= 3_000; seed++) {
      const text = textOf(seed, 1 + (seed % 40));
      expect(isAscii(text)).toBe(true);
      expect([seed, encoding.count(text)]).toEqual([seed, reference(text)]);
    }
  });

  it('counts every pair and triple of fragments as the regular expression does', () => {
    for (const a of FRAGMENTS) {
      for (const b of FRAGMENTS) {
        expect([a, b, encoding.count(a + b)]).toEqual([a, b, reference(a + b)]);
        const c = FRAGMENTS[(a.length * 7 + b.length) % FRAGMENTS.length]!;
        expect([a, b, c, encoding.count(a + b + c)]).toEqual([a, b, c, reference(a + b + c)]);
      }
    }
  });

  it('counts segments of a rendered diff, ASCII and not mixed, as counted one by one', () => {
    const lines = Array.from({ length: 400 }, (_, i) => (i % 9 === 4 ? `${textOf(i, 12)} // café ✓ 日本` : textOf(i, 20)).replace(/[\r\n]/g, ' '));
    const segments = lines.map((line, i) => `${String(i + 1).padStart(4)} + ${line}\n`);
    expect(Array.from(encoding.countMany(segments, true))).toEqual(segments.map(reference));
  });

  it('counts whole renderings with a few non-ASCII lines (first, last, in runs, before a blank line) as one text', () => {
    const wholes = Array.from({ length: 60 }, (_, f) => {
      const lines = Array.from({ length: 1 + (f % 13) * 3 }, (_, i) => {
        const text = textOf(f * 100 + i, 14).replace(/\n/g, ' ');
        const other = (i + f) % 5 === 0 || (f % 4 === 0 && i === 0);
        return `${String(i + 1).padStart(3)} ${'+- '[i % 3]} ${other ? `${text} café ✓ 日本${f % 2 ? '\r' : ''}` : text}\n`;
      });
      const tail = f % 3 === 0 ? '… 4 lines removed (not shown)\n' : f % 3 === 1 ? `${lines.length + 1} + último\n` : '';
      return `### src/f${f}.ts (modified)\n@@ -1,2 +1,3 @@ ${f % 2 ? 'función' : 'fn'}\n${lines.join('')}${tail}${f % 2 ? '\n' : ''}`;
    });
    expect(wholes.filter((text) => !isAscii(text)).length).toBeGreaterThan(50);
    expect(Array.from(encoding.countMany(wholes, true))).toEqual(wholes.map(reference));
  });
});
