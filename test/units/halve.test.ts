import { describe, expect, it } from 'vitest';
import { parseDiff } from '../../src/diff/parse.ts';
import type { DiffLine } from '../../src/diff/types.ts';
import { renderDiff } from '../../src/prompts/render-diff.ts';
import { halveUnit } from '../../src/units/halve.ts';
import type { ReviewUnit, UnitFile } from '../../src/units/types.ts';
import { fileDiff } from '../helpers/file-diff.ts';

const changed = (unit: ReviewUnit): DiffLine[] => unit.files.flatMap((f) => f.hunks.flatMap((h) => h.lines.filter((l) => l.kind !== 'context')));

/** Halves `unit` until no part can be halved again; every part made on the way must hold exactly its parent's lines. */
function leaves(unit: ReviewUnit): ReviewUnit[] {
  const halves = halveUnit(unit);
  if (!halves) return [unit];
  expect(halves.map((h) => h.id)).toEqual([`${unit.id}.1`, `${unit.id}.2`]);
  const lines = halves.flatMap((h) => h.files.flatMap((f) => f.hunks.flatMap((hunk) => hunk.lines)));
  expect(lines).toEqual(unit.files.flatMap((f) => f.hunks.flatMap((hunk) => hunk.lines)));
  for (const half of halves) {
    expect(half.files.length).toBeGreaterThan(0);
    expect(half.lines).toEqual({ reviewed: changed(half).length, summarised: 0 });
  }
  return halves.flatMap(leaves);
}

/** Each hunk header renderDiff prints must number the lines under it as they are: git's diff rebuilt with it parses back to them. */
function headersMatch(file: UnitFile): void {
  const headers = renderDiff([file]).split('\n').filter((line) => line.startsWith('@@'));
  const marker = (line: DiffLine) => (line.kind === 'add' ? '+' : line.kind === 'del' ? '-' : ' ');
  const hunks = file.hunks.map((hunk, i) => [headers[i], ...hunk.lines.map((line) => `${marker(line)}${line.text}`)].join('\n'));
  const reparsed = parseDiff(`diff --git a/${file.path} b/${file.path}\n--- a/${file.path}\n+++ b/${file.path}\n${hunks.join('\n')}\n`);
  expect(reparsed[0]!.hunks.map((h) => h.lines)).toEqual(file.hunks.map((h) => h.lines));
}

describe('halveUnit', () => {
  it('splits files into two groups of about equal size, keeping their order', () => {
    const files = [10, 1, 1, 1, 9].map((n, i) => fileDiff(`f${i}.ts`, [{ oldStart: 1, newStart: 1, lines: Array.from({ length: n }, (_, k) => `+line ${k} of a file`) }]));
    const [a, b] = halveUnit({ id: 'u1', files })!;
    expect(a.files.map((f) => f.path)).toEqual(['f0.ts', 'f1.ts']);
    expect(b.files.map((f) => f.path)).toEqual(['f2.ts', 'f3.ts', 'f4.ts']);
  });

  it('splits one file at a hunk boundary, and one hunk into two runs whose headers match their lines', () => {
    const file = fileDiff('a.ts', [
      { oldStart: 10, newStart: 10, lines: [' keep', '-old one', '-old two', '+new one', '+new two', '+new three', ' keep too'], section: 'function f() {' },
      { oldStart: 40, newStart: 41, lines: [' x', '+y', ' z'] },
    ]);
    const [a, b] = halveUnit({ id: 'u2', files: [file] })!;
    expect(a.files[0]!.hunks).toEqual([file.hunks[0]]);
    expect(b.files[0]!.hunks).toEqual([file.hunks[1]]);
    const [c, d] = halveUnit(a)!;
    for (const part of [c, d]) {
      expect(part.files[0]!.hunks[0]!.section).toBe('function f() {');
      headersMatch(part.files[0]!);
    }
    expect(c.files[0]!.hunks[0]).toMatchObject({ oldStart: 10, newStart: 10 });
  });

  it('halves down to single lines, each changed line in exactly one part, and no further', () => {
    const files = [
      fileDiff('one.ts', [{ oldStart: 1, newStart: 1, lines: [' a', '-b', '+c', '+d', ' e', '-f', '+g'] }, { oldStart: 30, newStart: 31, lines: ['+h', '+i', ' j'] }]),
      fileDiff('two.ts', [{ oldStart: 5, newStart: 5, lines: ['-k', '-l', '+m'] }]),
    ];
    const unit: ReviewUnit = { id: 'u3', files };
    const parts = leaves(unit);
    expect(parts.every((p) => p.files.length === 1 && p.files[0]!.hunks.length === 1 && p.files[0]!.hunks[0]!.lines.length === 1)).toBe(true);
    expect(parts.flatMap(changed)).toEqual(changed(unit));
    for (const part of parts) headersMatch(part.files[0]!);
  });

  it('cannot split a one-line summary or a single line', () => {
    const deleted: UnitFile = { ...fileDiff('gone.ts', [{ oldStart: 1, newStart: 0, lines: ['-a', '-b'] }], { status: 'deleted' }), collapsed: true };
    expect(halveUnit({ id: 'u4', files: [deleted] })).toBeUndefined();
    const removed = fileDiff('r.ts', [{ oldStart: 3, newStart: 2, lines: ['-a', '-b', '-c'] }]);
    expect(halveUnit({ id: 'u5', files: [{ ...removed, hunks: [{ ...removed.hunks[0]!, collapsed: true }] }] })).toBeUndefined();
    expect(halveUnit({ id: 'u6', files: [fileDiff('one.ts', [{ oldStart: 1, newStart: 1, lines: ['+only'] }])] })).toBeUndefined();
  });
});
