import type { FileDiff } from '../diff/types.ts';
import { renderDiff } from '../prompts/render-diff.ts';
import type { TokenCounter } from '../tokens/counter.ts';
import { changedLineCount, countUnitLines } from './count-lines.ts';
import { calibrate, createEstimator } from './estimate.ts';
import { fileRank } from './priority.ts';
import { skipMatcher, skipReason } from './skip.ts';
import { splitFile, type OverlongLine, type Piece, type SplitContext } from './split-file.ts';
import type { ReviewUnit, SkippedLines, UnitFile, UnitPlan } from './types.ts';

export interface PlanOptions {
  /** Tokens of rendered diff one call may carry (see inputBudget), in `counter`'s tokens. */
  budgetTokens: number;
  counter: TokenCounter;
  /** Globs of files no model needs to read (config `skip_paths`). */
  skipPaths: readonly string[];
}

/** How many of the latest units a piece may still join: packing stays linear on huge diffs. */
const PACK_WINDOW = 32;
/** Times a unit whose real rendering is over budget is re-cut; each time with estimates scaled to the real count. */
const MAX_REPAIRS = 8;
/** Re-cutting aims this far under the budget, so one repair is enough. */
const REPAIR_HEADROOM = 0.97;

/**
 * Packs a diff into review units of at most `budgetTokens`, most important files first (source, then tests,
 * config, docs). Whole files first; a bigger file is cut at hunk boundaries; a bigger hunk into runs of lines.
 * Every changed line lands in exactly one unit or in `skipped`, and every unit is checked against the real
 * rendering (renderDiff) with the real counter, so no call exceeds the budget.
 */
export function planUnits(files: readonly FileDiff[], opts: PlanOptions): UnitPlan {
  const matchSkipPath = skipMatcher(opts.skipPaths);
  const skipped: SkippedLines[] = [];
  const overlong: OverlongLine[] = [];
  const budget = opts.budgetTokens;

  // Stable: within a rank, git's order (by path) keeps a directory's files together.
  const ordered = files.map((file, index) => ({ file, index, rank: fileRank(file.path) })).sort((a, b) => a.rank - b.rank || a.index - b.index);
  const reviewable: FileDiff[] = [];
  let changedLines = 0;
  for (const { file } of ordered) {
    const lines = changedLineCount(file);
    changedLines += lines;
    // A file whose hunks hold only context (a hand-made diff) would cost a call for nothing.
    const reason = skipReason(file, matchSkipPath) ?? (lines === 0 ? 'no changed lines' : undefined);
    if (reason !== undefined) skipped.push({ path: file.path, reason, lines });
    else reviewable.push(file);
  }
  const ctx: SplitContext = { est: createEstimator(calibrate(reviewable, opts.counter), opts.counter), counter: opts.counter, budget, overlong };
  const pieces = reviewable.flatMap((file, order) => splitFile(file, budget, ctx, order));

  const placed: { unit: ReviewUnit; first: Piece }[] = [];
  const unfitted: OverlongLine[] = [];
  const place = (group: Piece[], depth: number, leftovers: Piece[]): void => {
    const unitFiles = mergePieces(group);
    const only = group.length === 1 ? group[0]!.exact : undefined;
    const tokens = only ?? opts.counter.count(renderDiff(unitFiles));
    if (tokens <= budget) {
      placed.push({ unit: { id: '', files: unitFiles, tokens, lines: countUnitLines(unitFiles) }, first: group.reduce((a, b) => (comparePieces(b, a) < 0 ? b : a)) });
      return;
    }
    if (depth >= MAX_REPAIRS) {
      for (const file of unitFiles) for (const hunk of file.hunks) for (const line of hunk.lines) if (line.kind !== 'context') unfitted.push({ path: file.path, line });
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
      const [first = [], ...others] = pack(group.flatMap((p) => (p.cost <= cap ? [p] : splitFile(p.file, cap, ctx, p.order))), cap);
      place(first, depth + 1, leftovers);
      leftovers.push(...others.flat());
      return;
    }
    place(keep, depth + 1, leftovers);
    leftovers.push(...rest);
  };
  let queue = pieces;
  for (let round = 0; queue.length > 0; round++) {
    const leftovers: Piece[] = [];
    for (const group of pack(queue, budget)) place(group, round, leftovers);
    queue = leftovers;
  }
  // Re-cut leftovers were placed last: order units again by their most important piece.
  const units = placed.sort((a, b) => comparePieces(a.first, b.first)).map((p) => p.unit);

  skipped.push(...skippedLines(overlong, `longer than the model's input budget of ${budget} tokens`), ...skippedLines(unfitted, 'could not be fitted into the input budget'));
  units.forEach((unit, i) => (unit.id = `u${i + 1}`));
  const reviewed = units.reduce((n, u) => n + u.lines!.reviewed, 0);
  const summarised = units.reduce((n, u) => n + u.lines!.summarised, 0);
  const skippedCount = skipped.reduce((n, s) => n + s.lines, 0);
  return { units, skipped, totals: { files: files.length, changedLines, reviewed, summarised, skipped: skippedCount } };
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
    byPath.set(file.path, previous ? { ...previous, collapsed: previous.collapsed === true && file.collapsed === true, hunks: [...previous.hunks, ...file.hunks] } : file);
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
