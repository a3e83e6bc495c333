import { countUnitLines } from './count-lines.ts';
import { fileWith } from './copy.ts';
import { hunkChars, lineChars } from './exact.ts';
import { subHunk } from './split-file.ts';
import type { ReviewUnit, UnitFile, UnitHunk } from './types.ts';

/**
 * A unit as two units that together hold exactly its lines, about half its text each: its files split in two
 * groups, or a single file's hunks, or a single hunk's lines (each run with a header of its own). For a unit the
 * model refused as too long for its context window (pipelines/run.ts). Undefined when it cannot be split further:
 * one line, or one file shown as a one-line summary.
 */
export function halveUnit(unit: ReviewUnit): [ReviewUnit, ReviewUnit] | undefined {
  const parts = halveFiles(unit.files);
  if (!parts) return undefined;
  return [part(unit, 1, parts[0]), part(unit, 2, parts[1])];
}

function part(unit: ReviewUnit, n: number, files: UnitFile[]): ReviewUnit {
  return { id: `${unit.id}.${n}`, files, lines: countUnitLines(files) };
}

function halveFiles(files: readonly UnitFile[]): [UnitFile[], UnitFile[]] | undefined {
  if (files.length >= 2) {
    const cut = balancedCut(files.map(fileSize));
    return [files.slice(0, cut), files.slice(cut)];
  }
  const file = files[0];
  if (!file || file.collapsed) return undefined;
  if (file.hunks.length >= 2) {
    const cut = balancedCut(file.hunks.map(hunkSize));
    return [[fileWith(file, { hunks: file.hunks.slice(0, cut) })], [fileWith(file, { hunks: file.hunks.slice(cut) })]];
  }
  const hunk = file.hunks[0];
  if (!hunk || hunk.collapsed || hunk.lines.length < 2) return undefined;
  const cut = balancedCut(hunk.lines.map(lineChars));
  const runs: [UnitHunk, UnitHunk] = [subHunk(hunk, hunk.lines.slice(0, cut), hunk.lines, 0), subHunk(hunk, hunk.lines.slice(cut), hunk.lines, cut)];
  return [[fileWith(file, { hunks: [runs[0]] })], [fileWith(file, { hunks: [runs[1]] })]];
}

/** Where to cut `sizes` (at least two) so that both sides are non-empty and as close to half the total as may be. */
function balancedCut(sizes: readonly number[]): number {
  const total = sizes.reduce((n, size) => n + size, 0);
  let cut = 1;
  let before = sizes[0]!;
  // Move the cut right while that brings the first part closer to half.
  while (cut < sizes.length - 1 && Math.abs(total - 2 * (before + sizes[cut]!)) < Math.abs(total - 2 * before)) before += sizes[cut++]!;
  return cut;
}

/** About the characters of a unit's rendering (see fileSize): what an estimate of a part's tokens goes by. */
export function unitSize(unit: Pick<ReviewUnit, 'files'>): number {
  return unit.files.reduce((n, file) => n + fileSize(file), 0);
}

/** About the characters of a file's rendering, what the model's tokenizer sees: a summary line for what is collapsed. */
function fileSize(file: UnitFile): number {
  return file.collapsed ? 1 : file.hunks.reduce((n, hunk) => n + hunkSize(hunk), 1);
}

function hunkSize(hunk: UnitHunk): number {
  return hunk.collapsed ? 1 : hunkChars(hunk);
}
