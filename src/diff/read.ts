import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { DiffRange } from './types.ts';
import { DIFF_FLAGS, git, repoRoot } from './git.ts';

/** The raw unified diff of the range: mergeBase..headSha, or mergeBase..working tree when it includes uncommitted changes. */
export async function readDiff(cwd: string, range: DiffRange): Promise<string> {
  const root = range.root ?? (await repoRoot(cwd));
  if (!range.includesUncommitted) {
    return git(root, ['diff', ...DIFF_FLAGS, range.mergeBase, range.headSha, '--'], { raw: true });
  }
  return readWorkingTreeDiff(root, range.mergeBase);
}

/**
 * Staged, unstaged and untracked changes against the merge base, in one `git diff` so every file is in
 * the same format. Untracked files are marked intent-to-add in a throwaway copy of the index: the
 * user's index (what they staged) is never touched.
 */
async function readWorkingTreeDiff(root: string, mergeBase: string): Promise<string> {
  const untracked = await git(root, ['ls-files', '-z', '--others', '--exclude-standard'], { raw: true });
  if (untracked === '') return git(root, ['diff', ...DIFF_FLAGS, mergeBase, '--'], { raw: true });

  const tempDir = await mkdtemp(join(tmpdir(), 'loom-index-'));
  try {
    const indexPath = await git(root, ['rev-parse', '--git-path', 'index']);
    const tempIndex = join(tempDir, 'index');
    // A repository whose index was never written has nothing staged; git creates the temp index then.
    await copyFile(isAbsolute(indexPath) ? indexPath : join(root, indexPath), tempIndex).catch(() => undefined);
    const env = { GIT_INDEX_FILE: tempIndex };
    await git(root, ['add', '--intent-to-add', '--pathspec-from-file=-', '--pathspec-file-nul'], { env, input: untracked });
    return await git(root, ['diff', ...DIFF_FLAGS, mergeBase, '--'], { env, raw: true });
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}
