import picomatch from 'picomatch';
import type { FileDiff } from '../diff/types.ts';

const SUBMODULE_MODE = '160000';

/** `./src/`, `/dist/` and `dist/` mean what gitignore users expect: a path from the root, a whole folder. */
function normalizePattern(pattern: string): string {
  let p = pattern.trim();
  if (p.startsWith('./')) p = p.slice(2);
  else if (p.startsWith('/')) p = p.slice(1);
  if (p.endsWith('/')) p = `${p}**`;
  return p;
}

const matchers = new WeakMap<readonly string[], (path: string) => string | undefined>();

/**
 * Returns the first pattern a path matches. A pattern without '/' matches the file name at any depth. The
 * matcher for a list is made once and remembers its answers (planning asks about the same paths more than once).
 */
export function skipMatcher(patterns: readonly string[]): (path: string) => string | undefined {
  let matcher = matchers.get(patterns);
  if (!matcher) {
    const compiled = patterns.map((pattern) => {
      const glob = normalizePattern(pattern);
      // picomatch's `basename` would apply to every pattern (making 'dist/**' match nothing), so only where no slash.
      return { pattern, test: picomatch(glob, { dot: true, basename: !glob.includes('/') }) };
    });
    const answers = new Map<string, string | undefined>();
    matcher = (path) => {
      if (answers.has(path)) return answers.get(path);
      const answer = compiled.find((m) => m.test(path))?.pattern;
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
