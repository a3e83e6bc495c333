import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makeCacheDir } from './answer-cache.ts';

/**
 * Which pieces of the diff went into each unit of earlier runs, so a run after a push can make the units whose
 * pieces did not change exactly as before: their prompts are then the same, and their answers come from the
 * answer cache. Packing alone cannot keep them: a unit is filled first-fit, so one file that grows moves the files
 * after it into other units, and every unit they touch is a new prompt (a 10-line push to a 1.6 MB pull request
 * re-asked 6 of its 16 units).
 *
 * A piece is known by an id made from its path, its hunks' positions and sizes, and its token count: two pieces
 * with the same id are almost always the same text, and when they are not, only the grouping is reused, never an
 * answer (the prompt, and so its cache key, is made from the text). With each piece goes its path when it was a
 * whole file, so a changed file can take its old place.
 *
 * Kept in one file in the answer cache's directory (one write per run: a file per unit or per piece cost hundreds
 * of ms on a large pull request), the latest run's units first, then older ones that share no piece with them, up
 * to MAX_UNITS.
 */
export interface UnitMemory {
  /** The pieces (id, and path or ''), in order, of the latest unit an earlier run made with this piece in it. */
  recall(id: string): readonly RecalledPiece[] | undefined;
  /** Keeps a unit's pieces, in order, for the runs after this one. */
  remember(pieces: readonly RecalledPiece[]): void;
  /** Writes what was remembered, if it changes anything. Never rejects: a memory not written only costs tokens later. */
  flush(): Promise<void>;
}

/** A piece of a remembered unit: its id, and its file's path when the piece was the whole file ('' otherwise). */
export type RecalledPiece = readonly [id: string, path: string];

/** Bumped when a piece's id or the file format changes, so an old file is never read as a new one. */
const FORMAT = 'loom-units-v1';
const FILE = 'units.json';
const ID = /^[0-9a-f]{32}$/;
/** Units kept: a few runs of the largest pull requests (a 7.6 MB one makes 75), well under a megabyte. */
const MAX_UNITS = 2_000;

/** A piece's id (see UnitMemory) from what identifies it; `parts` must be plain JSON. */
export function pieceId(parts: unknown): string {
  return createHash('sha256').update(FORMAT).update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/** Opens the memory in `dir` (relative to `cwd`: the answer cache's directory). A missing or damaged file is an empty memory. */
export async function openUnitMemory(opts: { dir: string; cwd: string; onWriteError?: (error: unknown) => void }): Promise<UnitMemory> {
  const root = resolve(opts.cwd, opts.dir);
  const file = join(root, FILE);
  const earlier = readUnits(await readFile(file, 'utf8').catch(() => ''));
  const byId = new Map<string, readonly RecalledPiece[]>();
  for (const unit of earlier) for (const [id] of unit) if (!byId.has(id)) byId.set(id, unit);
  const recalled = new Set<readonly RecalledPiece[]>();
  const fresh: (readonly RecalledPiece[])[] = [];
  let changed = false;
  return {
    recall(id) {
      const unit = byId.get(id);
      if (unit) recalled.add(unit);
      return unit;
    },
    remember(pieces) {
      if (pieces.length === 0 || !pieces.every(([id]) => ID.test(id))) return;
      fresh.push(pieces);
      // A unit made again exactly as recalled changes nothing on disk.
      if (![...recalled].some((unit) => sameUnit(unit, pieces))) changed = true;
    },
    async flush() {
      if (!changed) return;
      const taken = new Set(fresh.flatMap((unit) => unit.map(([id]) => id)));
      const kept = [...fresh, ...earlier.filter((unit) => unit.every(([id]) => !taken.has(id)))].slice(0, MAX_UNITS);
      // Written beside the file, then renamed over it: a run reading it meanwhile sees the old or the new one whole.
      const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await makeCacheDir(root);
        await writeFile(temp, JSON.stringify({ format: FORMAT, units: kept }));
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined);
        opts.onWriteError?.(error);
      }
    },
  };
}

/** The units in a memory file's text; none when it is not one (missing, torn, another format). */
function readUnits(text: string): (readonly RecalledPiece[])[] {
  try {
    const entry = JSON.parse(text) as { format?: unknown; units?: unknown };
    if (entry.format !== FORMAT || !Array.isArray(entry.units)) return [];
    const piece = (p: unknown): p is RecalledPiece => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && ID.test(p[0]) && typeof p[1] === 'string';
    return entry.units.filter((unit): unit is RecalledPiece[] => Array.isArray(unit) && unit.length > 0 && unit.every(piece));
  } catch {
    return [];
  }
}

function sameUnit(a: readonly RecalledPiece[], b: readonly RecalledPiece[]): boolean {
  return a.length === b.length && a.every(([id, path], i) => id === b[i]![0] && path === b[i]![1]);
}
