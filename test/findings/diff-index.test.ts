import { describe, expect, it } from 'vitest';
import { growingDiffIndex, indexDiff } from '../../src/findings/diff-index.ts';
import { fileDiff } from '../helpers/file-diff.ts';

const a = fileDiff('src/a.ts', [
  { oldStart: 1, newStart: 1, lines: [' one', '-two', '+TWO', '+two and a half', ' three'] },
  { oldStart: 20, newStart: 21, lines: [' twenty', '-twenty-one', ' twenty-two'] },
  { oldStart: 40, newStart: 40, lines: ['+forty'] },
]);

describe('the diff index', () => {
  const index = indexDiff([a]);

  it('says what each line on each side holds, and nothing for lines outside the hunks', () => {
    expect([1, 2, 3, 4, 5, 21, 22, 23, 40].map((n) => index.lineText('src/a.ts', 'new', n))).toEqual(['one', 'TWO', 'two and a half', 'three', undefined, 'twenty', 'twenty-two', undefined, 'forty']);
    expect([1, 2, 3, 4, 20, 21, 22].map((n) => index.lineText('src/a.ts', 'old', n))).toEqual(['one', 'two', 'three', undefined, 'twenty', 'twenty-one', 'twenty-two']);
    expect(index.lineText('src/other.ts', 'new', 1)).toBeUndefined();
  });

  it('pairs a context line with its number on the other side, and a changed line with its own', () => {
    expect(index.pair('src/a.ts', 'new', 4)).toEqual({ oldLine: 3, newLine: 4 });
    expect(index.pair('src/a.ts', 'old', 22)).toEqual({ oldLine: 22, newLine: 22 });
    expect(index.pair('src/a.ts', 'new', 3)).toEqual({ newLine: 3 });
    expect(index.pair('src/a.ts', 'old', 21)).toEqual({ oldLine: 21 });
    expect(index.pair('src/a.ts', 'new', 30)).toBeUndefined();
  });

  it("counts each line as GitLab's diff parser does: an added line takes the old side's next number, a removed one the new side's", () => {
    expect([2, 3, 4].map((n) => index.counters('src/a.ts', 'new', n))).toEqual([{ old: 3, new: 2 }, { old: 3, new: 3 }, { old: 3, new: 4 }]);
    expect(index.counters('src/a.ts', 'old', 2)).toEqual({ old: 2, new: 2 });
    expect(index.counters('src/a.ts', 'old', 21)).toEqual({ old: 21, new: 22 });
    expect(index.counters('src/a.ts', 'new', 40)).toEqual({ old: 40, new: 40 });
    expect(index.counters('src/a.ts', 'new', 30)).toBeUndefined();
    // An added file's old side counts from 0 (`@@ -0,0 +1,2 @@`).
    const added = indexDiff([fileDiff('src/new.ts', [{ oldStart: 0, newStart: 1, lines: ['+x', '+y'] }], { status: 'added' })]);
    expect(added.counters('src/new.ts', 'new', 2)).toEqual({ old: 0, new: 2 });
  });

  it('clamps a range to the hunk that holds its first line', () => {
    expect(index.anchor('src/a.ts', 'new', 2, 30)).toEqual({ line: 2, endLine: 4 });
    expect(index.anchor('src/a.ts', 'new', 21, 21)).toEqual({ line: 21 });
    expect(index.anchor('src/a.ts', 'old', 20, 25)).toEqual({ line: 20, endLine: 22 });
    expect(index.anchor('src/a.ts', 'new', 40, 41)).toEqual({ line: 40 });
    expect(index.anchor('src/a.ts', 'new', 10, 12)).toBeUndefined();
  });

  it('answers for files added after it was first asked, and resolves renamed and prefixed paths', () => {
    const growing = growingDiffIndex();
    growing.add([a]);
    expect(growing.lineText('src/a.ts', 'new', 2)).toBe('TWO');
    growing.add([fileDiff('src/new.ts', [{ oldStart: 1, newStart: 1, lines: ['+x'] }], { oldPath: 'src/old.ts', status: 'renamed' })]);
    expect(growing.resolvePath('src/old.ts')).toBe('src/new.ts');
    expect(growing.resolvePath('b/src/new.ts')).toBe('src/new.ts');
    expect(growing.oldPath('src/new.ts')).toBe('src/old.ts');
    expect(growing.lineText('src/new.ts', 'new', 1)).toBe('x');
  });

  it('lets a range in an elided file reach as far as its hunk header says, over the lines it dropped', () => {
    const elided = { ...fileDiff('pnpm-lock.yaml', [{ oldStart: 1, newStart: 1, lines: ['+<<<<<<< ours', '+>>>>>>> theirs'] }]), elided: true };
    // The hunk really holds 10 added lines (1-10); only two were kept.
    elided.hunks[0] = { ...elided.hunks[0]!, newLines: 10, oldLines: 0, lines: [{ kind: 'add', newLine: 1, text: '<<<<<<< ours' }, { kind: 'add', newLine: 7, text: '>>>>>>> theirs' }] };
    const lean = indexDiff([elided]);
    expect(lean.anchor('pnpm-lock.yaml', 'new', 1, 7)).toEqual({ line: 1, endLine: 7 });
    expect(lean.anchor('pnpm-lock.yaml', 'new', 1, 30)).toEqual({ line: 1, endLine: 10 });
    expect(lean.lineText('pnpm-lock.yaml', 'new', 7)).toBe('>>>>>>> theirs');
    expect(lean.lineText('pnpm-lock.yaml', 'new', 4)).toBeUndefined();
    // The lines it dropped cannot be counted.
    expect(lean.counters('pnpm-lock.yaml', 'new', 7)).toBeUndefined();
  });
});
