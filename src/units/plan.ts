import { pieceId, type RecalledPiece, type UnitMemory } from '../cache/unit-memory.ts';
import { pathMatcher } from '../diff/filter.ts';
import type { FileDiff } from '../diff/types.ts';
import { renderDiff } from '../prompts/render-diff.ts';
import type { TokenCounter } from '../tokens/counter.ts';
import { fileWith } from './copy.ts';
import { changedLineCount, countUnitLines } from './count-lines.ts';
import { calibrate, createEstimator } from './estimate.ts';
import { ExactCosts } from './exact.ts';
import { fileRank, RANK } from './priority.ts';
import { summariseLongRemovals } from './long-removals.ts';
import { skipReason } from './skip.ts';
import { runSteps, splitSteps, type OverlongLine, type Piece, type SplitContext, type Steps } from './split-file.ts';
import type { ReviewUnit, SkippedLines, UnitFile, UnitPlan } from './types.ts';

export interface PlanOptions {
  /** Tokens of rendered diff one call may carry (see inputBudget), in `counter`'s tokens. */
  budgetTokens: number;
  counter: TokenCounter;
  /** Globs of files no model needs to read (config `skip_paths`). */
  skipPaths: readonly string[];
  /** Also skip files whose content shows they are generated or minified (config `skip_generated`). */
  skipGenerated?: boolean;
  /**
   * Runs of more removed lines in a row than this, in hunks that also add lines, are summarised but for their ends
   * (config `summarise_removed_over`, see summariseLongRemovals); undefined: every removed line is shown.
   */
  summariseRemovedOver?: number | undefined;
  /** Counts made ahead by prefetchCosts for these files, budget and counter. */
  costs?: ExactCosts;
  /** Units of earlier runs, made again where their pieces are unchanged (see UnitMemory); this plan's are added. */
  memory?: UnitMemory | undefined;
}

/**
 * Which plan a unit belongs to. Units of one plan share no changed line, so what they cover can be added up from
 * their `lines` counts (see review/coverage.ts).
 */
const PLAN_OF = new WeakMap<ReviewUnit, object>();

export function planOf(unit: ReviewUnit): object | undefined {
  return PLAN_OF.get(unit);
}

/**
 * How many of the latest units a piece may still join: packing stays linear on huge diffs, and a unit is final,
 * so its calls can start, once this many newer ones have been started.
 */
const PACK_WINDOW = 16;
/** A group filled to this share of the budget is final at once, not when the window moves past it. */
const FULL_ENOUGH = 0.95;
/** Times a unit whose real rendering is over budget is re-cut; each time with estimates scaled to the real count. */
const MAX_REPAIRS = 8;
/** Re-cutting aims this far under the budget, so one repair is enough. */
const REPAIR_HEADROOM = 0.97;

/**
 * Packs a diff into review units of at most `budgetTokens`, most important files first (source, then tests,
 * config, docs). Whole files first; a bigger file is cut at hunk boundaries; a bigger hunk into runs of lines.
 * Every changed line lands in exactly one unit or in `skipped`, and every unit is checked against the real
 * rendering (renderDiff) with the real counter, so no call exceeds the budget: by exact sums of counted segments
 * when the counter's counts add up (units/exact.ts), else by rendering and counting the unit.
 */
export function planUnits(files: readonly FileDiff[], opts: PlanOptions): UnitPlan {
  const planner = new Planner(opts);
  planner.admit(files);
  planner.prefetch();
  for (const file of planner.reviewable) planner.add(file);
  planner.finish();
  // Re-cut leftovers were placed last: order units again by their most important piece.
  return planner.plan(true);
}

/**
 * planUnits as files and counts arrive: each file is planned once its counts are in (see ExactCosts.prefetchAsync;
 * files prefetchCosts was given are not counted twice; a huge file, as the slices of its lines come in), and each
 * unit is yielded as soon as it is final, so model calls start while the rest is still being read and counted.
 * `files` is the whole diff, or batches of it as they come (streamDiff; needs `opts.costs`), in git's order. Given
 * the same files, yields the same units as planUnits, named in the order they go out (a unit goes out once full
 * enough, so not always in planUnits' order). Returns the whole plan.
 */
export async function* streamUnits(files: readonly FileDiff[] | AsyncIterable<readonly FileDiff[]>, opts: PlanOptions): AsyncGenerator<ReviewUnit, UnitPlan, undefined> {
  const planner = new Planner(opts);
  let next = 1;
  const named = (units: ReviewUnit[]) => units.map((unit) => Object.assign(unit, { id: `u${next++}` }));
  const admit = (batch: readonly FileDiff[]) => {
    const reviewable = planner.admit(batch);
    // Counting starts as each batch arrives, while earlier files are still being planned.
    if (opts.costs) void opts.costs.prefetchAsync(reviewable, planner.rawBudget);
    return reviewable;
  };
  // Source files are planned as they come; the others wait for the end of the diff and then go in review order,
  // so the earliest calls go to source whatever order git prints the files in.
  const later: FileDiff[] = [];
  const admitted = readAhead(
    isBatches(files) ? files : [files],
    (batch) => {
      const now: FileDiff[] = [];
      for (const file of batch) (fileRank(file.path) === RANK.source ? now : later).push(file);
      return admit(now);
    },
    () => admit(later),
  );
  for await (const batch of admitted) {
    for (const file of batch) {
      await opts.costs?.ready(file);
      // A huge file's units go out as they are cut, while the rest of it is still being counted.
      for await (const units of planner.addStream(file)) yield* named(units);
    }
  }
  for await (const units of planner.finishStream()) yield* named(units);
  return planner.plan(false);
}

function isBatches(files: readonly FileDiff[] | AsyncIterable<readonly FileDiff[]>): files is AsyncIterable<readonly FileDiff[]> {
  return Symbol.asyncIterator in files;
}

/**
 * Pulls `source` as fast as it gives, handing each batch through `admit` at once (and, at its end, what `last`
 * gives), while the consumer takes them at its own pace: reading the diff and counting run ahead of planning.
 * A failure of the source reaches the consumer after the batches that came before it.
 */
async function* readAhead<T, U>(source: AsyncIterable<T> | Iterable<T>, admit: (item: T) => U, last: () => U): AsyncGenerator<U, void, undefined> {
  const ready: U[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  void (async () => {
    try {
      for await (const item of source) {
        ready.push(admit(item));
        wake?.();
      }
      ready.push(last());
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      wake?.();
    }
  })();
  for (;;) {
    if (ready.length > 0) {
      yield ready.shift()!;
      continue;
    }
    if (failure) throw failure.error;
    if (done) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}

/** A plan in the making: files go in, in review order; units come out as they become final. */
class Planner {
  /** Files that need a model, in review order. */
  readonly reviewable: FileDiff[] = [];
  /** The budget in the units costs are counted in: raw tokens with exact costs, else the counter's. */
  readonly rawBudget: number;
  private readonly opts: PlanOptions;
  private readonly matchSkipPath: (path: string) => string | undefined;
  private readonly skipped: SkippedLines[] = [];
  private readonly overlong: OverlongLine[] = [];
  private readonly unfitted: OverlongLine[] = [];
  private fileCount = 0;
  private changedLines = 0;
  private readonly exact: ExactCosts | undefined;
  /** Made when the first file is added: without exact costs, its estimator is calibrated on the files admitted. */
  private ctx: SplitContext | undefined;
  private readonly placed: { unit: ReviewUnit; first: Piece }[] = [];
  /** Units placed but not yet handed out by add or finish. */
  private fresh: ReviewUnit[] = [];
  /** The latest groups of pieces, oldest first: the only ones a piece may still join. */
  private open: { pieces: Piece[]; cost: number }[] = [];
  private leftovers: Piece[] = [];
  private order = 0;
  private readonly id = {};
  /** With a memory: the places in recalled units (see pack) still empty, by the id of the piece they held... */
  private readonly awaitedIds = new Map<string, Slot>();
  /** ...and by its path, for a changed piece of the same file. */
  private readonly awaitedPaths = new Map<string, Slot[]>();
  /** With a memory: the ids of every piece packed so far, and the paths of those that are whole files. */
  private readonly seenIds = new Set<string>();
  private readonly seenPaths = new Set<string>();
  private readonly ids = new WeakMap<Piece, string>();
  /** Pieces that are a whole file (see pack). */
  private readonly wholes = new WeakSet<Piece>();

  constructor(opts: PlanOptions) {
    this.opts = opts;
    this.matchSkipPath = pathMatcher(opts.skipPaths);
    // With a counter whose counts add up over segments (the real encodings), prices are exact and in
    // raw tokens, so no unit needs rendering and recounting; otherwise they are estimates and each unit is measured.
    this.exact = opts.costs ?? (opts.counter.segments ? new ExactCosts(opts.counter.segments) : undefined);
    this.rawBudget = this.exact ? this.exact.rawBudget(opts.budgetTokens) : opts.budgetTokens;
  }

  /** Takes files in: those that need no model are counted as skipped; returns the others, in review order. */
  admit(files: readonly FileDiff[]): FileDiff[] {
    const reviewable: FileDiff[] = [];
    for (const { file } of reviewOrder(files)) {
      const lines = changedLineCount(file);
      this.fileCount++;
      this.changedLines += lines;
      // A file whose hunks hold only context (a hand-made diff) would cost a call for nothing.
      const reason = skipReason(file, this.matchSkipPath, this.opts.skipGenerated) ?? (lines === 0 ? 'no changed lines' : undefined);
      if (reason !== undefined) this.skipped.push({ path: file.path, reason, lines });
      else reviewable.push(shownAs(file, this.opts));
    }
    this.reviewable.push(...reviewable);
    return reviewable;
  }

  private context(): SplitContext {
    if (!this.ctx) {
      const { exact, opts } = this;
      const est = exact ? exact.estimator() : createEstimator(calibrate(this.reviewable, opts.counter), opts.counter);
      this.ctx = { est, counter: opts.counter, budget: this.rawBudget, overlong: this.overlong, ...(exact ? { exact } : {}) };
    }
    return this.ctx;
  }

  /** Counts what planning will ask for, in one request, before any file is added. */
  prefetch(): void {
    this.exact?.prefetch(this.reviewable, this.rawBudget);
  }

  /** Cuts the next file (in review order) into pieces and packs them; returns the units that became final. */
  add(file: FileDiff): ReviewUnit[] {
    runSteps(this.addSteps(file), this.exact);
    return this.take();
  }

  /** add, giving units as they become final (see stream). */
  addStream(file: FileDiff): AsyncGenerator<ReviewUnit[], void, undefined> {
    return this.stream(this.addSteps(file));
  }

  private *addSteps(file: FileDiff): Steps<void> {
    yield* splitSteps(file, this.rawBudget, this.context(), this.order++, (piece) => this.pack(piece, file));
  }

  /** Places what is still open, then re-cuts what did not fit; returns the units that became final. */
  finish(): ReviewUnit[] {
    runSteps(this.finishSteps(), this.exact);
    return this.take();
  }

  /** finish, giving units as they become final (see stream). */
  finishStream(): AsyncGenerator<ReviewUnit[], void, undefined> {
    return this.stream(this.finishSteps());
  }

  /**
   * Runs steps with what they measure counted by the counting thread while this one handles model answers (see
   * Steps), giving the units made so far each time they wait for counts, and the rest at their end.
   */
  private async *stream(steps: Steps<void>): AsyncGenerator<ReviewUnit[], void, undefined> {
    for (let step = steps.next(); !step.done; step = steps.next()) {
      const fresh = this.take();
      if (fresh.length > 0) yield fresh;
      await this.exact!.satisfyAsync(step.value);
    }
    const fresh = this.take();
    if (fresh.length > 0) yield fresh;
  }

  private *finishSteps(): Steps<void> {
    // A recalled unit with a file not in this diff (reverted, or now skipped): the pieces that came are packed afresh.
    const incomplete = new Set([...this.awaitedIds.values()].map((slot) => slot.unit));
    this.awaitedIds.clear();
    this.awaitedPaths.clear();
    for (const unit of incomplete) for (const slot of unit.slots) if (slot.piece) yield* this.firstFit(slot.piece);
    for (const group of this.open) yield* this.place(group.pieces, 0, this.leftovers);
    this.open = [];
    let queue = this.leftovers;
    for (let round = 1; queue.length > 0; round++) {
      const leftovers: Piece[] = [];
      for (const group of pack(queue, this.rawBudget)) yield* this.place(group, round, leftovers);
      queue = leftovers;
    }
    this.leftovers = [];
  }

  /** The plan once finished; `sorted`: units ordered by their most important piece and named in that order. */
  plan(sorted: boolean): UnitPlan {
    const units = sorted ? [...this.placed].sort((a, b) => comparePieces(a.first, b.first)).map((p) => p.unit) : this.placed.map((p) => p.unit);
    if (sorted) units.forEach((unit, i) => (unit.id = `u${i + 1}`));
    const skipped = [
      ...this.skipped,
      ...skippedLines(this.overlong, `longer than the model's input budget of ${this.opts.budgetTokens} tokens`),
      ...skippedLines(this.unfitted, 'could not be fitted into the input budget'),
    ];
    const reviewed = units.reduce((n, u) => n + u.lines!.reviewed, 0);
    const summarised = units.reduce((n, u) => n + u.lines!.summarised, 0);
    const skippedCount = skipped.reduce((n, s) => n + s.lines, 0);
    return { units, skipped, totals: { files: this.fileCount, changedLines: this.changedLines, reviewed, summarised, skipped: skippedCount } };
  }

  private take(): ReviewUnit[] {
    const fresh = this.fresh;
    this.fresh = [];
    return fresh;
  }

  /**
   * Packs a piece. With a memory of earlier runs (UnitMemory), the unit an earlier run made with this piece in it is
   * made again, with the same files in the same order: its other pieces are awaited, each by its id or, changed, by
   * its path (one that came before is taken back from a unit not final yet), and the unit is placed once every
   * place is filled or can no longer be. Unchanged, it is the same prompt as before and its answer is in the cache;
   * only units with a changed file are asked again, however much that file grew. Else (a new file): first fit.
   */
  private *pack(piece: Piece, of: FileDiff): Steps<void> {
    const { memory } = this.opts;
    if (!memory) return yield* this.firstFit(piece);
    const id = this.idOf(piece);
    // Only a whole file stands in for its changed self: a part of a file cut elsewhere is not the part it was.
    const whole = piece.file.hunks.length === of.hunks.length && piece.file.hunks.every((h, i) => h.lines.length === of.hunks[i]!.lines.length);
    if (whole) this.wholes.add(piece);
    const path = whole ? piece.file.path : '';
    const slot = this.awaitedIds.get(id) ?? (path ? this.awaitedPaths.get(path)?.[0] : undefined);
    this.seenIds.add(id);
    if (path) this.seenPaths.add(path);
    if (slot) return yield* this.fill(slot, piece);
    const pieces = memory.recall(id);
    if (!pieces || new Set(pieces.map(([other]) => other)).size !== pieces.length) return yield* this.firstFit(piece);
    const unit: Recalled = { slots: [], empty: pieces.length };
    unit.slots = pieces.map(([slotId, slotPath]) => ({ unit, id: slotId, path: slotPath }));
    let own: Slot | undefined;
    for (const other of unit.slots) {
      if (!own && other.id === id) own = other;
      else if (this.seenIds.has(other.id) || this.seenPaths.has(other.path) || this.awaitedIds.has(other.id)) {
        // Its piece came before this one (or another recalled unit waits for it): taken back if still in a unit
        // being filled; else this unit goes without it.
        const taken = this.awaitedIds.has(other.id) ? undefined : this.takeBack(other);
        if (taken) other.piece = taken;
        unit.empty--;
      } else {
        this.awaitedIds.set(other.id, other);
        if (other.path) this.awaitedPaths.set(other.path, [...(this.awaitedPaths.get(other.path) ?? []), other]);
      }
    }
    yield* this.fill(own!, piece);
  }

  /** Puts a piece in its place in a recalled unit; the unit is placed once no place is left to fill. */
  private *fill(slot: Slot, piece: Piece): Steps<void> {
    this.awaitedIds.delete(slot.id);
    const paths = this.awaitedPaths.get(slot.path)?.filter((other) => other !== slot);
    if (paths?.length) this.awaitedPaths.set(slot.path, paths);
    else this.awaitedPaths.delete(slot.path);
    slot.piece = piece;
    if (--slot.unit.empty > 0) return;
    const group = slot.unit.slots.flatMap((s) => (s.piece ? [s.piece] : []));
    // A file that grew may no longer fit with the others: the last ones then go to other units.
    const evicted: Piece[] = [];
    let cost = group.reduce((n, p) => n + p.cost, 0);
    while (cost > this.rawBudget && group.length > 0) {
      const last = group.pop()!;
      evicted.unshift(last);
      cost -= last.cost;
    }
    if (group.length > 0) yield* this.place(group, 0, this.leftovers);
    for (const p of evicted) yield* this.firstFit(p);
  }

  /** Takes the piece a slot held (by id, else a whole file by path) back out of an open group; undefined when none is in one. */
  private takeBack(slot: Slot): Piece | undefined {
    const matches = [(p: Piece) => this.idOf(p) === slot.id, (p: Piece) => slot.path !== '' && this.wholes.has(p) && p.file.path === slot.path];
    for (const match of matches) {
      for (const group of this.open) {
        const at = group.pieces.findIndex(match);
        if (at < 0) continue;
        const [piece] = group.pieces.splice(at, 1);
        group.cost -= piece!.cost;
        if (group.pieces.length === 0) this.open.splice(this.open.indexOf(group), 1);
        return piece;
      }
    }
    return undefined;
  }

  private idOf(piece: Piece): string {
    let id = this.ids.get(piece);
    if (id === undefined) {
      const { file } = piece;
      id = pieceId([file.path, file.oldPath, file.status, file.collapsed === true, piece.cost, file.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines, h.lines.length, h.collapsed === true])]);
      this.ids.set(piece, id);
    }
    return id;
  }

  /** First fit over the latest groups, in order: a small file fills a gap an earlier big one left. */
  private *firstFit(piece: Piece): Steps<void> {
    let target = this.open.find((group) => group.cost + piece.cost <= this.rawBudget);
    if (!target) {
      this.open.push((target = { pieces: [], cost: 0 }));
      // The oldest group can take nothing more: it becomes a unit.
      if (this.open.length > PACK_WINDOW) yield* this.place(this.open.shift()!.pieces, 0, this.leftovers);
    }
    target.pieces.push(piece);
    target.cost += piece.cost;
    // A group this full, or holding a piece its cut ended because the next part did not fit, gains little by
    // waiting; made a unit now, its calls start while the rest is still read (or, for a huge file, still cut).
    if (piece.full || target.cost >= this.rawBudget * FULL_ENOUGH) {
      this.open.splice(this.open.indexOf(target), 1);
      yield* this.place(target.pieces, 0, this.leftovers);
    }
  }

  private *place(group: Piece[], depth: number, leftovers: Piece[]): Steps<void> {
    const { exact, rawBudget: budget } = this;
    const ctx = this.context();
    const unitFiles = mergePieces(group);
    const only = group.length === 1 ? group[0]!.exact : undefined;
    if (exact) yield { files: unitFiles, separators: true };
    const tokens = exact ? exact.files(unitFiles) : (only ?? this.opts.counter.count(renderDiff(unitFiles)));
    if (tokens <= budget) {
      const unit: ReviewUnit = { id: '', files: unitFiles, tokens: exact ? exact.total(tokens) : tokens, lines: countUnitLines(unitFiles) };
      PLAN_OF.set(unit, this.id);
      this.opts.memory?.remember(group.map((piece): RecalledPiece => [this.idOf(piece), this.wholes.has(piece) ? piece.file.path : '']));
      this.placed.push({ unit, first: group.reduce((a, b) => (comparePieces(b, a) < 0 ? b : a)) });
      this.fresh.push(unit);
      return;
    }
    if (depth >= MAX_REPAIRS) {
      for (const file of unitFiles) for (const hunk of file.hunks) for (const line of hunk.lines) if (line.kind !== 'context') this.unfitted.push({ path: file.path, line });
      return;
    }
    // The estimate fell short of the real count (content unlike the sample, a renderer change): correct it by
    // what this unit really measured, keep what then fits and let the rest wait for a later unit.
    const estimated = group.reduce((n, p) => n + p.cost, 0);
    const cap = Math.max(1, Math.floor(((estimated * budget) / tokens) * REPAIR_HEADROOM));
    const keep: Piece[] = [];
    const rest: Piece[] = [];
    let used = 0;
    for (const piece of group) {
      if (used + piece.cost <= cap) {
        keep.push(piece);
        used += piece.cost;
      } else rest.push(piece);
    }
    if (keep.length === 0 || rest.length === 0) {
      // A piece bigger than its corrected estimate allows: cut it finer.
      const pieces: Piece[] = [];
      for (const p of group) {
        if (p.cost <= cap) pieces.push(p);
        else
          yield* splitSteps(p.file, cap, ctx, p.order, function* (piece) {
            pieces.push(piece);
          });
      }
      const [first = [], ...others] = pack(pieces, cap);
      yield* this.place(first, depth + 1, leftovers);
      leftovers.push(...others.flat());
      return;
    }
    yield* this.place(keep, depth + 1, leftovers);
    leftovers.push(...rest);
  }
}

/** A unit of an earlier run (UnitMemory) being made again: a slot per piece it had, in order; `empty` not filled yet. */
interface Recalled {
  slots: Slot[];
  empty: number;
}

/** A place in a recalled unit: the id of the piece it held, its path if it was a whole file, and what fills it now. */
interface Slot {
  unit: Recalled;
  id: string;
  /** '' for a part of a file: only that very part fills it. */
  path: string;
  piece?: Piece;
}

/** Files in review order: by rank, then (stable) git's order, which keeps a directory's files together. */
function reviewOrder(files: readonly FileDiff[]): { file: FileDiff; index: number; rank: number }[] {
  return files.map((file, index) => ({ file, index, rank: fileRank(file.path) })).sort((a, b) => a.rank - b.rank || a.index - b.index);
}

/**
 * Starts counting, without blocking this thread, what planning `files` will count (see ExactCosts.prefetchAsync),
 * in review order, and returns the costs to plan with (`opts.costs`) at once: streamUnits plans each file as its
 * counts arrive; `settled` says when all are in. Undefined when the counter's counts do not add up over segments
 * (planning then measures units instead).
 */
export function prefetchCosts(files: readonly FileDiff[], opts: Omit<PlanOptions, 'costs'>): { costs: ExactCosts; settled: Promise<void> } | undefined {
  if (!opts.counter.segments) return undefined;
  const costs = new ExactCosts(opts.counter.segments);
  const matchSkipPath = pathMatcher(opts.skipPaths);
  const reviewable = reviewOrder(files)
    .map(({ file }) => file)
    .filter((file) => skipReason(file, matchSkipPath, opts.skipGenerated) === undefined)
    .map((file) => shownAs(file, opts));
  return { costs, settled: costs.prefetchAsync(reviewable, costs.rawBudget(opts.budgetTokens)) };
}

/** A file that needs a model as the plan cuts it: long runs of removed lines summarised, if the options say so. */
function shownAs(file: FileDiff, opts: Pick<PlanOptions, 'summariseRemovedOver'>): FileDiff {
  return opts.summariseRemovedOver === undefined ? file : summariseLongRemovals(file, opts.summariseRemovedOver);
}

/** Review order: the file's rank, then the piece's place in the file. */
function comparePieces(a: Piece, b: Piece): number {
  if (a.order !== b.order) return a.order - b.order;
  const ha = a.file.hunks[0];
  const hb = b.file.hunks[0];
  return (ha?.newStart ?? 0) - (hb?.newStart ?? 0) || (ha?.oldStart ?? 0) - (hb?.oldStart ?? 0);
}

/** First fit over the latest units, in order: a small file fills a gap an earlier big one left. */
function pack(pieces: readonly Piece[], cap: number): Piece[][] {
  const groups: { pieces: Piece[]; cost: number }[] = [];
  for (const piece of pieces) {
    let target: (typeof groups)[number] | undefined;
    for (let g = Math.max(0, groups.length - PACK_WINDOW); g < groups.length && !target; g++) if (groups[g]!.cost + piece.cost <= cap) target = groups[g];
    if (!target) groups.push((target = { pieces: [], cost: 0 }));
    target.pieces.push(piece);
    target.cost += piece.cost;
  }
  return groups.map((g) => g.pieces);
}

/** Pieces of the same file in one unit become one file entry (pieces of a file arrive in order). */
function mergePieces(group: readonly Piece[]): UnitFile[] {
  const byPath = new Map<string, UnitFile>();
  for (const { file } of group) {
    const previous = byPath.get(file.path);
    byPath.set(file.path, previous ? fileWith(previous, { collapsed: previous.collapsed === true && file.collapsed === true, hunks: [...previous.hunks, ...file.hunks] }) : file);
  }
  return [...byPath.values()];
}

/** One skipped entry per file, naming the lines (new-side numbers for added lines, old-side for removed). */
function skippedLines(lines: readonly OverlongLine[], why: string): SkippedLines[] {
  const byPath = new Map<string, string[]>();
  for (const { path, line } of lines) {
    const list = byPath.get(path) ?? [];
    list.push(line.kind === 'del' ? `-${line.oldLine}` : `+${line.newLine}`);
    byPath.set(path, list);
  }
  return [...byPath].map(([path, refs]) => ({
    path,
    reason: `${refs.length === 1 ? 'line' : 'lines'} ${refs.slice(0, 5).join(', ')}${refs.length > 5 ? `, … (${refs.length})` : ''} ${why}`,
    lines: refs.length,
  }));
}
