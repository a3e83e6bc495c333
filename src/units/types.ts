import type { FileDiff } from '../diff/types.ts';

/** A slice of the diff reviewed in one model call per pipeline. */
export interface ReviewUnit {
  /** Stable within a run, e.g. `u3`; used in progress lines and failure reports. */
  id: string;
  /** Files (or parts of files: a subset of their hunks) in this unit. */
  files: FileDiff[];
}
