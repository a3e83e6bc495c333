import { pathMatcher } from '../diff/filter.ts';
import type { FileDiff } from '../diff/types.ts';

const SUBMODULE_MODE = '160000';

const matchers = new WeakMap<readonly string[], (path: string) => string | undefined>();

/**
 * Returns the first pattern a path matches (pathMatcher's gitignore-style rules). The matcher for a list is made
 * once and remembers its answers: planning asks about the same paths more than once.
 */
export function skipMatcher(patterns: readonly string[]): (path: string) => string | undefined {
  let matcher = matchers.get(patterns);
  if (!matcher) {
    const match = pathMatcher(patterns);
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

/** Why a file needs no model call, or undefined when it has lines to review. */
export function skipReason(file: FileDiff, matchSkipPath: (path: string) => string | undefined): string | undefined {
  const pattern = matchSkipPath(file.path);
  if (pattern !== undefined) return `skip_paths: ${pattern}`;
  if (file.oldMode === SUBMODULE_MODE || file.newMode === SUBMODULE_MODE) return 'submodule';
  if (file.binary) return 'binary';
  if (file.modeOnly) return 'mode change only';
  if (file.hunks.length === 0) {
    if (file.status === 'renamed') return 'renamed without changes';
    if (file.status === 'copied') return 'copied without changes';
    return file.status === 'added' ? 'empty file added' : file.status === 'deleted' ? 'empty file deleted' : 'no changed lines';
  }
  return undefined;
}
