import { beforeAll, describe, expect, it } from 'vitest';
import type { DiffLine, FileDiff, Hunk } from '../../src/diff/types.ts';
import { buildFinding } from '../../src/findings/build.ts';
import { indexDiff } from '../../src/findings/diff-index.ts';
import { renderDiff } from '../../src/prompts/render-diff.ts';
import { createTokenCounter, type TokenCounter } from '../../src/tokens/counter.ts';
import { isDeleteOnly } from '../../src/units/exact.ts';
import { summariseLongRemovals } from '../../src/units/long-removals.ts';
import { planUnits, prefetchCosts, streamUnits } from '../../src/units/plan.ts';
import { REMOVAL_ENDS_SHOWN } from '../../src/units/removal-ends.ts';
import { shownPart } from '../../src/units/shown.ts';
import { fileDiff } from '../helpers/file-diff.ts';
import { codeLine, drainUnits, expectAccountedFor } from './plan-helpers.ts';

let counter: TokenCounter;
beforeAll(async () => {
  counter = await createTokenCounter({ model: 'gpt-4o' });
});

/** `count` diff lines of one kind, each text ending with the number the line has on its side. */
const run = (marker: '-' | '+' | ' ', count: number, from: number) => Array.from({ length: count }, (_, i) => `${marker}${codeLine(i)} @${from + i}`);

/** A header that matches its lines, as git counts them: checked against the numbers the lines carry. */
function expectConsistent(hunk: Hunk): void {
  const old = hunk.lines.filter((l) => l.oldLine !== undefined);
  const now = hunk.lines.filter((l) => l.newLine !== undefined);
  expect(hunk.oldLines).toBe(old.length);
  expect(hunk.newLines).toBe(now.length);
  if (old.length > 0) expect(hunk.oldStart).toBe(old[0]!.oldLine);
  if (now.length > 0) expect(hunk.newStart).toBe(now[0]!.newLine);
  for (let i = 1; i < old.length; i++) expect(old[i]!.oldLine).toBe(old[i - 1]!.oldLine! + 1);
  for (let i = 1; i < now.length; i++) expect(now[i]!.newLine).toBe(now[i - 1]!.newLine! + 1);
}

const linesOf = (file: FileDiff): DiffLine[] => file.hunks.flatMap((h) => h.lines);

describe('summariseLongRemovals', () => {
  it('cuts the middle of a long removal out of a hunk that adds lines, keeping the removed lines that the addition replaces', () => {
    // A bundle of 500 lines replaced by a 30-line entry point, between context lines.
    const file = fileDiff('lib/server.js', [{ oldStart: 17, newStart: 17, section: 'var x = 1;', lines: [...run(' ', 3, 17), ...run('-', 500, 20), ...run('+', 30, 20), ...run(' ', 3, 520)] }]);

    const cut = summariseLongRemovals(file, 200);

    expect(cut).not.toBe(file);
    expect(linesOf(cut)).toEqual(linesOf(file));
    linesOf(cut).forEach((line, i) => expect(line).toBe(linesOf(file)[i]));
    // Context alone before the run (no addition borders it there); the run but its last 20; those 20 with the addition.
    expect(cut.hunks.map((h) => h.lines.length)).toEqual([3, 480, REMOVAL_ENDS_SHOWN + 30 + 3]);
    expect(cut.hunks.map((h) => isDeleteOnly(h))).toEqual([false, true, false]);
    for (const hunk of cut.hunks) expectConsistent(hunk);
    expect(cut.hunks.map((h) => h.section)).toEqual(['var x = 1;', 'var x = 1;', 'var x = 1;']);
    expect(cut.hunks[1]).toMatchObject({ oldStart: 20, oldLines: 480, newLines: 0 });
    expect(cut.hunks[2]!.lines[0]!.text.endsWith('@500')).toBe(true);
    expect({ additions: cut.additions, deletions: cut.deletions }).toEqual({ additions: 30, deletions: 500 });
  });

  it('keeps removed lines on show at both ends where additions border the run on both sides, for every long run of a hunk', () => {
    const file = fileDiff('src/a.ts', [
      {
        oldStart: 1,
        newStart: 1,
        lines: [...run('+', 2, 1), ...run('-', 300, 1), ...run('+', 2, 3), ...run(' ', 1, 301), ...run('-', 250, 302), ...run(' ', 2, 552), ...run('-', 90, 554), ...run('+', 1, 8)],
      },
    ]);

    const cut = summariseLongRemovals(file, 200);

    linesOf(cut).forEach((line, i) => expect(line).toBe(linesOf(file)[i]));
    // +2 -20 | -260 | -20 +2 (context) | -250 | (context) -90 +1: the 90-line run is under the limit.
    expect(cut.hunks.map((h) => h.lines.length)).toEqual([2 + 20, 260, 20 + 2 + 1, 250, 2 + 90 + 1]);
    expect(cut.hunks.map((h) => isDeleteOnly(h))).toEqual([false, true, false, true, false]);
    for (const hunk of cut.hunks) expectConsistent(hunk);
    // A removed-only part has no line on the new side: it sits after the last one before it, as git writes `+N,0`.
    expect(cut.hunks[1]).toMatchObject({ newStart: 2, newLines: 0 });
  });

  it('leaves alone runs up to the limit, hunks that only remove, files with nothing added; and gives the same copy each time', () => {
    const short = fileDiff('src/short.ts', [{ oldStart: 1, newStart: 1, lines: [...run('-', 200, 1), ...run('+', 5, 1)] }]);
    const removedOnly = fileDiff('src/gone-part.ts', [{ oldStart: 1, newStart: 1, lines: [' a', ...run('-', 900, 2), ' b'] }, { oldStart: 950, newStart: 50, lines: ['+new'] }]);
    const deleted = fileDiff('src/gone.ts', [{ oldStart: 1, newStart: 0, lines: run('-', 900, 1) }], { status: 'deleted' });
    expect(summariseLongRemovals(short, 200)).toBe(short);
    expect(summariseLongRemovals(removedOnly, 200)).toBe(removedOnly);
    expect(summariseLongRemovals(deleted, 200)).toBe(deleted);

    const long = fileDiff('src/long.ts', [{ oldStart: 1, newStart: 1, lines: [...run('-', 201, 1), ...run('+', 5, 1)] }]);
    const once = summariseLongRemovals(long, 200);
    expect(once.hunks).toHaveLength(2);
    expect(summariseLongRemovals(long, 200)).toBe(once);
    expect(summariseLongRemovals(long, 300)).toBe(long);
  });
});

describe('planning with summarise_removed_over', () => {
  const replaced = () =>
    fileDiff('lib/server.js', [
      { oldStart: 17, newStart: 17, lines: [...run(' ', 3, 17), ...run('-', 3000, 20), ...run('+', 30, 20), ...run(' ', 3, 3020)] },
      { oldStart: 4000, newStart: 1000, lines: [...run(' ', 3, 4000), ...run('-', 10, 4003), ...run('+', 10, 1003), ...run(' ', 3, 4013)] },
    ]);
  const other = () => fileDiff('src/util.ts', [{ oldStart: 5, newStart: 5, lines: [...run(' ', 2, 5), ...run('+', 3, 7), ...run(' ', 2, 7)] }]);

  it('shows the marker instead of the middle of the run, counts its lines as summarised, and accounts for every line', () => {
    const files = [replaced(), other()];
    const plan = planUnits(files, { budgetTokens: 8_000, counter, skipPaths: [], summariseRemovedOver: 200 });

    expectAccountedFor(files, plan, 8_000, counter);
    expect(plan.units).toHaveLength(1);
    const text = renderDiff(plan.units[0]!.files);
    expect(text).toContain(`… ${3000 - REMOVAL_ENDS_SHOWN} lines removed (not shown)`);
    expect(text).not.toContain('@2000');
    expect(text).toContain('@3019');
    expect(plan.totals).toEqual({ files: 2, changedLines: 3053, reviewed: 3053 - 2980, summarised: 2980, skipped: 0 });

    // Without the option every removed line is shown, and the same lines no longer fit one unit.
    const whole = planUnits(files, { budgetTokens: 8_000, counter, skipPaths: [] });
    expectAccountedFor(files, whole, 8_000, counter);
    expect(whole.units.length).toBeGreaterThan(3);
    expect(whole.totals.summarised).toBe(0);
  });

  it('streams the same units from counts made ahead (prefetchCosts) as it plans at once', async () => {
    const files = [replaced(), other()];
    const opts = { budgetTokens: 8_000, counter, skipPaths: [], summariseRemovedOver: 200 };
    const prefetched = prefetchCosts(files, opts)!;
    await prefetched.settled;
    const { units: streamed, plan } = await drainUnits(streamUnits(files, { ...opts, costs: prefetched.costs }));
    const atOnce = planUnits(files, opts);
    expect(streamed.map((u) => renderDiff(u.files))).toEqual(atOnce.units.map((u) => renderDiff(u.files)));
    expect(plan.totals).toEqual(atOnce.totals);
  });

  it('does not count the lines a marker stands for in a file cut into many units, and still accounts for them', async () => {
    // Too big for one unit: 6,000 shown lines, a hunk that only removes 5,000 and a long removal beside additions.
    const file = fileDiff('lib/bundle.js', [
      { oldStart: 1, newStart: 1, lines: [...run(' ', 3, 1), ...run('-', 5_000, 4), ...run(' ', 3, 5_004)] },
      { oldStart: 6_000, newStart: 1_000, lines: [...run('-', 4_000, 6_000), ...run('+', 6_000, 1_000)] },
    ]);
    const seg = counter.segments!;
    const asked: string[] = [];
    const watched = { ...seg, countRawAsync: (texts: readonly string[], background?: boolean) => (asked.push(...texts), seg.countRawAsync(texts, background)) };
    const { ExactCosts } = await import('../../src/units/exact.ts');
    const opts = { budgetTokens: 8_000, counter, skipPaths: [], summariseRemovedOver: 200 };
    const { units, plan } = await drainUnits(streamUnits([file], { ...opts, costs: new ExactCosts(watched) }));

    expect(units.length).toBeGreaterThan(5);
    expect(plan.totals).toEqual({ files: 1, changedLines: 15_000, reviewed: 6_000 + REMOVAL_ENDS_SHOWN, summarised: 5_000 + 4_000 - REMOVAL_ENDS_SHOWN, skipped: 0 });
    // Of the removed lines, only the 20 shown before the additions were counted.
    const removedAsked = asked.filter((text) => / - /.test(text.slice(0, 4)));
    expect(removedAsked).toHaveLength(REMOVAL_ENDS_SHOWN);
    expect(asked.filter((text) => / \+ /.test(text.slice(0, 4))).length).toBeGreaterThanOrEqual(6_000);
    const shown = units.map((u) => renderDiff(u.files)).join('\n');
    expect(shown).toContain('… 5000 lines removed (not shown)');
    expect(shown).toContain(`… ${4_000 - REMOVAL_ENDS_SHOWN} lines removed (not shown)`);
  });

  it('does not post a finding on a summarised line where the model was not shown it', () => {
    const file = replaced();
    const plan = planUnits([file], { budgetTokens: 8_000, counter, skipPaths: [], summariseRemovedOver: 200 });
    const unit = plan.units[0]!;
    const draft = { path: 'lib/server.js', side: 'old' as const, severity: 'warning' as const, pipeline: 'review', ruleId: 'review', title: 't', body: 'b' };
    const index = indexDiff([file]);
    // Line 1000 of the old file is in the middle of the run; line 3010 among the 20 shown before the addition.
    expect(buildFinding({ ...draft, line: 1000 }, index, indexDiff(shownPart(unit.files)))).toMatchObject({ inDiff: false, notShown: true });
    expect(buildFinding({ ...draft, line: 3010 }, index, indexDiff(shownPart(unit.files)))).toMatchObject({ inDiff: true });
    expect(buildFinding({ ...draft, line: 1000 }, index, indexDiff(unit.files)).notShown).toBeUndefined();
  });
});
