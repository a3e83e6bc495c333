import type { FileDiff, Hunk } from '../diff/types.ts';

/**
 * A hunk as a unit carries it: the whole hunk, or a run of a hunk too big for one call. A run after the first
 * starts with a few lines of the one before it, as `context` copies, so the model sees where it is.
 */
export interface UnitHunk extends Hunk {
  /**
   * The hunk only removes lines: the model is shown one marker line (`… N lines removed`) instead of `lines`.
   * `lines` is still complete, for coverage and anchoring; its removed lines count as reviewed by summary.
   */
  collapsed?: boolean;
}

/** A file (or part of one: a subset of its hunks) as a unit carries it. */
export interface UnitFile extends FileDiff {
  hunks: UnitHunk[];
  /** A deleted file: the model is shown one line, `(file deleted: N lines)`, instead of its hunks (also marked collapsed). */
  collapsed?: boolean;
}

/** A slice of the diff reviewed in one model call per pipeline. */
export interface ReviewUnit {
  /** Stable within a run, e.g. `u3`; used in progress lines and failure reports. */
  id: string;
  /** Files (or parts of files: a subset of their hunks) in this unit. */
  files: UnitFile[];
  /** Tokens of `renderDiff(files)`, counted with the planning counter (set by planUnits). */
  tokens?: number;
  /** Changed lines this unit accounts for (set by planUnits): shown line by line, or stood for by a marker. */
  lines?: UnitLines;
}

export interface UnitLines {
  reviewed: number;
  summarised: number;
}

/** Changed lines no model call will see, with why. */
export interface SkippedLines {
  path: string;
  reason: string;
  /** Changed lines (added + removed) this entry accounts for; 0 for a binary file or a pure rename. */
  lines: number;
}

export interface UnitPlan {
  /** Most important files first: units are started in this order under the concurrency limit. */
  units: ReviewUnit[];
  skipped: SkippedLines[];
  /** Changed lines of the input; always `reviewed + summarised + Σ skipped.lines`. */
  totals: { files: number; changedLines: number; reviewed: number; summarised: number; skipped: number };
}
