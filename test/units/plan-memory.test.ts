import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openUnitMemory } from '../../src/cache/unit-memory.ts';
import type { FileDiff } from '../../src/diff/types.ts';
import { renderDiff } from '../../src/prompts/render-diff.ts';
import { createTokenCounter, type TokenCounter } from '../../src/tokens/counter.ts';
import { planUnits, prefetchCosts, streamUnits, type PlanOptions } from '../../src/units/plan.ts';
import type { ReviewUnit, UnitPlan } from '../../src/units/types.ts';
import { fileDiff } from '../helpers/file-diff.ts';
import { codeLine, expectAccountedFor } from './plan-helpers.ts';

// A push to a pull request planned before: the units whose files did not change must come out as they were (the
// same prompts, so the answer cache has them), wherever the changed file sits in the review order.

let counter: TokenCounter;
let dir: string | undefined;
beforeAll(async () => {
  counter = await createTokenCounter({ model: 'gpt-4o' });
});
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const BUDGET = 1_200;
const added = (path: string, lines: number, seed: number) =>
  fileDiff(path, [{ oldStart: 0, newStart: 1, lines: Array.from({ length: lines }, (_, i) => `+${codeLine(seed * 1000 + i)}`) }], { status: 'added' });
/** 24 source files of 8 to 50 lines: a few to a unit, packed first fit. */
const sizes = Array.from({ length: 24 }, (_, i) => 8 + ((i * 17) % 43));
const diff = (grow: Record<number, number> = {}, drop: number[] = []): FileDiff[] =>
  sizes.flatMap((size, i) => (drop.includes(i) ? [] : [added(`src/m${String(i).padStart(2, '0')}.ts`, size + (grow[i] ?? 0), i)]));

/** What a unit's prompt holds: its rendered diff. */
const prompts = (plan: UnitPlan) => plan.units.map((unit) => renderDiff(unit.files));
const newPrompts = (before: UnitPlan, after: UnitPlan) => prompts(after).filter((p) => !prompts(before).includes(p));

async function planWithMemory(files: FileDiff[], opts: Omit<PlanOptions, 'memory'> = { budgetTokens: BUDGET, counter, skipPaths: [] }): Promise<UnitPlan> {
  dir ??= mkdtempSync(join(tmpdir(), 'loom-units-'));
  const memory = await openUnitMemory({ dir, cwd: dir });
  const plan = planUnits(files, { ...opts, memory });
  await memory.flush();
  return plan;
}

describe('planning with the units of earlier runs (UnitMemory)', () => {
  it('after one file grew, makes every other unit again as it was, where first fit alone moves files between units', async () => {
    const first = await planWithMemory(diff());
    expect(first.units.length).toBeGreaterThan(4);
    expect(first.units.every((u) => u.files.length > 1)).toBe(true);

    // The third file in review order gets 12 more lines.
    const pushed = diff({ 2: 12 });
    const withMemory = await planWithMemory(pushed);
    const without = planUnits(pushed, { budgetTokens: BUDGET, counter, skipPaths: [] });

    // Every unit but the one that held src/m02.ts is made again; that one, grown past the budget, gives up its last
    // file to another unit: two new prompts. First fit alone moves files of later units too.
    const untouched = prompts(first).filter((p) => !p.includes('### src/m02.ts'));
    expect(untouched.filter((p) => !prompts(without).includes(p)).length, 'first fit alone').toBeGreaterThan(0);
    expect(untouched.filter((p) => !prompts(withMemory).includes(p))).toEqual([]);
    expect(newPrompts(first, withMemory).length).toBeLessThanOrEqual(2);
    expect(newPrompts(first, without).length).toBeGreaterThan(2);
    expectAccountedFor(pushed, withMemory, BUDGET, counter);
  });

  it('a changed file keeps its place even when it comes first in its unit, and a file taken out of the diff leaves the rest of its unit reviewed', async () => {
    const first = await planWithMemory(diff());
    const firstOfUnits = first.units.map((u) => u.files[0]!.path);
    const grown = Number(firstOfUnits[1]!.slice(5, 7));
    const dropped = Number(first.units[2]!.files[1]!.path.slice(5, 7));

    const pushed = diff({ [grown]: 5 }, [dropped]);
    const again = await planWithMemory(pushed);

    expectAccountedFor(pushed, again, BUDGET, counter);
    const fresh = newPrompts(first, again);
    // The unit whose first file grew, and the unit that lost a file (its others packed again): nothing else.
    expect(fresh.length).toBeLessThanOrEqual(2);
    expect(fresh.some((p) => p.includes(`### src/m${String(grown).padStart(2, '0')}.ts`))).toBe(true);
    expect(prompts(again).filter((p) => prompts(first).includes(p))).toHaveLength(first.units.length - 2);
  });

  it('streams the same units as it plans at once', async () => {
    await planWithMemory(diff());
    const pushed = diff({ 5: 20 });
    const atOnce = await planWithMemory(pushed);
    const memory = await openUnitMemory({ dir: dir!, cwd: dir! });
    const opts = { budgetTokens: BUDGET, counter, skipPaths: [], memory };
    const streamed: ReviewUnit[] = [];
    const stream = streamUnits(pushed, { ...opts, costs: prefetchCosts(pushed, opts)!.costs });
    let step = await stream.next();
    for (; !step.done; step = await stream.next()) streamed.push(step.value);
    await memory.flush();

    expect(prompts(step.value).sort()).toEqual(prompts(atOnce).sort());
    expectAccountedFor(pushed, step.value, BUDGET, counter);
  });

  it('accounts for every changed line in plans after random pushes (files grown, shrunk, dropped, added, split)', async () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const multi = (path: string, hunks: number, salt: number) =>
      fileDiff(path, Array.from({ length: hunks }, (_, h) => ({ oldStart: 1 + h * 50, newStart: 1 + h * 50, lines: [' keep', `-${codeLine(salt + h)}`, `+${codeLine(salt + h + 1)} // new`, ' keep'] })));
    let reused = 0;
    for (let round = 0; round < 6; round++) {
      dir ??= mkdtempSync(join(tmpdir(), 'loom-units-'));
      const sizesNow = Array.from({ length: 20 }, () => 4 + random(60));
      let files: FileDiff[] = sizesNow.map((size, i) => added(`src/r${i}.ts`, size, i));
      files.push(added('src/big.ts', 300, 99), multi('src/many.ts', 40, 500));
      let previous = await planWithMemory(files);
      for (let push = 0; push < 3; push++) {
        files = files.flatMap((file, i) => {
          const roll = random(10);
          if (roll === 0) return [];
          if (roll < 3 && file.path.startsWith('src/r')) return [added(file.path, 1 + random(80), i + push * 31)];
          return [file];
        });
        if (random(2)) files.splice(random(files.length), 0, added(`test/new${round}-${push}.test.ts`, 5 + random(40), 700 + push));
        const plan = await planWithMemory(files);
        expectAccountedFor(files, plan, BUDGET, counter);
        reused += prompts(plan).filter((p) => prompts(previous).includes(p)).length;
        previous = plan;
      }
      rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    }
    // The memory was at work: units came out again as they were.
    expect(reused).toBeGreaterThan(10);
  });

  it('ignores what it cannot read: a torn or foreign file plans as with no memory', async () => {
    await planWithMemory(diff());
    const pushed = diff({ 2: 12 });
    const alone = prompts(planUnits(pushed, { budgetTokens: BUDGET, counter, skipPaths: [] }));
    const file = join(dir!, 'units.json');
    const good = readFileSync(file, 'utf8');
    for (const text of [good.slice(0, good.length / 2), '{"format":"loom-units-v0","units":[]}', '{"format":"loom-units-v1","units":[[["not an id","src/m02.ts"]]]}']) {
      writeFileSync(file, text);
      expect(prompts(await planWithMemory(pushed))).toEqual(alone);
    }
  });
});
