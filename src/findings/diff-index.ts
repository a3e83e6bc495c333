import type { FileDiff, Hunk } from '../diff/types.ts';
import type { Side } from './finding.ts';

interface SideIndex {
  /** line number -> text, for lines present in the diff on this side. */
  text: Map<number, string>;
  /** line number -> the line's number on the other side (context lines only). */
  other: Map<number, number>;
  /** line number -> index of the hunk holding it. */
  hunk: Map<number, number>;
  hunks: Hunk[];
  /**
   * An elided file (FileDiff.elided) indexes only the lines it kept: the last line number of each hunk on this side,
   * from its header, tells how far a range may reach within it.
   */
  lastLines?: number[];
}

/** Answers "is this line in the diff, and what does it say" for anchoring and fingerprinting findings. */
export interface DiffIndex {
  /** Resolves a path the model or a check named (new path, old path of a rename, or a ./-prefixed path). */
  resolvePath(path: string): string | undefined;
  lineText(path: string, side: Side, line: number): string | undefined;
  /** Old path of the file (differs from `path` for renames). */
  oldPath(path: string): string | undefined;
  /** Both line numbers of a diff line: a context line has both, an added or removed line one. */
  pair(path: string, side: Side, line: number): { oldLine?: number; newLine?: number } | undefined;
  /** The range clamped into the hunk holding `line`, or undefined if `line` is not in the diff on `side`. */
  anchor(path: string, side: Side, line: number, endLine?: number): { line: number; endLine?: number } | undefined;
}

export function indexDiff(files: readonly FileDiff[]): DiffIndex {
  const index = growingDiffIndex();
  index.add(files);
  return index;
}

/** An index files are added to as the diff is read (see streamDiff); a path resolves the same whatever the order. */
export function growingDiffIndex(): DiffIndex & { add(files: readonly FileDiff[]): void } {
  const bySide = new Map<string, { new: SideIndex; old: SideIndex }>();
  const aliases = new Map<string, string>();
  const build = (): SideIndex => ({ text: new Map(), other: new Map(), hunk: new Map(), hunks: [] as Hunk[] });
  const oldPaths = new Map<string, string>();
  const add = (files: readonly FileDiff[]) => {
    for (const file of files) addFile(file);
  };
  const addFile = (file: FileDiff) => {
    aliases.set(file.path, file.path);
    oldPaths.set(file.path, file.oldPath);
    if (!aliases.has(file.oldPath)) aliases.set(file.oldPath, file.path);
    const entry = { new: build(), old: build() };
    if (file.elided) {
      entry.new.lastLines = file.hunks.map((h) => h.newStart + h.newLines - 1);
      entry.old.lastLines = file.hunks.map((h) => h.oldStart + h.oldLines - 1);
    }
    file.hunks.forEach((hunk, index) => {
      entry.new.hunks.push(hunk);
      entry.old.hunks.push(hunk);
      for (const line of hunk.lines) {
        if (line.newLine !== undefined) {
          entry.new.text.set(line.newLine, line.text);
          entry.new.hunk.set(line.newLine, index);
        }
        if (line.oldLine !== undefined && line.newLine !== undefined) {
          entry.new.other.set(line.newLine, line.oldLine);
          entry.old.other.set(line.oldLine, line.newLine);
        }
        if (line.oldLine !== undefined) {
          entry.old.text.set(line.oldLine, line.text);
          entry.old.hunk.set(line.oldLine, index);
        }
      }
    });
    bySide.set(file.path, entry);
  };
  const resolvePath = (path: string) => aliases.get(path.replace(/^\.\//, '').replace(/^[ab]\//, '')) ?? aliases.get(path.replace(/^\.\//, ''));
  return {
    add,
    resolvePath,
    lineText: (path, side, line) => bySide.get(path)?.[side].text.get(line),
    oldPath: (path) => oldPaths.get(path),
    pair(path, side, line) {
      const index = bySide.get(path)?.[side];
      if (!index?.text.has(line)) return undefined;
      const other = index.other.get(line);
      if (side === 'new') return other === undefined ? { newLine: line } : { oldLine: other, newLine: line };
      return other === undefined ? { oldLine: line } : { oldLine: line, newLine: other };
    },
    anchor(path, side, line, endLine) {
      const index = bySide.get(path)?.[side];
      const hunkIndex = index?.hunk.get(line);
      if (!index || hunkIndex === undefined) return undefined;
      if (endLine === undefined || endLine <= line) return { line };
      let end = line;
      const last = index.lastLines?.[hunkIndex];
      if (last !== undefined) end = Math.max(line, Math.min(endLine, last));
      else for (let n = line + 1; n <= endLine && index.hunk.get(n) === hunkIndex; n++) end = n;
      return end > line ? { line, endLine: end } : { line };
    },
  };
}
