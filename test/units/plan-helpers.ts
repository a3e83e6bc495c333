import { expect } from 'vitest';
import type { DiffLine, FileDiff } from '../../src/diff/types.ts';
import { renderDiff } from '../../src/prompts/render-diff.ts';
import type { TokenCounter } from '../../src/tokens/counter.ts';
import type { ReviewUnit, UnitPlan } from '../../src/units/types.ts';

/** Every changed line of the input, by identity. */
export function changedLines(files: readonly FileDiff[]): Set<DiffLine> {
  const lines = new Set<DiffLine>();
  for (const file of files) for (const hunk of file.hunks) for (const line of hunk.lines) if (line.kind !== 'context') lines.add(line);
  return lines;
}

/**
 * THE invariant: each changed line is in exactly one unit (as the same DiffLine object: nothing copied) or
 * counted in `skipped`; the totals add up; no unit is over budget, measured with the counter on renderDiff.
 */
export function expectAccountedFor(files: readonly FileDiff[], plan: UnitPlan, budget: number, counter: TokenCounter): void {
  const expected = changedLines(files);
  const seen = new Map<DiffLine, number>();
  for (const unit of plan.units) {
    for (const file of unit.files) for (const hunk of file.hunks) for (const line of hunk.lines) if (line.kind !== 'context') seen.set(line, (seen.get(line) ?? 0) + 1);
    const tokens = counter.count(renderDiff(unit.files));
    expect(tokens, `unit ${unit.id}`).toBeLessThanOrEqual(budget);
    expect(unit.tokens, `unit ${unit.id}`).toBe(tokens);
  }
  expect([...seen.keys()].filter((l) => !expected.has(l)), 'changed lines that are not input objects').toEqual([]);
  expect([...seen.values()].filter((n) => n !== 1), 'lines in more than one unit').toEqual([]);
  const skipped = plan.skipped.reduce((n, s) => n + s.lines, 0);
  const noHunks = files.filter((f) => f.hunks.length === 0).reduce((n, f) => n + f.additions + f.deletions, 0);
  expect(expected.size - seen.size + noHunks, 'lines in no unit').toBe(skipped);
  expect(plan.totals.changedLines).toBe(expected.size + noHunks);
  expect(plan.totals.skipped).toBe(skipped);
  expect(plan.totals.reviewed + plan.totals.summarised + plan.totals.skipped).toBe(plan.totals.changedLines);
  expect(plan.units.reduce((n, u) => n + u.lines!.reviewed + u.lines!.summarised, 0)).toBe(seen.size);
}

/** Deterministic code-like text. */
export function codeLine(seed: number): string {
  const words = ['total', 'items', 'config', 'cache', 'result', 'value', 'index', 'request', 'limit', 'retry'];
  const a = words[seed % words.length]!;
  const b = words[(seed * 7 + 3) % words.length]!;
  switch (seed % 5) {
    case 0:
      return `  const ${a}${seed} = ${b}(${seed});`;
    case 1:
      return `  if (${a} > ${seed}) {`;
    case 2:
      return `    return ${b}.${a}('${seed}');`;
    case 3:
      return '  }';
    default:
      return `  // ${a} before ${b} ${seed}`;
  }
}

/** Every unit a stream of them (streamUnits) gives, in order, and the plan it returns. */
export async function drainUnits(stream: AsyncGenerator<ReviewUnit, UnitPlan, undefined>): Promise<{ units: ReviewUnit[]; plan: UnitPlan }> {
  const units: ReviewUnit[] = [];
  for (;;) {
    const next = await stream.next();
    if (next.done) return { units, plan: next.value };
    units.push(next.value);
  }
}
