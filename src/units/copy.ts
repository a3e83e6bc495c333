import type { FileDiff, Hunk } from '../diff/types.ts';
import type { UnitFile, UnitHunk } from './types.ts';

/*
 * Copies of files and hunks as units carry them, made with Object.assign onto a fresh object rather than with an
 * object spread. In the V8 of Node 20, `{ ...file, collapsed: false }` gives each copy a hidden class of its own:
 * on a pull request of 500 files, ~500 of them, so every function that reads units (rendering, pricing, counting
 * lines) saw more shapes than its inline caches hold and fell back to generic property lookups. Copies made this
 * way take the same transitions each time: all copies of a kind share one hidden class.
 */

/** `file` with these fields replaced or added (`collapsed` after the file's own fields). */
export function fileWith(file: FileDiff, changes: Partial<UnitFile>): UnitFile {
  return Object.assign({}, file, changes) as UnitFile;
}

/** `hunk` with these fields replaced or added. */
export function hunkWith(hunk: Hunk, changes: Partial<UnitHunk>): UnitHunk {
  return Object.assign({}, hunk, changes);
}
