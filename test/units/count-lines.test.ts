import { describe, expect, it } from 'vitest';
import { changedLineCount, countUnitLines } from '../../src/units/count-lines.ts';
import { fileDiff } from '../helpers/file-diff.ts';

describe('countUnitLines', () => {
  it('counts changed lines, those in collapsed hunks or files as summarised, context (overlap) not at all', () => {
    const modified = fileDiff('a.ts', [
      { oldStart: 1, newStart: 1, lines: [' a', '-b', '+c', ' d'] },
      { oldStart: 20, newStart: 20, lines: [' e', '-f', '-g', ' h'] },
    ]);
    const deleted = fileDiff('b.ts', [{ oldStart: 1, newStart: 0, lines: ['-1', '-2', '-3'] }], { status: 'deleted' });

    const counts = countUnitLines([
      { ...modified, hunks: [modified.hunks[0]!, { ...modified.hunks[1]!, collapsed: true }] },
      { ...deleted, collapsed: true, hunks: deleted.hunks.map((h) => ({ ...h, collapsed: true })) },
    ]);

    expect(counts).toEqual({ reviewed: 2, summarised: 5 });
  });

  it('counts a file from its hunks, or from additions and deletions when it has none', () => {
    expect(changedLineCount(fileDiff('a.ts', [{ oldStart: 1, newStart: 1, lines: [' a', '-b', '+c', '+d'] }]))).toBe(3);
    expect(changedLineCount(fileDiff('a.bin', [], { binary: true, additions: 0, deletions: 0 }))).toBe(0);
  });
});
