import picomatch from 'picomatch';
import type { FileDiff } from './types.ts';

export interface Triggers {
  /** Target branches (globs) that get a model review; all when absent. */
  branches?: string[];
  /** Globs of files never reviewed. A pattern without '/' matches the file name at any depth. */
  ignore_paths: string[];
  /** Changed lines (additions + deletions of the kept files) above which the model review is skipped. */
  max_changes?: number;
}

export interface TriggerResult {
  /** The files left after ignore_paths. */
  files: FileDiff[];
  ignored: { path: string; reason: string }[];
  /** Set when the model review must be skipped; `reason` is a sentence for the log and the PR. */
  skip?: { reason: string };
}

/** `./src/`, `/dist/` and `dist/` mean what gitignore users expect: a path from the root, a whole folder. */
export function normalizePattern(pattern: string): string {
  let p = pattern.trim();
  if (p.startsWith('./')) p = p.slice(2);
  else if (p.startsWith('/')) p = p.slice(1);
  if (p.endsWith('/')) p = `${p}**`;
  return p;
}

const matchers = new WeakMap<readonly string[], (path: string) => string | undefined>();

/**
 * The first of `patterns` (gitignore-style globs, see normalizePattern) that matches a path. The matcher for a list
 * is made once and remembers its answers: the same lists (skip_paths, ignore_paths) and paths are asked about by
 * the parser, the trigger rules and the planner.
 */
export function pathMatcher(patterns: readonly string[]): (path: string) => string | undefined {
  let matcher = matchers.get(patterns);
  if (!matcher) {
    const match = compile(patterns);
    const answers = new Map<string, string | undefined>();
    matcher = (path) => {
      if (answers.has(path)) return answers.get(path);
      const answer = match(path);
      answers.set(path, answer);
      return answer;
    };
    matchers.set(patterns, matcher);
  }
  return matcher;
}

function compile(patterns: readonly string[]): (path: string) => string | undefined {
  const compiled = patterns.map((pattern) => {
    const glob = normalizePattern(pattern);
    let test: ((path: string) => boolean) | undefined;
    // '*.lock' matches 'a/b/yarn.lock' (gitignore style). picomatch's `basename` option would apply to
    // every pattern, making 'dist/**' match nothing, so it is set only for patterns without a slash.
    // Built when first needed: compiling the 30 default skip_paths took ~6 ms of every review's start.
    const matches = (path: string) => (test ??= picomatch(glob, { dot: true, basename: !glob.includes('/') }))(path);
    return { pattern, literal: requiredLiteral(glob), matches };
  });
  // The regexes picomatch builds for '**/' patterns cost about a microsecond per test: 30 default skip_paths over
  // thousands of files add up to tens of ms before the first model call. A substring test rules most out first.
  return (path) => compiled.find((m) => path.includes(m.literal) && m.matches(path))?.pattern;
}

/** Glob syntax that makes the characters around it optional or not literal: classes, braces, extglobs, escapes. */
const NOT_PLAIN = /[[\]{}()!+@|\\]/;

/**
 * The longest run of plain characters that every path a glob matches contains ('' when the glob has syntax
 * other than '*', '?' and '/', or no such run). Split at '/' too: 'dist/**' also matches 'dist' itself.
 */
export function requiredLiteral(glob: string): string {
  if (NOT_PLAIN.test(glob)) return '';
  let longest = '';
  for (const part of glob.split(/[*?/]/)) if (part.length > longest.length) longest = part;
  return longest;
}

/** Files kept and files ignored by `ignoredBy` (a pathMatcher of triggers.ignore_paths), with the pattern that did it. */
export function partitionIgnored(files: readonly FileDiff[], ignoredBy: (path: string) => string | undefined): { kept: FileDiff[]; ignored: TriggerResult['ignored'] } {
  const kept: FileDiff[] = [];
  const ignored: TriggerResult['ignored'] = [];
  for (const file of files) {
    const pattern = ignoredBy(file.path);
    if (pattern === undefined) kept.push(file);
    else ignored.push({ path: file.path, reason: `matches triggers.ignore_paths pattern "${pattern}"` });
  }
  return { kept, ignored };
}

const listOf = (values: readonly string[]): string => values.join(', ');

/** Applies the config's trigger rules to the diff: which files are reviewed, and whether the model review runs. */
export function applyTriggers(files: readonly FileDiff[], triggers: Triggers, ctx: { targetBranch?: string }): TriggerResult {
  const { kept, ignored } = partitionIgnored(files, pathMatcher(triggers.ignore_paths));
  const result: TriggerResult = { files: kept, ignored };
  const { branches, max_changes: maxChanges } = triggers;
  // An unknown target (a local run, a push build) is reviewed: skipping needs a branch that is known not to match.
  if (branches && ctx.targetBranch !== undefined) {
    // Azure names branches as refs/heads/<name>.
    const target = ctx.targetBranch.replace(/^refs\/heads\//, '');
    if (!branches.some((glob) => picomatch.isMatch(target, glob, { dot: true }))) {
      result.skip = {
        reason:
          branches.length === 0
            ? `triggers.branches is empty, so no target branch is reviewed (this one is ${target}); the model review was skipped`
            : `the target branch ${target} is not in triggers.branches (${listOf(branches)}); the model review was skipped`,
      };
      return result;
    }
  }
  if (maxChanges !== undefined) {
    let changes = 0;
    for (const file of kept) changes += file.additions + file.deletions;
    if (changes > maxChanges) {
      result.skip = {
        reason: `this pull request changes ${changes} lines, above triggers.max_changes (${maxChanges}); the model review was skipped`,
      };
    }
  }
  return result;
}
