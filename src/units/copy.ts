import type { FileDiff, Hunk } from '../diff/types.ts';
import type { UnitFile, UnitHunk } from './types.ts';
import { objectArray } from '../diff/object-array.ts';

/*
 * Copies of files and hunks as units carry them, made with Object.assign onto a fresh object rather than with an
 * object spread. In the V8 of Node 20, `{ ...file, collapsed: false }` gives each copy a hidden class of its own:
 * on a pull request of 500 files, ~500 of them, so every function that reads units (rendering, pricing, counting
 * lines) saw more shapes than its inline caches hold and fell back to generic property lookups. Copies made this
 * way take the same transitions each time: all copies of a kind share one hidden class.
 *
 * The arrays of hunks and lines that units carry are mapped with mapPacked, not `.map`: in optimized code, Node 20's V8
 * builds the result of `.map` as a "holey" array (one whose elements may be missing), while the parser's arrays are
 * packed. Every loop over hunks or lines that had only met packed arrays was then thrown out of its optimized code
 * ("wrong map") and compiled again: on a 120,000-line pull request, ten such deopts in rendering, pricing and
 * counting, each followed by a recompile of 10-50 ms. (Spreads and slices build packed arrays.)
 */

/** `file` with these fields replaced or added (`collapsed` after the file's own fields). */
export function fileWith(file: FileDiff, changes: Partial<UnitFile>): UnitFile {
  return Object.assign({}, file, changes) as UnitFile;
}

/** `hunk` with these fields replaced or added. */
export function hunkWith(hunk: Hunk, changes: Partial<UnitHunk>): UnitHunk {
  return Object.assign({}, hunk, changes);
}

/** `items.map(fn)`, as a packed array (see above). */
export function mapPacked<T, U extends object>(items: readonly T[], fn: (item: T) => U): U[] {
  const out = objectArray<U>();
  for (let i = 0; i < items.length; i++) out.push(fn(items[i]!));
  return out;
}
