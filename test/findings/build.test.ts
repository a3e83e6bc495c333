import { describe, expect, it } from 'vitest';
import { buildFinding, dedupeFindings, type FindingDraft } from '../../src/findings/build.ts';
import { indexDiff } from '../../src/findings/diff-index.ts';
import { fileDiff } from '../helpers/file-diff.ts';

const files = [
  fileDiff('src/a.ts', [
    { oldStart: 1, newStart: 1, lines: [' one', '-two', '+TWO', ' three'] },
    { oldStart: 20, newStart: 20, lines: [' twenty', '+twenty-one', ' twenty-two'] },
  ]),
  fileDiff('src/new.ts', [{ oldStart: 1, newStart: 1, lines: ['+x'] }], { oldPath: 'src/old.ts', status: 'renamed' }),
];
const index = indexDiff(files);
const draft = (over: Partial<FindingDraft>): FindingDraft => ({ path: 'src/a.ts', line: 2, side: 'new', severity: 'warning', pipeline: 'review', ruleId: 'review', title: 'T', body: 'B', ...over });

describe('buildFinding', () => {
  it('anchors a line inside a hunk and clamps an end line to that hunk', () => {
    const f = buildFinding(draft({ line: 2, endLine: 25 }), index);

    expect([f.inDiff, f.line, f.endLine]).toEqual([true, 2, 3]);
  });

  it('keeps a finding outside the hunks, marked not in the diff', () => {
    const f = buildFinding(draft({ line: 10 }), index);

    expect([f.inDiff, f.line]).toEqual([false, 10]);
  });

  it('anchors old-side findings on removed lines by old line number', () => {
    expect(buildFinding(draft({ line: 2, side: 'old' }), index).inDiff).toBe(true);
    expect(buildFinding(draft({ line: 21, side: 'old' }), index).inDiff).toBe(true);
    expect(buildFinding(draft({ line: 22, side: 'old' }), index).inDiff).toBe(false);
  });

  it('maps the old path of a renamed file and a ./ prefix to the new path', () => {
    expect(buildFinding(draft({ path: 'src/old.ts', line: 1 }), index)).toMatchObject({ path: 'src/new.ts', inDiff: true });
    expect(buildFinding(draft({ path: './src/a.ts', line: 2 }), index)).toMatchObject({ path: 'src/a.ts', inDiff: true });
  });

  it('gives the same fingerprint when the flagged code moved to another line, and a different one for other code', () => {
    const moved = indexDiff([fileDiff('src/a.ts', [{ oldStart: 50, newStart: 60, lines: [' x', '+TWO'] }])]);

    expect(buildFinding(draft({ line: 61 }), moved).fingerprint).toBe(buildFinding(draft({ line: 2 }), index).fingerprint);
    expect(buildFinding(draft({ line: 21 }), index).fingerprint).not.toBe(buildFinding(draft({ line: 2 }), index).fingerprint);
  });

  it('drops a suggestion on an old-side finding, where there is nothing to replace', () => {
    expect(buildFinding(draft({ side: 'old', suggestion: 'x' }), index).suggestion).toBeUndefined();
    expect(buildFinding(draft({ suggestion: 'x' }), index).suggestion).toBe('x');
  });

  it('does not anchor a line of the diff its author was not shown (another unit\'s part), and keeps its fingerprint', () => {
    // The unit held the first hunk of src/a.ts only.
    const shown = indexDiff([fileDiff('src/a.ts', [{ oldStart: 1, newStart: 1, lines: [' one', '-two', '+TWO', ' three'] }])]);

    const seen = buildFinding(draft({ line: 2 }), index, shown);
    const guessed = buildFinding(draft({ line: 21 }), index, shown);
    const otherFile = buildFinding(draft({ path: 'src/new.ts', line: 1 }), index, shown);
    const outside = buildFinding(draft({ line: 10 }), index, shown);

    expect([seen.inDiff, seen.notShown]).toEqual([true, undefined]);
    expect([guessed.inDiff, guessed.notShown, guessed.line]).toEqual([false, true, 21]);
    expect([otherFile.inDiff, otherFile.notShown]).toEqual([false, true]);
    expect([outside.inDiff, outside.notShown]).toEqual([false, undefined]);
    expect(guessed.fingerprint).toBe(buildFinding(draft({ line: 21 }), index).fingerprint);
  });
});

describe('dedupeFindings', () => {
  it('keeps the copy that can be posted on its line, whichever came first', () => {
    const shown = indexDiff([fileDiff('src/a.ts', [{ oldStart: 1, newStart: 1, lines: [' one', '-two', '+TWO', ' three'] }])]);
    const guessed = buildFinding(draft({ line: 2 }), index, indexDiff([]));
    const seen = buildFinding(draft({ line: 2 }), index, shown);
    const other = buildFinding(draft({ line: 21, title: 'other' }), index);

    expect(dedupeFindings([guessed, other, seen])).toEqual([other, seen]);
    expect(dedupeFindings([seen, guessed])).toEqual([seen]);
    expect(dedupeFindings([guessed, guessed])).toEqual([guessed]);
  });
});
