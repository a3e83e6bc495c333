import { rmSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { DiffRange } from './types.ts';
import { DIFF_FLAGS, git, repoRoot } from './git.ts';

/**
 * The raw unified diff of the range, whole: mergeBase..headSha, or mergeBase..working tree when it includes
 * uncommitted changes. A review reads it as a stream (streamDiff); this is the plain reading tests compare with.
 */
export async function readDiff(cwd: string, range: DiffRange): Promise<string> {
  const root = range.root ?? (await repoRoot(cwd));
  const diff = await diffCommand(root, range);
  try {
    return await git(root, diff.args, { raw: true, ...(diff.env ? { env: diff.env } : {}) });
  } finally {
    await diff.done();
  }
}

/** The `git diff` that prints the range: its arguments, its environment, and what to do once it has run. */
export interface DiffCommand {
  args: string[];
  env?: Record<string, string>;
  done(): Promise<void>;
}

/**
 * How to run the range's diff. With uncommitted changes: staged, unstaged and untracked changes against the merge
 * base, in one `git diff` so every file is in the same format. Untracked files are marked intent-to-add in a
 * throwaway copy of the index, which `done` removes: the user's index (what they staged) is never touched.
 */
export async function diffCommand(root: string, range: DiffRange): Promise<DiffCommand> {
  const nothing = async () => undefined;
  if (!range.includesUncommitted) return { args: ['diff', ...DIFF_FLAGS, range.mergeBase, range.headSha, '--'], done: nothing };
  const args = ['diff', ...DIFF_FLAGS, range.mergeBase, '--'];
  const untracked = await git(root, ['ls-files', '-z', '--others', '--exclude-standard'], { raw: true });
  if (untracked === '') return { args, done: nothing };

  const tempDir = await mkdtemp(join(tmpdir(), 'loom-index-'));
  // Removed once the diff has been read, or as the process ends if it never is (a run stopped early).
  const removeNow = () => rmSync(tempDir, { recursive: true, force: true });
  process.once('exit', removeNow);
  const done = async () => {
    process.off('exit', removeNow);
    await rm(tempDir, { recursive: true, force: true });
  };
  try {
    const indexPath = await git(root, ['rev-parse', '--git-path', 'index']);
    const tempIndex = join(tempDir, 'index');
    // A repository whose index was never written has nothing staged; git creates the temp index then.
    await copyFile(isAbsolute(indexPath) ? indexPath : join(root, indexPath), tempIndex).catch(() => undefined);
    const env = { GIT_INDEX_FILE: tempIndex };
    await git(root, ['add', '--intent-to-add', '--pathspec-from-file=-', '--pathspec-file-nul'], { env, input: untracked });
    return { args, env, done };
  } catch (error) {
    await done();
    throw error;
  }
}
