import { beforeAll, describe, expect, it } from 'vitest';
import { renderDiff } from '../../src/prompts/render-diff.ts';
import { createTokenCounter, type TokenCounter } from '../../src/tokens/counter.ts';
import { calibrate, createEstimator, numberWidth, weight } from '../../src/units/estimate.ts';
import { fileDiff } from '../helpers/file-diff.ts';
import { codeLine } from './plan-helpers.ts';

let counter: TokenCounter;
beforeAll(async () => {
  counter = await createTokenCounter({ model: 'gpt-4o' });
});

describe('weight', () => {
  it('counts ASCII once and other characters three times', () => {
    expect(weight('')).toBe(0);
    expect(weight('const a = 1;')).toBe(12);
    expect(weight('日本')).toBe(6);
    expect(weight('é!')).toBe(4);
  });
});

describe('calibrate', () => {
  it('has a fallback for a diff with no lines', () => {
    expect(calibrate([], counter)).toBe(0.4);
    expect(calibrate([fileDiff('a.png', [], { binary: true })], counter)).toBe(0.4);
  });

  it('estimates a diff of code within a few percent above its real count', () => {
    const files = Array.from({ length: 30 }, (_, f) =>
      fileDiff(`src/f${f}.ts`, [{ oldStart: 1, newStart: 1, lines: Array.from({ length: 120 }, (_, i) => `${'+- '[i % 3]}${codeLine(f * 1000 + i)}`) }]),
    );
    const est = createEstimator(calibrate(files, counter), counter);

    for (const file of files) {
      const width = numberWidth(file.hunks);
      const estimate = est.fileHeader(file) + file.hunks.reduce((n, h) => n + est.hunkHeader(h) + h.lines.reduce((m, l) => m + est.line(l, width), 0), 0);
      const real = counter.count(renderDiff([file]));
      expect(estimate / real).toBeGreaterThan(0.97);
      expect(estimate / real).toBeLessThan(1.1);
    }
  });
});
