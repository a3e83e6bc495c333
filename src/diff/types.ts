/**
 * One line of a hunk. `text` has no leading '+', '-' or ' '. Lines are made with all four fields, the missing side
 * as undefined, and loom makes them as ParsedLine (diff/parsed-line.ts): objects of one shape keep the code that
 * walks hundreds of thousands of them optimized.
 */
export interface DiffLine {
  kind: 'add' | 'del' | 'context';
  /** 1-based line in the old file; absent for added lines. */
  oldLine?: number;
  /** 1-based line in the new file; absent for deleted lines. */
  newLine?: number;
  text: string;
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Text after the second `@@` (git's guess at the enclosing function), may be empty. */
  section: string;
  lines: DiffLine[];
}

export type FileStatus = 'added' | 'deleted' | 'modified' | 'renamed' | 'copied';

export interface FileDiff {
  /** Repo-relative POSIX path on the new side (the old path for a deleted file). */
  path: string;
  /** Path on the old side (equal to `path` unless renamed or copied). */
  oldPath: string;
  status: FileStatus;
  binary: boolean;
  /** Only the file mode changed (no content hunks). */
  modeOnly: boolean;
  oldMode?: string;
  newMode?: string;
  /** The new (or, if deleted, the old) side lacks a final newline. */
  noNewlineAtEof: boolean;
  hunks: Hunk[];
  additions: number;
  deletions: number;
  /**
   * No model reads this file (skip_paths, ignore_paths), so its hunks hold only the added lines a built-in check
   * may flag (ParseOptions.elide); `additions` and `deletions` are the real counts.
   */
  elided?: boolean;
  /**
   * False when the file's section of git's output holds none of the fixed text any secret pattern needs
   * (ParseOptions.secretHint), so no line of it can hold one; undefined when the parser did not look.
   */
  mayHoldSecret?: boolean;
}

/** What is being compared: merge base of base and head, to head. */
export interface DiffRange {
  /** The ref the user or CI named as base (branch name or sha). */
  baseRef: string;
  /** The base as a branch name (`origin/main` and `refs/heads/main` give `main`); absent when the base is a sha or tag. */
  baseBranch?: string;
  /** The ref the user or CI named as head (default HEAD). */
  headRef: string;
  baseSha: string;
  headSha: string;
  mergeBase: string;
  /** The working tree (staged and unstaged changes) is included on top of head. */
  includesUncommitted: boolean;
  /** The repository's top-level directory, as resolveRange found it (saves asking git again). */
  root?: string;
}
