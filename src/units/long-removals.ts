import type { FileDiff, Hunk } from '../diff/types.ts';
import { fileWith } from './copy.ts';
import { isDeleteOnly } from './exact.ts';
import { REMOVAL_ENDS_SHOWN } from './removal-ends.ts';
import { subHunk } from './split-file.ts';

/**
 * `file` with every run of more than `over` removed lines in a row, inside a hunk that also adds lines, cut out of
 * its hunk as a removed-only hunk of its own: the model is shown that as its marker (`… N lines removed (not
 * shown)`) and coverage counts its lines as summarised, as for a hunk that only removes. At an end of the run
 * that an added line borders, REMOVAL_ENDS_SHOWN removed lines stay on show, so the model sees what the addition
 * replaces.
 *
 * TypeScript 5.5's hunk that replaces tsserver.js's 188,712-line bundle with 20 lines is one: shown whole, it was
 * some two million tokens per pipeline of code that is gone, to review 20 added lines.
 *
 * The same lines (the same objects) in the same order, in hunks whose headers match their numbers; `file` itself
 * when there is nothing to cut. The same result object each time for the same file, so counts made for it ahead
 * (prefetchCosts) are found again by the plan.
 */
export function summariseLongRemovals(file: FileDiff, over: number): FileDiff {
  if (file.deletions <= over || file.additions === 0) return file;
  const known = SUMMARISED.get(file);
  if (known?.over === over) return known.file;
  let hunks: Hunk[] | undefined;
  for (let h = 0; h < file.hunks.length; h++) {
    const hunk = file.hunks[h]!;
    const parts = cutLongRemovals(hunk, over);
    if (parts) (hunks ??= file.hunks.slice(0, h)).push(...parts);
    else hunks?.push(hunk);
  }
  const result = hunks ? fileWith(file, { hunks }) : file;
  SUMMARISED.set(file, { over, file: result });
  return result;
}
const SUMMARISED = new WeakMap<FileDiff, { over: number; file: FileDiff }>();

/** The hunk as several, each long run of removed lines but its shown ends a hunk of its own; undefined if none. */
function cutLongRemovals(hunk: Hunk, over: number): Hunk[] | undefined {
  // A hunk that only removes is summarised whole already.
  if (hunk.lines.length <= over || isDeleteOnly(hunk)) return undefined;
  const lines = hunk.lines;
  let parts: Hunk[] | undefined;
  let from = 0;
  for (let i = 0; i < lines.length; ) {
    if (lines[i]!.kind !== 'del') {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < lines.length && lines[end]!.kind === 'del') end++;
    if (end - i > over) {
      const cutFrom = i > 0 && lines[i - 1]!.kind === 'add' ? i + REMOVAL_ENDS_SHOWN : i;
      const cutTo = end < lines.length && lines[end]!.kind === 'add' ? end - REMOVAL_ENDS_SHOWN : end;
      parts ??= [];
      if (cutFrom > from) parts.push(subHunk(hunk, lines.slice(from, cutFrom), lines, from));
      parts.push(subHunk(hunk, lines.slice(cutFrom, cutTo), lines, cutFrom));
      from = cutTo;
    }
    i = end;
  }
  if (parts && from < lines.length) parts.push(subHunk(hunk, lines.slice(from), lines, from));
  return parts;
}
