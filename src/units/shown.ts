import type { FileDiff } from '../diff/types.ts';
import { fileWith } from './copy.ts';
import type { UnitFile } from './types.ts';

/**
 * A unit's files as its model call saw them, line by line: a deleted file or a hunk shown as a marker (`collapsed`)
 * is left out, so a finding on one of the lines the marker stands for is known for a guess.
 */
export function shownPart(files: readonly UnitFile[]): FileDiff[] {
  const shown: FileDiff[] = [];
  for (const file of files) {
    if (file.collapsed) continue;
    shown.push(file.hunks.some((hunk) => hunk.collapsed) ? fileWith(file, { hunks: file.hunks.filter((hunk) => !hunk.collapsed) }) : file);
  }
  return shown;
}
