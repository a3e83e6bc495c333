import { beforeAll, describe, expect, it } from 'vitest';
import type { FileDiff } from '../../src/diff/types.ts';
import { renderDiff } from '../../src/prompts/render-diff.ts';
import { createTokenCounter, type TokenCounter } from '../../src/tokens/counter.ts';
import { planUnits, prefetchCosts, streamUnits } from '../../src/units/plan.ts';
import type { ReviewUnit } from '../../src/units/types.ts';
import { fileDiff } from '../helpers/file-diff.ts';
import { codeLine, expectAccountedFor } from './plan-helpers.ts';

let counter: TokenCounter;
beforeAll(async () => {
  counter = await createTokenCounter({ model: 'gpt-4o' });
});

const added = (path: string, lines: string[], section = '') => fileDiff(path, [{ oldStart: 0, newStart: 1, lines: lines.map((l) => `+${l}`), section }], { status: 'added' });

/** Lines whose text ends with their own line number, so a test can see that numbering survived a split. */
const numbered = (count: number, from = 1) => Array.from({ length: count }, (_, i) => `${codeLine(i)} // ${from + i}`);

function awkwardDiff(): FileDiff[] {
  return [
    added('src/huge.ts', numbered(1500), 'class Huge {'),
    fileDiff(
      'src/big.ts',
      Array.from({ length: 12 }, (_, h) => ({
        oldStart: 1 + h * 100,
        newStart: 1 + h * 100,
        section: `function part${h}() {`,
        lines: Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? `-${codeLine(h * 30 + i)}` : i % 3 === 1 ? `+${codeLine(h * 30 + i + 1)} // new` : ` ${codeLine(i)}`)),
      })),
    ),
    ...Array.from({ length: 40 }, (_, i) => fileDiff(`src/tiny/t${i}.ts`, [{ oldStart: 1, newStart: 1, lines: [' a', `+b${i}`, ' c'] }])),
    fileDiff('src/mixed.ts', [
      { oldStart: 10, newStart: 10, lines: [' keep', '-gone one', '-gone two', ' keep too'] },
      { oldStart: 40, newStart: 38, lines: [' x', '+y', ' z'] },
    ]),
    fileDiff('src/gone.ts', [{ oldStart: 1, newStart: 0, lines: numbered(30).map((l) => `-${l}`) }], { status: 'deleted' }),
    fileDiff('img/logo.png', [], { binary: true, status: 'added' }),
    fileDiff('src/new-name.ts', [], { status: 'renamed', oldPath: 'src/old-name.ts' }),
    fileDiff('bin/run.sh', [], { modeOnly: true, oldMode: '100644', newMode: '100755' }),
    fileDiff('third_party/sub', [], { binary: true, oldMode: '160000', newMode: '160000' }),
    added('web/static/app.min.js', ['var a=1;']),
    added('a/b/c/yarn.lock', ['lock 1', 'lock 2']),
    added('dist/out.js', ['built']),
    added('src/dist/keep.ts', ['export const kept = true;']),
    added('.generated/api.ts', ['export {};', '// generated']),
    added('docs/i18n.md', ['日本語のテキストです。レビューしてください。', 'emoji 🎉🎉🎉 and ünïcödé', 'Ελληνικά κείμενα'.repeat(5)]),
    added('src/ünïcode.ts', ['export const 名前 = "値";']),
  ];
}

const SKIP = ['*.min.js', '**/*.lock', '/dist/', '.generated/**'];

describe('planUnits', () => {
  it('cuts a file just over the budget whose short line numbers are padded when printed with its long ones', () => {
    // Lines 1-999 print with a space before their number once the file reaches line 1000: priced at their own
    // widths, the file's one hunk looks like it fits a budget its rendering is over.
    const file = added('src/pad.ts', numbered(1_400));
    const whole = counter.count(renderDiff([file]));
    for (const budget of [whole - 1, whole - 50, whole - 400]) {
      const plan = planUnits([file], { budgetTokens: budget, counter, skipPaths: [] });
      expect(plan.skipped).toEqual([]);
      expect(plan.units.length).toBe(2);
      expectAccountedFor([file], plan, budget, counter);
    }
  });

  it('accounts for every changed line of an awkward diff exactly once, and keeps every unit within budget', () => {
    const files = awkwardDiff();
    const plan = planUnits(files, { budgetTokens: 700, counter, skipPaths: SKIP });

    expectAccountedFor(files, plan, 700, counter);
    expect(plan.units.length).toBeGreaterThan(30);
    expect([...plan.skipped].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: '.generated/api.ts', reason: 'skip_paths: .generated/**', lines: 2 },
      { path: 'a/b/c/yarn.lock', reason: 'skip_paths: **/*.lock', lines: 2 },
      { path: 'bin/run.sh', reason: 'mode change only', lines: 0 },
      { path: 'dist/out.js', reason: 'skip_paths: /dist/', lines: 1 },
      { path: 'img/logo.png', reason: 'binary', lines: 0 },
      { path: 'src/new-name.ts', reason: 'renamed without changes', lines: 0 },
      { path: 'third_party/sub', reason: 'submodule', lines: 0 },
      { path: 'web/static/app.min.js', reason: 'skip_paths: *.min.js', lines: 1 },
    ]);
    expect(plan.totals).toEqual({ files: files.length, changedLines: 1500 + 240 + 40 + 3 + 30 + 1 + 2 + 1 + 1 + 2 + 3 + 1, reviewed: 1500 + 240 + 40 + 1 + 1 + 3 + 1, summarised: 32, skipped: 6 });
    const paths = new Set(plan.units.flatMap((u) => u.files.map((f) => f.path)));
    expect(paths.has('src/dist/keep.ts')).toBe(true);
    expect(paths.has('src/ünïcode.ts')).toBe(true);
  });

  it('produces the same plan for the same diff', () => {
    const a = planUnits(awkwardDiff(), { budgetTokens: 700, counter, skipPaths: SKIP });
    const b = planUnits(awkwardDiff(), { budgetTokens: 700, counter, skipPaths: SKIP });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('streams the same units as it plans at once, each file once its counts are in, named in the order they go out', async () => {
    const files = awkwardDiff();
    const opts = { budgetTokens: 700, counter, skipPaths: SKIP };
    const atOnce = planUnits(files, opts);
    const prefetch = prefetchCosts(files, opts)!;

    const streamed: ReviewUnit[] = [];
    const stream = streamUnits(files, { ...opts, costs: prefetch.costs });
    let step = await stream.next();
    for (; !step.done; step = await stream.next()) streamed.push(step.value);

    // A unit is final once full enough, so one may go out before an earlier, emptier one: planUnits sorts them by
    // their most important file, the stream cannot wait to.
    const content = (units: readonly ReviewUnit[]) => units.map(({ id: _id, ...unit }) => JSON.stringify(unit)).sort();
    expect(content(streamed)).toEqual(content(atOnce.units));
    expect(streamed.map((u) => u.id)).toEqual(streamed.map((_, i) => `u${i + 1}`));
    expect(step.value.totals).toEqual(atOnce.totals);
    expect(step.value.skipped).toEqual(atOnce.skipped);
    expectAccountedFor(files, step.value, 700, counter);
  });

  it('plans a diff that arrives in batches (as streamDiff reads it) into the same units as at once, every line accounted for', async () => {
    const files = awkwardDiff();
    const opts = { budgetTokens: 700, counter, skipPaths: SKIP };
    const atOnce = planUnits(files, opts);
    const { ExactCosts } = await import('../../src/units/exact.ts');
    async function* batches() {
      // Two files at a time, with pauses in between as git would make.
      for (let i = 0; i < files.length; i += 2) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield files.slice(i, i + 2);
      }
    }

    const streamed: ReviewUnit[] = [];
    const stream = streamUnits(batches(), { ...opts, costs: new ExactCosts(counter.segments!) });
    let step = await stream.next();
    for (; !step.done; step = await stream.next()) streamed.push(step.value);

    expect(step.value.totals).toEqual(atOnce.totals);
    expect(new Set(step.value.skipped.map((s) => s.path))).toEqual(new Set(atOnce.skipped.map((s) => s.path)));
    expectAccountedFor(files, step.value, 700, counter);
    expect(streamed.map((u) => u.id)).toEqual(streamed.map((_, i) => `u${i + 1}`));
  });

  it('does not count a huge file’s lines a second time at another width once they are counted for cutting', async () => {
    const seg = counter.segments!;
    let again = 0;
    let blocking = 0;
    const watched = {
      ...seg,
      countRaw: (texts: readonly string[]) => ((again += texts.length), (blocking += texts.length), seg.countRaw(texts)),
      countRawAsync: (texts: readonly string[]) => ((again += texts.length), seg.countRawAsync(texts)),
    };
    const file = added('src/huge.ts', numbered(12_000));
    const { ExactCosts } = await import('../../src/units/exact.ts');
    const costs = new ExactCosts(watched);
    await costs.prefetchAsync([file], 8_000);
    again = 0;
    const units: ReviewUnit[] = [];
    for await (const unit of streamUnits([file], { budgetTokens: 8_000, counter, skipPaths: [], costs })) units.push(unit);
    expect(units.length).toBeGreaterThan(10);
    // What planning still counts: hunk headers of the pieces, and lines of pieces printed wider than priced.
    expect(again).toBeGreaterThan(0);
    expect(again).toBeLessThan(1_200);
    // ...and it counts them without blocking: model answers are handled meanwhile.
    expect(blocking).toBe(0);
  });

  it('sends a huge file’s first units while the rest of its lines are still being counted', async () => {
    const seg = counter.segments!;
    // Counting ahead is held back from the fourth request on: a cut that waited for the whole file would never
    // give a unit (and the test would time out); one that cuts as the counts come in gives its first units.
    const held: (() => void)[] = [];
    let ahead = 0;
    const gated = {
      ...seg,
      countRawAsync: async (texts: readonly string[], background?: boolean) => {
        if (background && ++ahead > 3) await new Promise<void>((resolve) => held.push(resolve));
        return seg.countRawAsync(texts, background);
      },
    };
    const file = added('src/huge.ts', numbered(12_000));
    const { ExactCosts } = await import('../../src/units/exact.ts');
    const stream = streamUnits([file], { budgetTokens: 8_000, counter, skipPaths: [], costs: new ExactCosts(gated) });
    const first = await stream.next();
    expect(first.done).toBe(false);
    expect(held.length).toBeGreaterThan(0);
    const units = [first.value as ReviewUnit];
    // The rest, with counting let go.
    let step = stream.next();
    for (;;) {
      for (const release of held.splice(0)) release();
      const next = await Promise.race([step, new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))]);
      if (next === undefined) continue;
      if (next.done) {
        expectAccountedFor([file], next.value, 8_000, counter);
        break;
      }
      units.push(next.value);
      step = stream.next();
    }
    expect(units.length).toBeGreaterThan(10);
    // Every unit but the last is a full one: the first did not wait for a smaller file to fill it.
    for (const unit of units.slice(0, -1)) expect(unit.tokens!).toBeGreaterThan(8_000 * 0.7);
  });

  it('streams a file of many hunks counted in slices into the same coverage as planning it at once', async () => {
    // 400 hunks across many slices, some only removing lines, some big enough to be cut, hunks starting at and
    // across slice boundaries; the cut waits for each hunk's slice as it reaches it.
    const hunks = Array.from({ length: 400 }, (_, h) => {
      const size = h % 37 === 0 ? 240 : 8 + (h % 11);
      const lines =
        h % 7 === 3
          ? Array.from({ length: size }, (_, i) => `-${codeLine(h * 1000 + i)}`)
          : Array.from({ length: size }, (_, i) => (i % 3 === 0 ? ` ${codeLine(h + i)}` : i % 3 === 1 ? `-${codeLine(h * 7 + i)}` : `+${codeLine(h * 13 + i)} // ${h}`));
      return { oldStart: 1 + h * 300, newStart: 1 + h * 300, section: `function part${h}() {`, lines };
    });
    const file = fileDiff('src/many.ts', hunks);
    const opts = { budgetTokens: 3_000, counter, skipPaths: [] };
    const atOnce = planUnits([file], opts);
    const { ExactCosts } = await import('../../src/units/exact.ts');
    const seg = counter.segments!;
    let blocking = 0;
    // Counting ahead answers one request per turn of the event loop, as a busy counting thread would: the cut
    // reaches lines whose slice is not in yet.
    let queue = Promise.resolve();
    const later = (texts: readonly string[]) => (queue = queue.then(() => new Promise<void>((resolve) => setImmediate(resolve)))).then(() => seg.countRawAsync(texts));
    const costs = new ExactCosts({
      ...seg,
      countRaw: (texts: readonly string[]) => ((blocking += texts.length), seg.countRaw(texts)),
      countRawAsync: (texts: readonly string[], background?: boolean) => (background ? later(texts) : seg.countRawAsync(texts)),
      countApart: (texts: readonly string[]) => ((blocking += texts.length), seg.countApart(texts)),
      countApartAsync: (texts: readonly string[]) => (queue = queue.then(() => new Promise<void>((resolve) => setImmediate(resolve)))).then(() => seg.countApart(texts)),
    });
    const streamed: ReviewUnit[] = [];
    const stream = streamUnits([file], { ...opts, costs });
    let step = await stream.next();
    for (; !step.done; step = await stream.next()) streamed.push(step.value);
    expect(costs.sliced(file)).toBe(true);
    expectAccountedFor([file], step.value, 3_000, counter);
    expect(step.value.totals).toEqual(atOnce.totals);
    expect(streamed.length).toBe(step.value.units.length);
    // Every count came from the slices or from requests that did not block this thread (the number tables too).
    expect(blocking).toBe(0);
  });

  it('fails, after the units already made, when counting a later slice of a huge file fails', async () => {
    const seg = counter.segments!;
    let ahead = 0;
    const failing = {
      ...seg,
      countRawAsync: async (texts: readonly string[], background?: boolean) => {
        if (background && ++ahead === 5) throw new Error('the counting thread stopped');
        return seg.countRawAsync(texts, background);
      },
    };
    const file = added('src/huge.ts', numbered(12_000));
    const { ExactCosts } = await import('../../src/units/exact.ts');
    const units: ReviewUnit[] = [];
    await expect(
      (async () => {
        for await (const unit of streamUnits([file], { budgetTokens: 8_000, counter, skipPaths: [], costs: new ExactCosts(failing) })) units.push(unit);
      })(),
    ).rejects.toThrow('the counting thread stopped');
    expect(units.length).toBeGreaterThan(0);
  });

  it('counts a huge deleted file as the one line the model is shown, not line by line', async () => {
    const seg = counter.segments!;
    let counted = 0;
    const watched = { ...seg, countRawAsync: (texts: readonly string[], background?: boolean) => ((counted += texts.length), seg.countRawAsync(texts, background)) };
    const gone = fileDiff('src/gone.ts', [{ oldStart: 1, newStart: 0, lines: numbered(5_000).map((l) => `-${l}`) }], { status: 'deleted' });
    const { ExactCosts } = await import('../../src/units/exact.ts');
    const units: ReviewUnit[] = [];
    for await (const unit of streamUnits([gone], { budgetTokens: 8_000, counter, skipPaths: [], costs: new ExactCosts(watched) })) units.push(unit);
    expect(units).toHaveLength(1);
    expect(units[0]!.files[0]!.collapsed).toBe(true);
    expect(units[0]!.lines).toEqual({ reviewed: 0, summarised: 5_000 });
    expect(counted).toBeLessThan(10);
  });

  it('gives source files the first units when git prints docs and tests first', async () => {
    const files = [added('docs/a.md', numbered(60)), added('src/tests/a.test.ts', numbered(60)), added('src/a.ts', numbered(60)), added('src/b.ts', numbered(60))];
    async function* gitOrder() {
      for (const file of files) yield [file];
    }
    const { ExactCosts } = await import('../../src/units/exact.ts');
    const units: ReviewUnit[] = [];
    for await (const unit of streamUnits(gitOrder(), { budgetTokens: 700, counter, skipPaths: [], costs: new ExactCosts(counter.segments!) })) units.push(unit);
    // Each file's first piece, in the order the units go out (the last unit packs the files' tails together).
    expect(units.map((u) => u.files[0]!.path).slice(0, 4)).toEqual(['src/a.ts', 'src/b.ts', 'src/tests/a.test.ts', 'docs/a.md']);
  });

  it('passes a failure of the diff being read on to the consumer, after the units planned before it', async () => {
    const files = awkwardDiff();
    async function* failing() {
      yield files.slice(0, 1);
      throw new Error('git diff failed');
    }
    const seen: ReviewUnit[] = [];
    await expect(
      (async () => {
        for await (const unit of streamUnits(failing(), { budgetTokens: 700, counter, skipPaths: SKIP })) seen.push(unit);
      })(),
    ).rejects.toThrow('git diff failed');
    expect(seen.length).toBeGreaterThan(0);
  });

  it('keeps a file that fits whole in one unit, together with other small files', () => {
    const files = [added('src/a.ts', numbered(20)), added('src/b.ts', numbered(20)), added('src/c.ts', numbered(20))];
    const plan = planUnits(files, { budgetTokens: 100_000, counter, skipPaths: [] });

    expect(plan.units).toHaveLength(1);
    expect(plan.units[0]!.files.map((f) => f.path)).toEqual(['src/a.ts', 'src/b.ts', 'src/c.ts']);
    // Unsplit files and hunks are the input objects' hunks, not copies.
    expect(plan.units[0]!.files[0]!.hunks[0]).toBe(files[0]!.hunks[0]);
    expect(plan.units[0]!.lines).toEqual({ reviewed: 60, summarised: 0 });
  });

  it('splits a file bigger than the budget at hunk boundaries, whole hunks together', () => {
    const hunks = Array.from({ length: 10 }, (_, h) => ({ oldStart: 1 + h * 50, newStart: 1 + h * 50, section: `function f${h}() {`, lines: [' a', ...numbered(10, 2 + h * 50).map((l) => `+${l}`), ' b'] }));
    const file = fileDiff('src/split.ts', hunks);
    const whole = counter.count(renderDiff([file]));

    const plan = planUnits([file], { budgetTokens: Math.ceil(whole / 3), counter, skipPaths: [] });

    expectAccountedFor([file], plan, Math.ceil(whole / 3), counter);
    expect(plan.units.length).toBeGreaterThanOrEqual(3);
    const inOrder = plan.units.flatMap((u) => u.files.flatMap((f) => f.hunks));
    // Every hunk intact and in order: no hunk needed cutting.
    expect(inOrder).toEqual(file.hunks);
    for (const unit of plan.units) expect(unit.files.map((f) => f.path)).toEqual(['src/split.ts']);
  });

  it('cuts a huge hunk into runs that keep line numbers, the section, and a few lines of overlap as context', () => {
    const file = added('src/huge.ts', numbered(400), 'function huge() {');
    const plan = planUnits([file], { budgetTokens: 500, counter, skipPaths: [] });

    expectAccountedFor([file], plan, 500, counter);
    expect(plan.units.length).toBeGreaterThan(5);
    let previousLast = 0;
    plan.units.forEach((unit, u) => {
      expect(unit.files).toHaveLength(1);
      for (const hunk of unit.files[0]!.hunks) {
        expect(hunk.section).toBe('function huge() {');
        expect(hunk.newStart).toBe(hunk.lines[0]!.newLine);
        expect(hunk.newLines).toBe(hunk.lines.length);
        for (const line of hunk.lines) expect(line.text.endsWith(`// ${line.newLine}`)).toBe(true);
        const context = hunk.lines.filter((l) => l.kind === 'context');
        const firstAdded = hunk.lines.find((l) => l.kind === 'add')!;
        // Runs after the first open with the new file's lines just before them, as context, then continue.
        expect(context.length).toBe(u === 0 ? 0 : 3);
        expect(hunk.lines.slice(0, context.length)).toEqual(context);
        expect(firstAdded.newLine).toBe(previousLast + 1);
        if (context.length > 0) expect(context.map((l) => l.newLine)).toEqual([previousLast - 2, previousLast - 1, previousLast]);
        previousLast = hunk.lines.at(-1)!.newLine!;
      }
      // What the model sees: each printed number is the line's own.
      for (const printed of renderDiff(unit.files).split('\n').filter((l) => /^\s*\d+ [+ -] /.test(l))) {
        const [, number, own] = /^\s*(\d+) [+ ] .*\/\/ (\d+)$/.exec(printed)!;
        expect(number).toBe(own);
      }
    });
    expect(previousLast).toBe(400);
  });

  it('numbers removed lines from the old file in the runs of a split replacement hunk', () => {
    const lines = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? `-old ${codeLine(i)} @${101 + i / 2}` : `+new ${codeLine(i)} @${201 + (i - 1) / 2}`));
    const file = fileDiff('src/replace.ts', [{ oldStart: 101, newStart: 201, lines, section: 'def replace():' }]);

    const plan = planUnits([file], { budgetTokens: 400, counter, skipPaths: [] });

    expectAccountedFor([file], plan, 400, counter);
    for (const unit of plan.units) {
      for (const hunk of unit.files[0]!.hunks) {
        const changed = hunk.lines.filter((l) => l.kind !== 'context');
        for (const line of changed) expect(line.text.endsWith(`@${line.kind === 'del' ? line.oldLine : line.newLine}`)).toBe(true);
        const firstOld = hunk.lines.find((l) => l.oldLine !== undefined);
        if (firstOld) expect(hunk.oldStart).toBe(firstOld.oldLine);
        expect(hunk.section).toBe('def replace():');
      }
    }
  });

  it('summarises a deleted file and a removed-only hunk instead of showing their lines', () => {
    const gone = fileDiff('src/gone.ts', [{ oldStart: 1, newStart: 0, lines: numbered(25).map((l) => `-${l}`) }], { status: 'deleted' });
    const mixed = fileDiff('src/mixed.ts', [
      { oldStart: 10, newStart: 10, lines: [' keep', '-gone one', '-gone two', ' keep too'], section: 'function f() {' },
      { oldStart: 40, newStart: 38, lines: [' x', '+y', '-w', ' z'] },
    ]);

    const plan = planUnits([gone, mixed], { budgetTokens: 10_000, counter, skipPaths: [] });

    expectAccountedFor([gone, mixed], plan, 10_000, counter);
    expect(plan.units).toHaveLength(1);
    const [goneUnit, mixedUnit] = plan.units[0]!.files;
    expect(goneUnit).toMatchObject({ path: 'src/gone.ts', status: 'deleted', collapsed: true });
    expect(goneUnit!.hunks.map((h) => h.collapsed)).toEqual([true]);
    expect(goneUnit!.hunks[0]!.lines).toBe(gone.hunks[0]!.lines);
    expect(mixedUnit!.collapsed).toBe(false);
    expect(mixedUnit!.hunks.map((h) => h.collapsed ?? false)).toEqual([true, false]);
    expect(mixedUnit!.hunks[0]).toMatchObject({ oldStart: 10, oldLines: 4, section: 'function f() {' });
    expect(plan.units[0]!.lines).toEqual({ reviewed: 2, summarised: 27 });
    expect(plan.totals).toEqual({ files: 2, changedLines: 29, reviewed: 2, summarised: 27, skipped: 0 });
  });

  it('orders files source first, then tests, config, other, docs; stable within each', () => {
    const names = ['README.md', 'package.json', 'test/a.test.ts', 'src/a.ts', 'assets/data.csv', 'docs/guide.md', 'src/b.py', '.github/workflows/ci.yml', 'lib/x.test.js'];
    const files = names.map((n) => added(n, numbered(3)));
    const expected = ['src/a.ts', 'src/b.py', 'test/a.test.ts', 'lib/x.test.js', 'package.json', '.github/workflows/ci.yml', 'assets/data.csv', 'README.md', 'docs/guide.md'];

    const together = planUnits(files, { budgetTokens: 100_000, counter, skipPaths: [] });
    const apart = planUnits(files, { budgetTokens: Math.max(...files.map((f) => counter.count(renderDiff([f])))), counter, skipPaths: [] });

    expect(together.units.flatMap((u) => u.files.map((f) => f.path))).toEqual(expected);
    expect(apart.units.map((u) => u.files.map((f) => f.path))).toEqual(expected.map((p) => [p]));
    expect(apart.units.map((u) => u.id)).toEqual(expected.map((_, i) => `u${i + 1}`));
  });

  it('reports a line longer than the budget as skipped and reviews the rest of its file', () => {
    const minified = Array.from({ length: 600 }, (_, i) => `a${i}=${i * 7}`).join(';');
    const file = added('src/bundle.ts', ['const a = 1;', minified, 'const b = 2;']);

    const plan = planUnits([file], { budgetTokens: 500, counter, skipPaths: [] });

    expectAccountedFor([file], plan, 500, counter);
    expect(plan.skipped).toEqual([{ path: 'src/bundle.ts', reason: "line +2 longer than the model's input budget of 500 tokens", lines: 1 }]);
    expect(plan.totals).toEqual({ files: 1, changedLines: 3, reviewed: 2, summarised: 0, skipped: 1 });
  });

  it('skips everything, with the reason, when the budget is 0', () => {
    const files = [added('src/a.ts', numbered(3))];
    const plan = planUnits(files, { budgetTokens: 0, counter, skipPaths: [] });

    expect(plan.units).toEqual([]);
    expect(plan.skipped).toEqual([{ path: 'src/a.ts', reason: "lines +1, +2, +3 longer than the model's input budget of 0 tokens", lines: 3 }]);
    expectAccountedFor(files, plan, 0, counter);
  });

  it('sends no call for a file whose hunks hold only context', () => {
    const files = [fileDiff('src/same.ts', [{ oldStart: 1, newStart: 1, lines: [' a', ' b'] }])];
    const plan = planUnits(files, { budgetTokens: 1000, counter, skipPaths: [] });

    expect(plan.units).toEqual([]);
    expect(plan.skipped).toEqual([{ path: 'src/same.ts', reason: 'no changed lines', lines: 0 }]);
  });

  it('has nothing to do for an empty diff', () => {
    expect(planUnits([], { budgetTokens: 1000, counter, skipPaths: [] })).toEqual({ units: [], skipped: [], totals: { files: 0, changedLines: 0, reviewed: 0, summarised: 0, skipped: 0 } });
  });

  it('re-cuts units when the real count comes out above the estimate, and still never exceeds the budget', () => {
    // Superadditive: long texts cost more per character than the short samples the estimate is calibrated on,
    // like a tokenizer that merges across lines would, or a renderer that prints more than the estimate knows.
    const lying: TokenCounter = { encoding: 'o200k_base', margin: 1, count: (text) => Math.ceil(text.length / 4) + Math.floor((text.length / 300) ** 2) };
    const files = awkwardDiff();

    const plan = planUnits(files, { budgetTokens: 1500, counter: lying, skipPaths: SKIP });

    expectAccountedFor(files, plan, 1500, lying);
    expect(plan.totals.skipped).toBe(6);
  });
});
