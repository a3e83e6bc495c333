import { ParsedLine } from '../diff/parsed-line.ts';
import type { DiffLine, Hunk } from '../diff/types.ts';
import { numberWidthOf, renderDiff } from '../prompts/render-diff.ts';
import type { TokenCounter } from '../tokens/counter.ts';
import { fileWith, hunkWith, mapPacked } from './copy.ts';
import type { Estimator } from './estimate.ts';
import { isDeletedFile, isDeleteOnly, lineWidth, type CountNeed, type ExactCosts } from './exact.ts';
import type { UnitFile, UnitHunk } from './types.ts';

/** A file, or a run of its hunks, that goes into one unit whole. */
export interface Piece {
  file: UnitFile;
  /** Estimated tokens of its rendering, file header included. */
  cost: number;
  /**
   * Real tokens of `renderDiff([file])`, when already measured (a unit of just this piece needs no recount). With
   * exact costs, `cost` is this plus what the blank line after the file may add when another file follows it.
   */
  exact?: number;
  /** The file's place in review order (lower first), so units can be ordered by their most important file. */
  order: number;
  /**
   * The cut ended it, at least NICE_BREAK_SHARE full, because what came next in its file did not fit: waiting for
   * other files will not fill it much more.
   */
  full?: boolean;
}

/** A changed line that cannot go to any call: alone, it is longer than the budget. */
export interface OverlongLine {
  path: string;
  line: DiffLine;
}

export interface SplitContext {
  est: Estimator;
  counter: TokenCounter;
  /** The real budget in `counter` tokens: a changed line whose file cannot carry it alone under it is overlong. */
  budget: number;
  overlong: OverlongLine[];
  /** Present when counts add up over segments: `est` is exact and every budget here is in raw tokens. */
  exact?: ExactCosts;
}

/** Lines of the previous run repeated, as context, at the start of the next run of a split hunk. */
const OVERLAP_LINES = 3;
/** Files estimated up to this much over the budget are measured exactly before being cut. */
const BORDERLINE = 1.15;
/** A run may end early, at a blank line or a closing brace, if that keeps at least this share of it. */
const NICE_BREAK_SHARE = 0.75;
/** A measured run over budget is shortened to this share of what the overflow suggests, then measured again. */
const SHRINK_HEADROOM = 0.98;
/** Lines priced at a time when a hunk is priced only as far as a decision needs. */
const PRICE_STEP = 256;

/**
 * A hunk as the cut prices it: its lines' costs are filled in from the start, as far as a decision needs, so a
 * huge hunk can be cut while the rest of its lines are still being counted.
 */
interface Item {
  hunk: UnitHunk;
  /** Index of the hunk's first line, counting over all the file's hunks (what `lines` needs name). */
  first: number;
  headerCost: number;
  lineCosts: number[];
  /** The sum of lineCosts. */
  linesCost: number;
  /**
   * A removed-only hunk shown as its marker: `cost` is all of it. Present from the start, if undefined: a field
   * added later gives the item another hidden class, and pricing, optimized for one, is compiled again.
   */
  collapsed: { cost: number } | undefined;
}

/** Lines priced this far over the cap make a file too big to be worth measuring whole (widths move counts a little). */
const CLEARLY_OVER = 1.1;

/**
 * Work in steps: a generator that yields what must be counted before it can go on (exact costs only) and returns
 * what it made. Cutting and packing are written once this way; runSteps counts in this thread, blocking it
 * (planUnits), Planner.stream through the counting thread while this one goes on (streamUnits): cutting a file of
 * thousands of lines waits on counts for tens of ms at a time, during which model answers would sit unread and
 * the next calls would not start.
 */
export type Steps<T> = Generator<CountNeed, T, void>;

export function runSteps<T>(steps: Steps<T>, exact: ExactCosts | undefined): T {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    exact!.satisfy(step.value);
  }
}

/**
 * Cuts a file into pieces of at most `cap` estimated tokens and hands each to `emit` as soon as it is final: the
 * whole file when it fits; else runs of whole hunks; a hunk bigger than that alone is cut into runs of lines.
 * Removed-only hunks and deleted files are collapsed to a marker when the renderer makes that cheaper. Every
 * changed line ends up in exactly one piece, or in `ctx.overlong` when the file cannot carry it alone within the
 * real budget. A file counted in slices (ExactCosts.prefetchAsync) is cut as its slices come in: the first pieces
 * go out while the rest of its lines are still being counted.
 *
 * `cap` is the real budget on the first cut; when a unit measured over budget is cut again, it is the budget
 * scaled down by how far the estimate fell short.
 */
export function* splitSteps(file: UnitFile, cap: number, ctx: SplitContext, order: number, emit: (piece: Piece) => Steps<void>): Steps<void> {
  const { exact } = ctx;
  const ready: Piece[] = [];
  // Pieces are handed on in batches, their separators counted in one request: when the cut is about to wait
  // for more lines, and at its end.
  function* release(): Steps<void> {
    if (ready.length === 0) return;
    const pieces = ready.splice(0);
    if (exact) {
      yield { files: mapPacked(pieces, (piece) => piece.file), separators: true };
      for (const piece of pieces) piece.cost = piece.exact! + Math.max(0, exact.separator(piece.file));
    }
    for (const piece of pieces) yield* emit(piece);
  }
  function* wait(through: number): Steps<void> {
    if (!exact || exact.countedLines(file) > through) return;
    yield* release();
    yield { lines: file, through };
  }
  yield* cut(file, cap, ctx, order, { ready, wait });
  yield* release();
}

/** What the cut does with a finished piece, and how it waits for lines of a file still being counted. */
interface CutOutput {
  ready: Piece[];
  /** Returns once the file's lines up to index `through` (over all hunks; -1: just the header) are counted. */
  wait: (through: number) => Steps<void>;
}

/** The cut itself. Without exact costs it yields nothing: the estimator and the counter answer on the spot. */
function* cut(file: UnitFile, cap: number, ctx: SplitContext, order: number, out: CutOutput): Steps<void> {
  const { est, exact } = ctx;
  const firstCut = cap >= ctx.budget;
  const deleted = isDeletedFile(file);
  if (deleted) {
    const summary = exact?.whole(file) ?? fileWith(file, { collapsed: true, hunks: mapPacked(file.hunks, (h) => hunkWith(h, { collapsed: true })) });
    if (exact) yield { files: [summary] };
    const cost = est.rendered(summary);
    if (cost <= cap) return void out.ready.push({ file: summary, cost, exact: cost, order });
  }
  if (exact) {
    // Most files fit: their whole rendering was counted as one text, no line is priced. A file whose lines, priced
    // for cutting, are already well over the cap is not measured whole: that would count them again at its width.
    // Nor is a file whose lines are still being counted in slices: pricing them tells whether it fits.
    const priced = exact.pricedLines(file);
    if (!deleted && (priced === undefined ? !exact.sliced(file) : priced <= cap * CLEARLY_OVER)) {
      const whole = exact.whole(file);
      yield { files: [whole] };
      const cost = exact.file(whole);
      if (cost <= cap) return void out.ready.push({ file: whole, cost, exact: cost, order });
    }
    // Every line, the headers and markers: what pricing the hunks asks for (a file in slices asks as it goes).
    if (!exact.sliced(file)) yield { cut: file };
  }
  yield* out.wait(-1);
  const header = est.fileHeader(file);
  if (header > ctx.budget) {
    for (const hunk of file.hunks) for (const line of hunk.lines) if (line.kind !== 'context') ctx.overlong.push({ path: file.path, line });
    return;
  }
  const room = Math.max(0, cap - header);
  const base = fileWith(file, { collapsed: false });

  // Each line at the width of a piece that would end at it: pieces print their own numbers' width.
  function* price(item: Item, upTo: number): Steps<void> {
    const lines = item.hunk.lines;
    const want = Math.min(upTo, lines.length);
    while (item.lineCosts.length < want) {
      yield* out.wait(item.first + item.lineCosts.length);
      priceLines(item, lines, countedEnd(lines, item.lineCosts.length, want, exact ? exact.countedLines(file) - item.first : Infinity, exact), est);
    }
  }
  /** The item's whole cost if it is at most `limit`, pricing its lines only as far as that needs. */
  function* costWithin(item: Item, limit: number): Steps<number | undefined> {
    if (item.collapsed) return item.collapsed.cost <= limit ? item.collapsed.cost : undefined;
    while (item.headerCost + item.linesCost <= limit && item.lineCosts.length < item.hunk.lines.length) yield* price(item, item.lineCosts.length + PRICE_STEP);
    const cost = item.headerCost + item.linesCost;
    return item.lineCosts.length === item.hunk.lines.length && cost <= limit ? cost : undefined;
  }

  // Hunks are priced in order, each when first reached; lines only when a hunk is shown line by line, and only as
  // far as a decision needs.
  const items: Item[] = [];
  function* itemAt(index: number): Steps<Item> {
    while (items.length <= index) {
      const hunk = file.hunks[items.length]!;
      const first = items.length === 0 ? 0 : items.at(-1)!.first + file.hunks[items.length - 1]!.lines.length;
      // Its header and marker are counted with its first line.
      yield* out.wait(first);
      const item: Item = { hunk, first, headerCost: 0, lineCosts: [], linesCost: 0, collapsed: undefined };
      items.push(item);
      if (isDeleteOnly(hunk)) {
        const collapsed = hunkWith(hunk, { collapsed: true });
        const cost = est.rendered(fileWith(base, { hunks: [collapsed] })) - header;
        if (cost <= room) {
          item.hunk = collapsed;
          item.collapsed = { cost };
          continue;
        }
      }
      item.hunk = hunk.collapsed ? hunkWith(hunk, { collapsed: false }) : hunk;
      item.headerCost = est.hunkHeader(item.hunk);
    }
    return items[index]!;
  }
  // Whether the file fits whole: priced until the total is known or over the cap.
  let total: number | undefined = header;
  for (let h = 0; h < file.hunks.length; h++) {
    const cost = yield* costWithin(yield* itemAt(h), cap - total);
    if (cost === undefined) {
      total = undefined;
      break;
    }
    total += cost;
  }
  if (total !== undefined) {
    const whole = fileWith(base, { hunks: mapPacked(items, (i) => i.hunk) });
    // Lines were priced at their own widths; with exact costs the file is measured as printed.
    if (exact) yield { files: [whole] };
    const measured = exact?.file(whole);
    if (measured === undefined) return void out.ready.push({ file: whole, cost: total, order });
    if (measured <= cap) return void out.ready.push({ file: whole, cost: measured, exact: measured, order });
  } else if (!exact && firstCut) {
    // Estimates lean high: a file just over is measured before it is cut.
    for (let h = 0; h < file.hunks.length; h++) yield* price(yield* itemAt(h), Infinity);
    const whole = fileWith(base, { hunks: mapPacked(items, (i) => i.hunk) });
    const estimated = items.reduce((n, i) => n + (i.collapsed?.cost ?? i.headerCost + i.linesCost), header);
    if (estimated <= cap * BORDERLINE) {
      const measured = ctx.counter.count(renderDiff([whole]));
      if (measured <= ctx.budget) return void out.ready.push({ file: whole, cost: measured, exact: measured, order });
    }
  }

  let hunks: UnitHunk[] = [];
  let used = 0;
  let measured: number | undefined;
  // With exact costs, the open piece's hunks as they print: lines are priced at their own widths, but a piece
  // prints every number as wide as its largest, so a hunk that fits by price can still make it overflow.
  let printed = { width: 1, raw: 0 };
  const withHunk = (hunk: UnitHunk) => {
    const width = Math.max(printed.width, numberWidthOf([hunk]));
    const raw = width === printed.width ? printed.raw : hunks.reduce((n, h) => n + exact!.hunk(h, width), 0);
    return { width, raw: raw + exact!.hunk(hunk, width) };
  };
  const open = (hunk: UnitHunk, cost: number, exactCost: number | undefined, printsAs = exact ? withHunk(hunk) : printed) => {
    printed = printsAs;
    hunks.push(hunk);
    used += cost;
    measured = exactCost;
  };
  function* flush(full: boolean): Steps<void> {
    if (hunks.length > 0) {
      const piece = fileWith(base, { hunks });
      // With exact costs a piece is measured as printed (its numbers may be narrower than priced).
      if (exact) yield { files: [piece] };
      const exactCost = exact ? exact.file(piece) : hunks.length === 1 ? measured : undefined;
      const filled = full && used >= room * NICE_BREAK_SHARE;
      out.ready.push({ file: piece, cost: exactCost ?? header + used, ...(exactCost !== undefined ? { exact: exactCost } : {}), order, ...(filled ? { full: true } : {}) });
    }
    hunks = [];
    used = 0;
    measured = undefined;
    printed = { width: 1, raw: 0 };
  }
  // Runs are measured on the first cut; with exact costs, as sums (the run's own `@@` line and overlap included).
  function* alone(run: UnitHunk, ahead: readonly DiffLine[] = []): Steps<number> {
    const shown = fileWith(base, { hunks: [run] });
    if (!exact) return ctx.counter.count(renderDiff([shown]));
    yield { files: [shown], ...(ahead.length > 0 ? { ahead } : {}) };
    return exact.file(shown);
  }
  for (let h = 0; h < file.hunks.length; h++) {
    const item = yield* itemAt(h);
    const cost = yield* costWithin(item, room);
    if (cost !== undefined) {
      let printsAs = exact ? withHunk(item.hunk) : undefined;
      if (used + cost > room || (printsAs && header + printsAs.raw > cap)) {
        yield* flush(true);
        printsAs = exact ? withHunk(item.hunk) : undefined;
      }
      // Alone, a hunk that fits by price may still print over the cap: it is cut like one priced over.
      if (!printsAs || header + printsAs.raw <= cap) {
        open(item.hunk, cost, undefined, printsAs);
        continue;
      }
    }
    yield* flush(true);
    // Each run but the last is a piece of its own at once; the last stays open: the next hunks may still fit after it.
    yield* splitHunk(item, room, {
      budget: ctx.budget,
      header,
      price,
      // Exact measures are sums, cheap enough to take on every cut, so a re-cut cannot make a run over again.
      measure: firstCut || exact ? alone : undefined,
      alone: function* (run) {
        const tokens = yield* alone(run);
        return tokens <= ctx.budget ? tokens : undefined;
      },
      onOverlong: (line) => ctx.overlong.push({ path: file.path, line }),
      take: function* (run, last) {
        open(run.hunk, run.cost, run.exact);
        if (!last) yield* flush(true);
      },
    });
  }
  yield* flush(false);
}

interface Run {
  hunk: UnitHunk;
  cost: number;
  exact?: number;
}

interface RunOptions {
  budget: number;
  /** Real tokens of the file header, part of every measurement. */
  header: number;
  /** Prices the item's lines up to index `upTo` (see Item). */
  price: (item: Item, upTo: number) => Steps<void>;
  /**
   * Real tokens of a file holding just this run; absent when re-cutting without exact costs (the unit is measured
   * instead). `ahead`: lines the next run will likely open with, counted in the same request.
   */
  measure: ((run: UnitHunk, ahead: readonly DiffLine[]) => Steps<number>) | undefined;
  /** Real tokens of a file holding just this run, when that is within the budget. */
  alone: (run: UnitHunk) => Steps<number | undefined>;
  onOverlong: (line: DiffLine) => void;
  /** Takes each run as it is made, in order; `last`: no line of the hunk comes after it. */
  take: (run: Run, last: boolean) => Steps<void>;
}

/**
 * Cuts one hunk into runs that each fit `room`. Each run after the first opens with up to OVERLAP_LINES lines of
 * the new file just before it (as context: they are reviewed in the run before) and keeps the hunk's section,
 * git's guess at the enclosing function, so the model knows where it is. On the first cut every run is measured
 * with the real counter and shortened until it fits, so the runs of a huge hunk stay contiguous. Lines are priced
 * as the runs reach them.
 */
function* splitHunk(item: Item, room: number, opts: RunOptions): Steps<void> {
  const { hunk, lineCosts, headerCost } = item;
  const lines = hunk.lines;
  let start = 0;
  while (start < lines.length) {
    yield* opts.price(item, start + 1);
    let prefix = start > 0 ? overlapBefore(lines, lineCosts, start, room) : [];
    let prefixCost = prefix.reduce((n, i) => n + lineCosts[i]!, 0);
    if (headerCost + prefixCost + lineCosts[start]! > room) {
      prefix = [];
      prefixCost = 0;
    }
    const available = room - headerCost - prefixCost;
    let end = start;
    let cost = 0;
    for (;;) {
      if (end >= lineCosts.length && end < lines.length) yield* opts.price(item, end + PRICE_STEP);
      const fit = fitting(lineCosts, end, available - cost);
      end = fit.end;
      cost += fit.used;
      if (end >= lines.length || end < lineCosts.length) break;
    }
    if (end === start) {
      // Over the estimate alone: measure it. A line that really does not fit (minified code, embedded data) is
      // reported as skipped, never sent cut.
      yield* lineAlone(hunk, start, opts);
      start++;
      continue;
    }
    if (end < lines.length) end = niceBreak(lines, start, end);
    const overlap = mapPacked(prefix, (i) => asContext(lines[i]!));
    let run = subHunk(hunk, overlap.concat(lines.slice(start, end)), lines, start);
    // The next run's overlap is counted with this measure, not in a request of its own.
    const ahead = (at: number) => (at < lines.length ? mapPacked(overlapBefore(lines, lineCosts, at, room), (i) => asContext(lines[i]!)) : []);
    let exact: number | undefined;
    for (;;) {
      exact = opts.measure ? yield* opts.measure(run, ahead(end)) : undefined;
      if (exact === undefined || exact <= opts.budget || end - start <= 1) break;
      end = start + Math.max(1, Math.min(end - start - 1, Math.floor((end - start) * (opts.budget / exact) * SHRINK_HEADROOM)));
      run = subHunk(hunk, overlap.concat(lines.slice(start, end)), lines, start);
    }
    if (exact !== undefined && exact > opts.budget) {
      // One line plus its overlap is over: try it without the overlap, else it is overlong.
      yield* lineAlone(hunk, start, opts);
      start++;
      continue;
    }
    cost = prefixCost + headerCost + sumOf(lineCosts, start, end);
    yield* opts.take(exact !== undefined ? { hunk: run, cost: exact - opts.header, exact } : { hunk: run, cost }, end === lines.length);
    start = end;
  }
}

/** Line `at` of a hunk as a piece of its own, measured alone; reported overlong if it does not fit even so. */
function* lineAlone(hunk: UnitHunk, at: number, opts: RunOptions): Steps<void> {
  const lines = hunk.lines;
  const single = subHunk(hunk, [lines[at]!], lines, at);
  const tokens = yield* opts.alone(single);
  if (tokens !== undefined) yield* opts.take({ hunk: single, cost: tokens - opts.header, exact: tokens }, at + 1 === lines.length);
  else if (lines[at]!.kind !== 'context') opts.onOverlong(lines[at]!);
}

// The loops over lines live in plain functions: V8 optimizes those alone, not the generators that call them,
// whose every `yield*` makes the optimized code much larger to compile.

/** Prices `lines` from the first not priced up to `end`. */
function priceLines(item: Item, lines: readonly DiffLine[], end: number, est: Estimator): void {
  for (let i = item.lineCosts.length; i < end; i++) {
    const cost = est.line(lines[i]!, lineWidth(lines[i]!));
    item.lineCosts.push(cost);
    item.linesCost += cost;
  }
}

/**
 * Where the lines from `from` stop being counted, at most `want`: below `counted`, or each already known. Apart from
 * priceLines, whose optimized code would otherwise meet the known lines past `counted` only in a file counted in slices.
 */
function countedEnd(lines: readonly DiffLine[], from: number, want: number, counted: number, exact: ExactCosts | undefined): number {
  let end = Math.max(from, Math.min(want, counted));
  while (end < want && exact?.hasLine(lines[end]!)) end++;
  return end;
}

/** The longest run of priced lines from `from` whose costs add up to at most `room`: where it ends, what it costs. */
function fitting(costs: readonly number[], from: number, room: number): { end: number; used: number } {
  let end = from;
  let used = 0;
  while (end < costs.length && used + costs[end]! <= room) used += costs[end++]!;
  return { end, used };
}

function sumOf(costs: readonly number[], from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += costs[i]!;
  return sum;
}

/** Indexes of up to OVERLAP_LINES lines of the new file before `start` (removed lines are not in it), cheap ones only. */
function overlapBefore(lines: readonly DiffLine[], lineCosts: readonly number[], start: number, room: number): number[] {
  const picked: number[] = [];
  for (let i = start - 1; i >= 0 && picked.length < OVERLAP_LINES; i--) {
    if (lines[i]!.kind === 'del') continue;
    if (lineCosts[i]! * 8 > room) break;
    picked.unshift(i);
  }
  return picked;
}

/** Where to end a run that would end at `end`: just after a blank line or a closing brace, if one is near the end. */
function niceBreak(lines: readonly DiffLine[], start: number, end: number): number {
  const earliest = start + Math.ceil((end - start) * NICE_BREAK_SHARE);
  for (let i = end; i > earliest; i--) {
    const text = lines[i - 1]!.text;
    if (text.trim() === '' || text.startsWith('}')) return i;
  }
  return end;
}

/** A line of the new file shown as context: the same number and text, no longer a change. */
function asContext(line: DiffLine): DiffLine {
  if (line.kind === 'context') return line;
  // One copy per line: counted once (see RunOptions.measure's `ahead`), it is found again when the run uses it.
  let copy = CONTEXT_COPIES.get(line);
  if (!copy) {
    copy = new ParsedLine('context', undefined, line.newLine, line.text);
    CONTEXT_COPIES.set(line, copy);
  }
  return copy;
}
const CONTEXT_COPIES = new WeakMap<DiffLine, DiffLine>();

/**
 * A run of a hunk's lines as a hunk of its own, with a header that matches the line numbers in it. `all` are the
 * lines the run was taken from, and `start` where in them it begins.
 */
export function subHunk(parent: Hunk, lines: DiffLine[], all: readonly DiffLine[], start: number): UnitHunk {
  let oldStart: number | undefined;
  let newStart: number | undefined;
  let oldLines = 0;
  let newLines = 0;
  for (const line of lines) {
    if (line.oldLine !== undefined) {
      oldStart ??= line.oldLine;
      oldLines++;
    }
    if (line.newLine !== undefined) {
      newStart ??= line.newLine;
      newLines++;
    }
  }
  // A run with no line on one side sits after the last line of that side before it, as git writes `-12,0`.
  // Looked up for both sides, needed or not (a step or two back, as a rule): a lookup made only for the rare run
  // without one side was new to V8 when it came, and the optimized code was thrown away.
  const oldBefore = lastNumberBefore(all, start, 'oldLine') ?? parent.oldStart;
  const newBefore = lastNumberBefore(all, start, 'newLine') ?? parent.newStart;
  oldStart ??= oldBefore;
  newStart ??= newBefore;
  return { oldStart, oldLines, newStart, newLines, section: parent.section, lines };
}

function lastNumberBefore(lines: readonly DiffLine[], index: number, side: 'oldLine' | 'newLine'): number | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const n = lines[i]![side];
    if (n !== undefined) return n;
  }
  return undefined;
}
