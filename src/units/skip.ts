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
  return generated && file.status !== 'deleted' ? generatedReason(file) : undefined;
}
