import { describe, expect, it } from 'vitest';
import { coverageCounts, grouped } from '../../src/report/formats/coverage-parts.ts';

describe('grouped', () => {
  it('groups thousands with commas, whatever the locale', () => {
    expect([0, 7, 999, 1000, 120_370, 4_296_829, 1_000_000].map(grouped)).toEqual(['0', '7', '999', '1,000', '120,370', '4,296,829', '1,000,000']);
  });

  it('opens the coverage line of the text and markdown reports', () => {
    const cov = { filesChanged: 464, filesReviewed: 464, filesSkipped: [], linesChanged: 120_370, linesReviewed: 102_614, linesSummarised: 17_756, linesSkipped: 0, linesNotReviewed: 0 };
    expect(coverageCounts(cov)).toBe('464 of 464 files, 102,614 of 120,370 changed lines');
  });
});
