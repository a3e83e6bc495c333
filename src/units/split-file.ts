import type { DiffLine, Hunk } from '../diff/types.ts';
import { renderDiff } from '../prompts/render-diff.ts';
import type { TokenCounter } from '../tokens/counter.ts';
import type { Estimator } from './estimate.ts';
import { isDeleteOnly, lineWidth, type CountNeed, type ExactCosts } from './exact.ts';
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

interface Item {
  hunk: UnitHunk;
  cost: number;
  lineCosts?: number[];
  headerCost?: number;
}

/** Lines priced this far over the cap make a file too big to be worth measuring whole (widths move counts a little). */
const CLEARLY_OVER = 1.1;

/**
 * Work in steps: a generator that yields what must be counted before it can go on (exact costs only) and returns
 * what it made. Cutting and packing are written once this way; runSteps counts in this thread, blocking it
 * (planUnits), runStepsAsync through the counting thread while this one goes on (streamUnits): cutting a file of
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

export async function runStepsAsync<T>(steps: Steps<T>, exact: ExactCosts | undefined): Promise<T> {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await exact!.satisfyAsync(step.value);
  }
}

/**
 * Cuts a file into pieces of at most `cap` estimated tokens: the whole file when it fits; else runs of whole
 * hunks; a hunk bigger than that alone is cut into runs of lines. Removed-only hunks and deleted files are
 * collapsed to a marker when the renderer makes that cheaper. Every changed line ends up in exactly one piece,
 * or in `ctx.overlong` when the file cannot carry it alone within the real budget.
 *
 * `cap` is the real budget on the first cut; when a unit measured over budget is cut again, it is the budget
 * scaled down by how far the estimate fell short.
 */
export function* splitSteps(file: UnitFile, cap: number, ctx: SplitContext, order: number): Steps<Piece[]> {
  const pieces = yield* cut(file, cap, ctx, order);
  const { exact } = ctx;
  if (exact) {
    yield { files: pieces.map((piece) => piece.file), separators: true };
    for (const piece of pieces) piece.cost = piece.exact! + Math.max(0, exact.separator(piece.file));
  }
  return pieces;
}

/** The cut itself. Without exact costs it yields nothing: the estimator and the counter answer on the spot. */
function* cut(file: UnitFile, cap: number, ctx: SplitContext, order: number): Steps<Piece[]> {
  const { est, exact } = ctx;
  const firstCut = cap >= ctx.budget;
  const deleted = file.status === 'deleted' && file.hunks.length > 0 && file.hunks.every(isDeleteOnly);
  if (deleted) {
    const summary = exact?.whole(file) ?? { ...file, collapsed: true, hunks: file.hunks.map((h) => ({ ...h, collapsed: true })) };
    if (exact) yield { files: [summary] };
    const cost = est.rendered(summary);
    if (cost <= cap) return [{ file: summary, cost, exact: cost, order }];
  }
  if (exact) {
    // Most files fit: their whole rendering was counted as one text, no line is priced. A file whose lines, priced
    // for cutting, are already well over the cap is not measured whole: that would count them again at its width.
    const priced = exact.pricedLines(file);
    if (!deleted && (priced === undefined || priced <= cap * CLEARLY_OVER)) {
      const whole = exact.whole(file);
      yield { files: [whole] };
      const cost = exact.file(whole);
      if (cost <= cap) return [{ file: whole, cost, exact: cost, order }];
    }
    // Every line, the headers and markers: what pricing the hunks asks for.
    yield { cut: file };
  }
  const header = est.fileHeader(file);
  if (header > ctx.budget) {
    for (const hunk of file.hunks) for (const line of hunk.lines) if (line.kind !== 'context') ctx.overlong.push({ path: file.path, line });
    return [];
  }
  const room = Math.max(0, cap - header);
  const base: UnitFile = { ...file, collapsed: false };

  // Price every hunk once; lines are priced only when a hunk is shown line by line.
  const items: Item[] = [];
  let total = header;
  for (const hunk of file.hunks) {
    if (isDeleteOnly(hunk)) {
      const collapsed: UnitHunk = { ...hunk, collapsed: true };
      const cost = est.rendered({ ...base, hunks: [collapsed] }) - header;
      if (cost <= room) {
        items.push({ hunk: collapsed, cost });
        total += cost;
        continue;
      }
    }
    const plain: UnitHunk = hunk.collapsed ? { ...hunk, collapsed: false } : hunk;
    const headerCost = est.hunkHeader(plain);
    // Each line at the width of a piece that would end at it: pieces print their own numbers' width.
    const lineCosts = plain.lines.map((line) => est.line(line, lineWidth(line)));
    const cost = headerCost + lineCosts.reduce((a, b) => a + b, 0);
    items.push({ hunk: plain, cost, lineCosts, headerCost });
    total += cost;
  }
  const whole: UnitFile = { ...base, hunks: items.map((i) => i.hunk) };
  if (total <= cap) {
    // Lines were priced at their own widths; with exact costs the file is measured as printed.
    if (exact) yield { files: [whole] };
    const measured = exact?.file(whole);
    if (measured === undefined) return [{ file: whole, cost: total, order }];
    if (measured <= cap) return [{ file: whole, cost: measured, exact: measured, order }];
  }
  // Estimates lean high: a file just over is measured before it is cut.
  if (!exact && firstCut && total <= cap * BORDERLINE) {
    const measured = ctx.counter.count(renderDiff([whole]));
    if (measured <= ctx.budget) return [{ file: whole, cost: measured, exact: measured, order }];
  }

  const pieces: Piece[] = [];
  let hunks: UnitHunk[] = [];
  let used = 0;
  let measured: number | undefined;
  function* flush(): Steps<void> {
    if (hunks.length > 0) {
      const piece: UnitFile = { ...base, hunks };
      // With exact costs a piece is measured as printed (its numbers may be narrower than priced).
      if (exact) yield { files: [piece] };
      const exactCost = exact ? exact.file(piece) : hunks.length === 1 ? measured : undefined;
      pieces.push({ file: piece, cost: exactCost ?? header + used, ...(exactCost !== undefined ? { exact: exactCost } : {}), order });
    }
    hunks = [];
    used = 0;
    measured = undefined;
  }
  // Runs are measured on the first cut; with exact costs, as sums (the run's own `@@` line and overlap included).
  function* alone(run: UnitHunk): Steps<number> {
    const shown: UnitFile = { ...base, hunks: [run] };
    if (!exact) return ctx.counter.count(renderDiff([shown]));
    yield { files: [shown] };
    return exact.file(shown);
  }
  for (const item of items) {
    if (item.cost <= room) {
      if (used + item.cost > room) yield* flush();
      hunks.push(item.hunk);
      used += item.cost;
      measured = undefined;
      continue;
    }
    yield* flush();
    const runs = yield* splitHunk(item as Required<Item>, room, {
      budget: ctx.budget,
      header,
      measure: firstCut ? alone : undefined,
      alone: function* (run) {
        const tokens = yield* alone(run);
        return tokens <= ctx.budget ? tokens : undefined;
      },
      onOverlong: (line) => ctx.overlong.push({ path: file.path, line }),
    });
    // The last run stays open: the next hunks may still fit after it.
    for (const [i, run] of runs.entries()) {
      hunks.push(run.hunk);
      used += run.cost;
      measured = run.exact;
      if (i < runs.length - 1) yield* flush();
    }
  }
  yield* flush();
  return pieces;
}

interface RunOptions {
  budget: number;
  /** Real tokens of the file header, part of every measurement. */
  header: number;
  /** Real tokens of a file holding just this run; absent when re-cutting (the unit is measured instead). */
  measure: ((run: UnitHunk) => Steps<number>) | undefined;
  /** Real tokens of a file holding just this run, when that is within the budget. */
  alone: (run: UnitHunk) => Steps<number | undefined>;
  onOverlong: (line: DiffLine) => void;
}

/**
 * Cuts one hunk into runs that each fit `room`. Each run after the first opens with up to OVERLAP_LINES lines of
 * the new file just before it (as context: they are reviewed in the run before) and keeps the hunk's section,
 * git's guess at the enclosing function, so the model knows where it is. On the first cut every run is measured
 * with the real counter and shortened until it fits, so the runs of a huge hunk stay contiguous.
 */
function* splitHunk(item: Required<Item>, room: number, opts: RunOptions): Steps<{ hunk: UnitHunk; cost: number; exact?: number }[]> {
  const { hunk, lineCosts, headerCost } = item;
  const lines = hunk.lines;
  const runs: { hunk: UnitHunk; cost: number; exact?: number }[] = [];
  let start = 0;
  while (start < lines.length) {
    let prefix = start > 0 ? overlapBefore(lines, lineCosts, start, room) : [];
    let prefixCost = prefix.reduce((n, i) => n + lineCosts[i]!, 0);
    if (headerCost + prefixCost + lineCosts[start]! > room) {
      prefix = [];
      prefixCost = 0;
    }
    const available = room - headerCost - prefixCost;
    let end = start;
    let cost = 0;
    while (end < lines.length && cost + lineCosts[end]! <= available) cost += lineCosts[end++]!;
    if (end === start) {
      // Over the estimate alone: measure it. A line that really does not fit (minified code, embedded data) is
      // reported as skipped, never sent cut.
      const single = subHunk(hunk, [lines[start]!], lines, start);
      const tokens = yield* opts.alone(single);
      if (tokens !== undefined) runs.push({ hunk: single, cost: tokens - opts.header, exact: tokens });
      else if (lines[start]!.kind !== 'context') opts.onOverlong(lines[start]!);
      start++;
      continue;
    }
    if (end < lines.length) end = niceBreak(lines, start, end);
    const overlap = prefix.map((i) => asContext(lines[i]!));
    let run = subHunk(hunk, [...overlap, ...lines.slice(start, end)], lines, start);
    let exact = opts.measure ? yield* opts.measure(run) : undefined;
    while (exact !== undefined && exact > opts.budget && end - start > 1) {
      end = start + Math.max(1, Math.min(end - start - 1, Math.floor((end - start) * (opts.budget / exact) * SHRINK_HEADROOM)));
      run = subHunk(hunk, [...overlap, ...lines.slice(start, end)], lines, start);
      exact = yield* opts.measure!(run);
    }
    if (exact !== undefined && exact > opts.budget) {
      // One line plus its overlap is over: try it without the overlap, else it is overlong.
      const single = subHunk(hunk, [lines[start]!], lines, start);
      const tokens = yield* opts.alone(single);
      if (tokens !== undefined) runs.push({ hunk: single, cost: tokens - opts.header, exact: tokens });
      else if (lines[start]!.kind !== 'context') opts.onOverlong(lines[start]!);
      start++;
      continue;
    }
    cost = prefixCost + headerCost;
    for (let i = start; i < end; i++) cost += lineCosts[i]!;
    runs.push(exact !== undefined ? { hunk: run, cost: exact - opts.header, exact } : { hunk: run, cost });
    start = end;
  }
  return runs;
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
  return line.newLine !== undefined ? { kind: 'context', newLine: line.newLine, text: line.text } : { kind: 'context', text: line.text };
}

/** A run of a hunk's lines as a hunk of its own, with a header that matches the line numbers in it. */
function subHunk(parent: Hunk, lines: DiffLine[], all: readonly DiffLine[], start: number): UnitHunk {
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
  oldStart ??= lastNumberBefore(all, start, 'oldLine') ?? parent.oldStart;
  newStart ??= lastNumberBefore(all, start, 'newLine') ?? parent.newStart;
  return { oldStart, oldLines, newStart, newLines, section: parent.section, lines };
}

function lastNumberBefore(lines: readonly DiffLine[], index: number, side: 'oldLine' | 'newLine'): number | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const n = lines[i]![side];
    if (n !== undefined) return n;
  }
  return undefined;
}
