import { beforeAll, describe, expect, it } from 'vitest';
import type { DiffLine } from '../../src/diff/types.ts';
import { renderDiff } from '../../src/prompts/render-diff.ts';
import { createTokenCounter, type TokenCounter } from '../../src/tokens/counter.ts';
import { byteCounter } from '../helpers/byte-counter.ts';
import { ExactCosts, separatorEnd } from '../../src/units/exact.ts';
import type { UnitFile } from '../../src/units/types.ts';
import { fileDiff } from '../helpers/file-diff.ts';

// ExactCosts adds up token counts of the segments of a rendering instead of counting it. These tests hold the
// sums to the real count of the whole rendering, with text chosen to tempt the tokenizer across every join:
// trailing punctuation and whitespace, blank and whitespace-only lines, `/` and `\r`, non-ASCII, special tokens.

const counters: [string, () => Promise<TokenCounter>][] = [
  ['o200k', () => createTokenCounter({ model: 'gpt-4o' })],
  ['cl100k', () => createTokenCounter({ model: 'gpt-4' })],
  ['o200k with a margin', () => createTokenCounter({ model: 'llama3.1' })],
  ['utf-8 bytes', async () => byteCounter()],
];

const AWKWARD = [
  '',
  ' ',
  '   ',
  '\t',
  '\t\t  ',
  '/',
  '//',
  '// comment /',
  '/* x */',
  ';',
  '};',
  '});\t',
  'return x;  ',
  'a\rb',
  'ends with cr\r',
  '\r',
  '\u2028',
  '\u00a0',
  'x\u00a0',
  '  \u00a0 ',
  '日本語のテキスト',
  'emoji 🎉🎉',
  "it's",
  "'s",
  '<|endoftext|>',
  '<|im_start|>user',
  '...',
  '\\',
  '#',
  '### not a header',
  '@@ -1 +1 @@',
  '(',
  '…',
  '123',
  '  42',
  'const x = 1',
  '    if (a) {',
  '-',
  '+',
  'x  y',
];

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomFile(next: () => number, f: number): UnitFile {
  const pick = <T,>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const line = () => pick(AWKWARD) + (next() < 0.3 ? pick(AWKWARD) : '');
  const hunks = Array.from({ length: 1 + Math.floor(next() * 3) }, (_, h) => ({
    // Now and then a header with numbers of four to seven digits: headers are priced from digit groups.
    oldStart: 1 + h * 40 + Math.floor(next() * 5) + (next() < 0.1 ? 1_234_000 : 0),
    newStart: 1 + h * 40 + Math.floor(next() * 5) + (next() < 0.2 ? 9990 : 0),
    section: next() < 0.5 ? pick(AWKWARD) : '',
    lines: Array.from({ length: 1 + Math.floor(next() * 6) }, () => `${pick(['+', '-', ' '])}${line()}`),
  }));
  const kind = next();
  const path = pick(['src/a.ts', 'dir with space/b.py', 'ünï/名前.md', 'x\ny.txt', '/lead', 'e"q.ts']) + f;
  if (kind < 0.15) {
    const gone = fileDiff(path, [{ oldStart: 1, newStart: 0, lines: hunks[0]!.lines.map((l) => `-${l.slice(1)}`) }], { status: 'deleted' });
    return { ...gone, collapsed: true, hunks: gone.hunks.map((h) => ({ ...h, collapsed: true })) };
  }
  const file: UnitFile = fileDiff(path, hunks, {
    noNewlineAtEof: next() < 0.3,
    ...(next() < 0.2 ? { status: 'renamed' as const, oldPath: `old/${path}` } : {}),
  });
  return { ...file, hunks: file.hunks.map((h) => (next() < 0.2 && h.lines.every((l) => l.kind !== 'add') ? { ...h, collapsed: true } : h)) };
}

describe('separatorEnd', () => {
  // What a blank line after a segment adds is what it adds after the segment's end alone: checked over line
  // endings that tempt a piece to reach back past the last letter or digit.
  const ENDINGS = ['', ' ', '  ', '\t', ';', ' ;', '  ;', ');', '});\t', '/', '//', ' /', "'", "'s", "x's", "'S", '_', '__', 'a_', '_1', '1_',
    '.', '...', '0.', '1e5', 'x1', '12345', '\r', ' \r', ';\r', '\\', '<|endoftext|>', '|>', '#', '@@', ' @@', '…', '—', 'é', 'x\u00a0', '日本', '😀', '/*', '*/', ' */ '];
  const WORDS = ['', 'x', 'X', 'word', 'Word', 'camelCase', 'HTTP', '42', '7', '+', ' ', '  ', '日'];

  for (const [name, make] of counters.slice(0, 2)) {
    it(`gives what the blank line adds, in ${name}`, async () => {
      const counter = await make();
      for (const word of WORDS) {
        for (const ending of ENDINGS) {
          for (const number of ['   1', '1234']) {
            const segment = `${number} + ${word}${ending}\n`;
            const end = separatorEnd(segment);
            const adds = (text: string) => counter.count(`${text}\n`) - counter.count(text);
            expect([segment, adds(end)]).toEqual([segment, adds(segment)]);
            // After a word, an end of ASCII only is short (no more than the ending, a 0 and the newline): the same few
            // serve every file.
            if (/[A-Za-z0-9]$/.test(word) && !/[^\x00-\x7f]/.test(ending)) expect(end.length, segment).toBeLessThanOrEqual(ending.length + 2);
          }
        }
      }
    });
  }
});

describe('ExactCosts', () => {
  for (const [name, make] of counters) {
    describe(name, () => {
      let counter: TokenCounter;
      beforeAll(async () => {
        counter = await make();
      });

      it('adds up to the count of the whole rendering, for any files in any order', () => {
        const next = rng(0xe7ac7 + name.length);
        const exact = new ExactCosts(counter.segments!);
        for (let round = 0; round < 300; round++) {
          const random = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, f) => randomFile(next, f));
          // Every third round: files as planning sends them whole, their renderings counted ahead as one text each.
          if (round % 3 === 0) exact.prefetch(random, 1_000_000);
          const files = round % 3 === 0 ? random.map((file) => exact.whole(file)) : random;
          const whole = renderDiff(files);
          expect(exact.total(exact.files(files)), JSON.stringify(whole)).toBe(counter.count(whole));
          for (const file of files) expect(exact.total(exact.file(file))).toBe(counter.count(renderDiff([file])));
        }
      });

      it('counts a line without a number (never from git) like any other', () => {
        const exact = new ExactCosts(counter.segments!);
        const bare: DiffLine = { kind: 'context', text: '   ' };
        const file: UnitFile = fileDiff('a.ts', [{ oldStart: 1, newStart: 120, lines: [' x'] }]);
        const files = [{ ...file, hunks: [{ ...file.hunks[0]!, lines: [bare, ...file.hunks[0]!.lines, bare] }] }, file];
        expect(exact.total(exact.files(files))).toBe(counter.count(renderDiff(files)));
      });

      it('finds the largest raw count within a budget, margin included', () => {
        const exact = new ExactCosts(counter.segments!);
        for (const budget of [0, 1, 7, 100, 1001, 29_999]) {
          const raw = exact.rawBudget(budget);
          expect(exact.total(raw)).toBeLessThanOrEqual(budget);
          expect(exact.total(raw + 1)).toBeGreaterThan(budget);
        }
      });
    });
  }
});
