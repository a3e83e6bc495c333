import type { FileDiff } from '../diff/types.ts';
import type { UnitFile, UnitLines } from './types.ts';

/**
 * Changed lines a unit's files account for. Lines in collapsed hunks or files are reviewed by summary; the
 * overlap at the start of a split hunk's later runs is context, so it is not counted twice.
 */
export function countUnitLines(files: readonly UnitFile[]): UnitLines {
  const counts: UnitLines = { reviewed: 0, summarised: 0 };
  for (const file of files) {
    for (const hunk of file.hunks) {
      const key = file.collapsed || hunk.collapsed ? 'summarised' : 'reviewed';
      for (const line of hunk.lines) if (line.kind !== 'context') counts[key]++;
    }
  }
  return counts;
}

/** Added plus removed lines of a file, from its hunks when it has any (binary files report none) and they are whole. */
export function changedLineCount(file: FileDiff): number {
  // Summed before the test, not in its branch: this runs over every line of a diff, and V8 compiles it again the
  // first time a branch it has not seen taken (a file without hunks, an elided file) is taken.
  const reported = file.additions + file.deletions;
  if (file.hunks.length === 0 || file.elided) return reported;
  let n = 0;
  for (const hunk of file.hunks) for (const line of hunk.lines) if (line.kind !== 'context') n++;
  return n;
}
