import { describe, expect, it } from 'vitest';
import type { FileDiff } from '../../src/diff/types.ts';
import { buildUnits, renderedSize } from '../../src/units/build.ts';
import { fileDiff } from '../helpers/file-diff.ts';

function changedLines(files: FileDiff[]): string[] {
  return files.flatMap((f) => f.hunks.flatMap((h) => h.lines.filter((l) => l.kind !== 'context').map((l) => `${f.path}:${l.kind}:${l.newLine ?? l.oldLine}`)));
}

describe('buildUnits', () => {
  it('puts every changed line in exactly one unit and keeps each unit within budget', () => {
    const big = fileDiff('big.ts', [{ oldStart: 1, newStart: 1, lines: Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? `-old ${i}` : `+new line ${i} ${'x'.repeat(40)}`)) }]);
    const small = Array.from({ length: 12 }, (_, i) => fileDiff(`s${i}.ts`, [{ oldStart: 1, newStart: 1, lines: [' a', `+b${i}`, ' c'] }]));
    const files = [big, ...small];

    const plan = buildUnits(files, { budgetChars: 4000 });

    const inUnits = plan.units.flatMap((u) => changedLines(u.files));
    expect(inUnits.sort()).toEqual(changedLines(files).sort());
    for (const unit of plan.units) expect(unit.files.reduce((n, f) => n + renderedSize(f), 0)).toBeLessThanOrEqual(4000);
    expect(plan.units.length).toBeGreaterThan(4);
  });

  it('keeps correct line numbers in the pieces of a split hunk', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `+line ${i + 1} ${'y'.repeat(30)}`);
    const file = fileDiff('f.ts', [{ oldStart: 0, newStart: 1, lines }]);

    const plan = buildUnits([file], { budgetChars: 3000 });

    for (const unit of plan.units) {
      for (const hunk of unit.files[0]!.hunks) {
        expect(hunk.newStart).toBe(hunk.lines[0]!.newLine);
        expect(hunk.lines.every((l) => l.text.startsWith(`line ${l.newLine} `))).toBe(true);
      }
    }
  });

  it('skips binary, mode-only and unchanged renamed files with a reason', () => {
    const plan = buildUnits(
      [
        fileDiff('a.png', [], { binary: true }),
        fileDiff('run.sh', [], { modeOnly: true }),
        fileDiff('b.ts', [], { status: 'renamed', oldPath: 'a.ts' }),
      ],
      { budgetChars: 1000 },
    );

    expect(plan.units).toEqual([]);
    expect(plan.skipped).toEqual([
      { path: 'a.png', reason: 'binary' },
      { path: 'run.sh', reason: 'mode change only' },
      { path: 'b.ts', reason: 'renamed without changes' },
    ]);
  });
});
