import type { FileDiff, Hunk } from '../diff/types.ts';
import type { ReviewUnit } from './types.ts';

export interface UnitPlan {
  units: ReviewUnit[];
  /** Files no model needs to see, with why. */
  skipped: { path: string; reason: string }[];
}

/** Rough size of a file's rendering, in characters (a line number, a marker and the text per line). */
export function renderedSize(file: FileDiff): number {
  let size = file.path.length + 40;
  for (const hunk of file.hunks) {
    size += 40 + hunk.section.length;
    for (const line of hunk.lines) size += line.text.length + 10;
  }
  return size;
}

/**
 * Packs files into units of at most `budgetChars` of rendered diff: whole files first (a file is understood
 * best whole), a larger file split at hunk boundaries, a single larger hunk split into runs of lines.
 * Every reviewable line lands in exactly one unit.
 */
export function buildUnits(files: readonly FileDiff[], opts: { budgetChars: number }): UnitPlan {
  const skipped: UnitPlan['skipped'] = [];
  const pieces: FileDiff[] = [];
  for (const file of files) {
    if (file.binary) skipped.push({ path: file.path, reason: 'binary' });
    else if (file.modeOnly) skipped.push({ path: file.path, reason: 'mode change only' });
    else if (file.hunks.length === 0) skipped.push({ path: file.path, reason: file.status === 'renamed' ? 'renamed without changes' : 'no changed lines' });
    else pieces.push(...splitFile(file, opts.budgetChars));
  }
  const units: ReviewUnit[] = [];
  let current: FileDiff[] = [];
  let size = 0;
  for (const piece of pieces) {
    const pieceSize = renderedSize(piece);
    if (current.length > 0 && size + pieceSize > opts.budgetChars) {
      units.push({ id: `u${units.length + 1}`, files: current });
      current = [];
      size = 0;
    }
    current.push(piece);
    size += pieceSize;
  }
  if (current.length > 0) units.push({ id: `u${units.length + 1}`, files: current });
  return { units, skipped };
}

function splitFile(file: FileDiff, budget: number): FileDiff[] {
  if (renderedSize(file) <= budget) return [file];
  const parts: FileDiff[] = [];
  let hunks: Hunk[] = [];
  let size = 0;
  const flush = () => {
    if (hunks.length > 0) parts.push({ ...file, hunks });
    hunks = [];
    size = 0;
  };
  for (const hunk of file.hunks.flatMap((h) => splitHunk(h, budget))) {
    const hunkSize = renderedSize({ ...file, hunks: [hunk] });
    if (size + hunkSize > budget) flush();
    hunks.push(hunk);
    size += hunkSize;
  }
  flush();
  return parts;
}

function splitHunk(hunk: Hunk, budget: number): Hunk[] {
  let size = 0;
  for (const line of hunk.lines) size += line.text.length + 10;
  if (size + 200 <= budget) return [hunk];
  const out: Hunk[] = [];
  let lines: Hunk['lines'] = [];
  size = 0;
  const flush = () => {
    if (lines.length === 0) return;
    out.push(subHunk(hunk, lines));
    lines = [];
    size = 0;
  };
  for (const line of hunk.lines) {
    if (size + line.text.length + 10 > budget - 200) flush();
    lines.push(line);
    size += line.text.length + 10;
  }
  flush();
  return out;
}

/** A run of a hunk's lines as a hunk of its own, with headers that match its first line numbers. */
function subHunk(parent: Hunk, lines: Hunk['lines']): Hunk {
  const firstOld = lines.find((l) => l.oldLine !== undefined)?.oldLine;
  const firstNew = lines.find((l) => l.newLine !== undefined)?.newLine;
  const oldLines = lines.filter((l) => l.oldLine !== undefined).length;
  const newLines = lines.filter((l) => l.newLine !== undefined).length;
  return {
    oldStart: firstOld ?? parent.oldStart,
    oldLines,
    newStart: firstNew ?? parent.newStart,
    newLines,
    section: parent.section,
    lines,
  };
}
