import { describe, expect, it } from 'vitest';
import { parseDiff } from '../../src/diff/parse.ts';
import { ParsedLine } from '../../src/diff/parsed-line.ts';
import type { DiffLine } from '../../src/diff/types.ts';
import { LineCounts } from '../../src/units/line-counts.ts';

/** A diff of one file with `count` added lines, `l0`, `l1`, ... */
function diffOf(count: number): string {
  const added = Array.from({ length: count }, (_, i) => `+l${i}\n`).join('');
  return `diff --git a/f b/f\nnew file mode 100644\n--- /dev/null\n+++ b/f\n@@ -0,0 +1,${count} @@\n${added}`;
}

const linesOf = (diff: string): DiffLine[] => parseDiff(diff).flatMap((file) => file.hunks.flatMap((hunk) => hunk.lines));

describe('ParsedLine', () => {
  it('numbers every parsed line apart, over parses, and leaves copies and hand-made lines without a number', () => {
    const lines = [...linesOf(diffOf(3)), ...linesOf(diffOf(3))];
    const ids = lines.map((line) => ParsedLine.idOf(line));
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(lines.length);
    expect(ParsedLine.idOf({ ...lines[0]! })).toBeUndefined();
    expect(ParsedLine.idOf({ kind: 'add', newLine: 1, text: 'l0' })).toBeUndefined();
  });

  it('looks like any other DiffLine to deep comparison and JSON', () => {
    const [line] = linesOf(diffOf(1));
    expect(line).toEqual({ kind: 'add', newLine: 1, text: 'l0' });
    expect(JSON.stringify(line)).toBe(JSON.stringify({ kind: 'add', oldLine: undefined, newLine: 1, text: 'l0' }));
  });
});

describe('LineCounts', () => {
  it('keeps a count per line object, whatever its text, across blocks of numbers and for lines without one', () => {
    // More lines than a block holds, so the numbers span at least two blocks.
    const lines = linesOf(diffOf(10_000));
    const counts = new LineCounts();
    lines.forEach((line, i) => {
      if (i % 3 !== 1) counts.set(line, i % 7);
    });
    lines.forEach((line, i) => expect(counts.get(line)).toBe(i % 3 !== 1 ? i % 7 : undefined));
    expect(counts.has(lines[0]!)).toBe(true);
    expect(counts.get(lines[0]!)).toBe(0);
    expect(counts.has(lines[1]!)).toBe(false);

    // A copy with the same fields is another line: it has no count until given one, and its own after.
    const copy = { ...lines[3]! };
    const made: DiffLine = { kind: 'add', newLine: 4, text: 'l3' };
    expect(counts.get(copy)).toBeUndefined();
    expect(counts.get(made)).toBeUndefined();
    counts.set(copy, 41);
    counts.set(made, 0);
    expect([counts.get(copy), counts.get(made), counts.get(lines[3]!)]).toEqual([41, 0, 3]);

    // Lines of another parse never see these counts.
    expect(linesOf(diffOf(10_000)).some((line) => counts.has(line))).toBe(false);
  });
});
