import type { FileDiff } from '../diff/types.ts';
import { generatedReason } from './generated.ts';

const SUBMODULE_MODE = '160000';

/**
 * Why a file needs no model call, or undefined when it has lines to review. `generated`: also by what its content
 * shows (config skip_generated, see generatedReason).
 */
export function skipReason(file: FileDiff, matchSkipPath: (path: string) => string | undefined, generated = false): string | undefined {
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
  if (onlySourceMapComments(file)) return 'only its source map comment changed';
  return generated && file.status !== 'deleted' ? generatedReason(file) : undefined;
}

/** A comment that names a file's source map (`//# sourceMappingURL=…`, `/*# sourceMappingURL=… *\/`, or `@` for `#`). */
const SOURCE_MAP_COMMENT = /^\s*(?:\/\/|\/\*)[#@] sourceMappingURL=/;

/**
 * Whether every changed line of the file is a source map comment: a rebuilt file whose code is the same, whose
 * map (often inline, as base64) is not. Nothing in it for a model to review.
 */
function onlySourceMapComments(file: FileDiff): boolean {
  let changed = 0;
  for (const hunk of file.hunks) {
    for (const line of hunk.lines) {
      if (line.kind === 'context') continue;
      if (!SOURCE_MAP_COMMENT.test(line.text)) return false;
      changed++;
    }
  }
  return changed > 0;
}
