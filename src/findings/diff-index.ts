import type { DiffLine, FileDiff } from '../diff/types.ts';
import type { Side } from './finding.ts';

/** Answers "is this line in the diff, and what does it say" for anchoring and fingerprinting findings. */
export interface DiffIndex {
  /** Resolves a path the model or a check named (new path, old path of a rename, or a ./-prefixed path). */
  resolvePath(path: string): string | undefined;
  lineText(path: string, side: Side, line: number): string | undefined;
  /** Old path of the file (differs from `path` for renames). */
  oldPath(path: string): string | undefined;
  /** Both line numbers of a diff line: a context line has both, an added or removed line one. */
  pair(path: string, side: Side, line: number): { oldLine?: number; newLine?: number } | undefined;
  /**
   * Both sides' line counters at a diff line, as GitLab numbers every line of its diff view: from the hunk header
   * on, a line added takes the old side's next line number and a line removed the new side's (a context line, its
   * own pair). Undefined outside the diff, and in an elided file, whose dropped lines cannot be counted.
   */
  counters(path: string, side: Side, line: number): { old: number; new: number } | undefined;
  /** The range clamped into the hunk holding `line`, or undefined if `line` is not in the diff on `side`. */
  anchor(path: string, side: Side, line: number, endLine?: number): { line: number; endLine?: number } | undefined;
}

/**
 * One hunk's lines on one side: `first`..`last` and where each sits in hunk.lines. An elided file (FileDiff.elided)
 * holds only the lines it kept, so its span comes from the hunk header and its lines are looked up in a Map.
 */
interface Span {
  lines: readonly DiffLine[];
  /** The hunk header's start on each side. */
  oldStart: number;
  newStart: number;
  first: number;
  last: number;
  /** Whole hunks: at[n - first] is 1 + the index of line n in `lines`, 0 when absent. Elided ones: line -> index. */
  at: Int32Array | Map<number, number>;
}

type Sides = Record<Side, Span[]>;

export function indexDiff(files: readonly FileDiff[]): DiffIndex {
  const index = growingDiffIndex();
  index.add(files);
  return index;
}

/**
 * An index files are added to as the diff is read (see streamDiff); a path resolves the same whatever the order.
 * Adding a file costs nothing but remembering it: a file's line table is built the first time a finding names it
 * (most files never are), in typed arrays, where a Map per line number cost ~250 bytes per changed line and held
 * the main thread while the diff streamed in.
 */
export function growingDiffIndex(): DiffIndex & { add(files: readonly FileDiff[]): void } {
  const files = new Map<string, { file: FileDiff; sides?: Sides }>();
  const aliases = new Map<string, string>();
  const add = (batch: readonly FileDiff[]) => {
    for (const file of batch) {
      aliases.set(file.path, file.path);
      if (!aliases.has(file.oldPath)) aliases.set(file.oldPath, file.path);
      files.set(file.path, { file });
    }
  };
  const spansOf = (path: string, side: Side): Span[] | undefined => {
    const entry = files.get(path);
    if (!entry) return undefined;
    entry.sides ??= { new: spans(entry.file, 'new'), old: spans(entry.file, 'old') };
    return entry.sides[side];
  };
  /** The span holding `line` on `side` and the index of the line in it, if the line is in the diff. */
  const find = (path: string, side: Side, line: number): { span: Span; at: number } | undefined => {
    const list = spansOf(path, side);
    const span = list && spanAt(list, line);
    if (!span) return undefined;
    const at = span.at instanceof Map ? (span.at.get(line) ?? -1) : span.at[line - span.first]! - 1;
    return at < 0 ? undefined : { span, at };
  };
  const resolvePath = (path: string) => aliases.get(path.replace(/^\.\//, '').replace(/^[ab]\//, '')) ?? aliases.get(path.replace(/^\.\//, ''));
  return {
    add,
    resolvePath,
    lineText(path, side, line) {
      const found = find(path, side, line);
      return found && found.span.lines[found.at]!.text;
    },
    oldPath: (path) => files.get(path)?.file.oldPath,
    pair(path, side, line) {
      const found = find(path, side, line);
      if (!found) return undefined;
      const { kind, oldLine, newLine } = found.span.lines[found.at]!;
      if (kind === 'context') return { oldLine: oldLine!, newLine: newLine! };
      return side === 'new' ? { newLine: line } : { oldLine: line };
    },
    counters(path, side, line) {
      const found = find(path, side, line);
      if (!found || found.span.at instanceof Map) return undefined;
      const { lines, oldStart, newStart } = found.span;
      let oldAt = oldStart;
      let newAt = newStart;
      for (let i = 0; i < found.at; i++) {
        if (lines[i]!.kind !== 'add') oldAt++;
        if (lines[i]!.kind !== 'del') newAt++;
      }
      return { old: oldAt, new: newAt };
    },
    anchor(path, side, line, endLine) {
      const found = find(path, side, line);
      if (!found) return undefined;
      if (endLine === undefined || endLine <= line) return { line };
      const { span } = found;
      let end = line;
      // An elided hunk's lines are not all there: its header says how far the hunk reaches.
      if (span.at instanceof Map) end = Math.max(line, Math.min(endLine, span.last));
      else while (end < endLine && end < span.last && span.at[end + 1 - span.first]! > 0) end++;
      return end > line ? { line, endLine: end } : { line };
    },
  };
}

function spans(file: FileDiff, side: Side): Span[] {
  const out: Span[] = [];
  const numberOf = (l: DiffLine) => (side === 'new' ? l.newLine : l.oldLine);
  for (const hunk of file.hunks) {
    const { lines } = hunk;
    if (file.elided) {
      const first = side === 'new' ? hunk.newStart : hunk.oldStart;
      const at = new Map<number, number>();
      lines.forEach((l, i) => {
        const n = numberOf(l);
        if (n !== undefined) at.set(n, i);
      });
      const last = first + (side === 'new' ? hunk.newLines : hunk.oldLines) - 1;
      if (last >= first) out.push({ lines, oldStart: hunk.oldStart, newStart: hunk.newStart, first, last, at });
      continue;
    }
    let first = Infinity;
    let last = -Infinity;
    for (const l of lines) {
      const n = numberOf(l);
      if (n === undefined) continue;
      if (n < first) first = n;
      if (n > last) last = n;
    }
    if (last < first) continue;
    const at = new Int32Array(last - first + 1);
    lines.forEach((l, i) => {
      const n = numberOf(l);
      if (n !== undefined) at[n - first] = i + 1;
    });
    out.push({ lines, oldStart: hunk.oldStart, newStart: hunk.newStart, first, last, at });
  }
  return out;
}

/** The span whose range holds `line` (spans are in line order on their side), by binary search. */
function spanAt(list: readonly Span[], line: number): Span | undefined {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const span = list[mid]!;
    if (line < span.first) hi = mid - 1;
    else if (line > span.last) lo = mid + 1;
    else return span;
  }
  return undefined;
}
