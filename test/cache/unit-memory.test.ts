import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openUnitMemory, pieceId, type RecalledPiece } from '../../src/cache/unit-memory.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'loom-memory-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const open = () => openUnitMemory({ dir: '.loom/cache', cwd: dir });
const piece = (name: string, whole = true): RecalledPiece => [pieceId(name), whole ? `src/${name}.ts` : ''];
const file = () => join(dir, '.loom/cache/units.json');

describe('UnitMemory', () => {
  it('finds a unit of an earlier run from any of its pieces, in order, with their paths', async () => {
    const first = await open();
    const unit = [piece('a'), piece('b', false), piece('c')];
    first.remember(unit);
    first.remember([piece('d')]);
    await first.flush();

    const next = await open();
    for (const [id] of unit) expect(next.recall(id)).toEqual(unit);
    expect(next.recall(piece('d')[0])).toEqual([piece('d')]);
    expect(next.recall(piece('e')[0])).toBeUndefined();
    // Kept in the cache directory, which is ignored by git.
    expect(readFileSync(join(dir, '.loom/cache/.gitignore'), 'utf8')).toBe('*\n');
  });

  it('keeps the latest unit a piece was in, and the older units that share no piece with the new ones', async () => {
    const first = await open();
    first.remember([piece('a'), piece('b')]);
    first.remember([piece('x'), piece('y')]);
    await first.flush();
    const second = await open();
    second.remember([piece('b'), piece('c')]);
    await second.flush();

    const third = await open();
    expect(third.recall(piece('b')[0])).toEqual([piece('b'), piece('c')]);
    // The unit with a and b is gone with b; the one with x and y stays.
    expect(third.recall(piece('a')[0])).toBeUndefined();
    expect(third.recall(piece('x')[0])).toEqual([piece('x'), piece('y')]);
  });

  it('writes nothing when every unit was made again as recalled', async () => {
    const first = await open();
    first.remember([piece('a'), piece('b')]);
    await first.flush();
    // Dated a day back: a rewrite would show.
    const dayAgo = new Date(Date.now() - 86_400_000);
    utimesSync(file(), dayAgo, dayAgo);

    const again = await open();
    again.remember(again.recall(piece('a')[0])!);
    await again.flush();
    expect(Math.abs(statSync(file()).mtimeMs - dayAgo.getTime())).toBeLessThan(1_000);

    const changed = await open();
    changed.remember([piece('a')]);
    await changed.flush();
    expect(statSync(file()).mtimeMs - dayAgo.getTime()).toBeGreaterThan(3_600_000);
  });

  it("holds at most 2,000 units: the latest run's, then those of the run before, in the order they were made", async () => {
    const first = await open();
    for (let i = 0; i < 1_500; i++) first.remember([piece(`old${i}`)]);
    await first.flush();
    const second = await open();
    for (let i = 0; i < 1_000; i++) second.remember([piece(`new${i}`)]);
    await second.flush();

    const units = JSON.parse(readFileSync(file(), 'utf8')).units as RecalledPiece[][];
    expect(units).toHaveLength(2_000);
    const third = await open();
    expect(third.recall(piece('new999')[0])).toBeDefined();
    expect(third.recall(piece('old999')[0])).toBeDefined();
    expect(third.recall(piece('old1000')[0])).toBeUndefined();
  });

  it('says once, and does not throw, when it cannot write', async () => {
    writeFileSync(join(dir, '.loom'), 'a file where the cache directory should be');
    const errors: unknown[] = [];
    const memory = await openUnitMemory({ dir: '.loom/cache', cwd: dir, onWriteError: (e) => errors.push(e) });
    memory.remember([piece('a')]);
    await expect(memory.flush()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});
