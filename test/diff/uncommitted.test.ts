import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDiff } from '../../src/diff/parse.ts';
import { resolveRange } from '../../src/diff/range.ts';
import { diffCommand, readDiff } from '../../src/diff/read.ts';
import { streamDiff } from '../../src/diff/stream.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { fileAt, lineSummary, memoryLogger } from './helpers.ts';

let repo: TestRepo;
afterEach(() => repo?.remove());

describe('includeUncommitted', () => {
  it('diffs the merge base against the working tree: committed, staged, unstaged and untracked changes', async () => {
    repo = makeRepo({ 'committed.txt': 'c\n', 'staged.txt': 's\n', 'unstaged.txt': 'u\n', '.gitignore': 'ignored.log\n' });
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write({ 'committed.txt': 'c2\n' });
    const head = repo.commit('committed change');
    repo.write({ 'staged.txt': 's2\n' });
    repo.git('add', 'staged.txt');
    repo.write({
      'unstaged.txt': 'u2\n',
      'new dir/untracked ü.txt': 'fresh\nfile\n',
      'glob*.txt': 'a file whose name is a glob\n',
      'ignored.log': 'never\n',
    });
    const statusBefore = repo.git('status', '--porcelain');
    const stagedBefore = repo.git('diff', '--cached', '--name-only');

    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger(), includeUncommitted: true });
    expect([range.includesUncommitted, range.headSha]).toEqual([true, head]);
    const files = parseDiff(await readDiff(repo.dir, range));

    expect(files.map((f) => [f.path, f.status])).toEqual([
      ['committed.txt', 'modified'],
      ['glob*.txt', 'added'],
      ['new dir/untracked ü.txt', 'added'],
      ['staged.txt', 'modified'],
      ['unstaged.txt', 'modified'],
    ]);
    expect(lineSummary(fileAt(files, 'new dir/untracked ü.txt'))).toEqual(['+1 fresh', '+2 file']);
    expect(lineSummary(fileAt(files, 'staged.txt'))).toEqual(['-1 s', '+1 s2']);
    expect(lineSummary(fileAt(files, 'unstaged.txt'))).toEqual(['-1 u', '+1 u2']);
    // The user's index is untouched: nothing got staged or marked intent-to-add.
    expect(repo.git('status', '--porcelain')).toBe(statusBefore);
    expect(repo.git('diff', '--cached', '--name-only')).toBe(stagedBefore);
  });

  it('streams the working tree file by file as it reads it whole, and removes its throwaway index once git is done', async () => {
    repo = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write({ 'a.txt': 'a2\n' });
    repo.commit('committed change');
    repo.write({ 'b.txt': 'b2 ✓\n', 'c-untracked.txt': 'new\n', 'd-untracked.txt': 'also new\n' });
    const statusBefore = repo.git('status', '--porcelain');
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger(), includeUncommitted: true });

    const streamed = [];
    for await (const batch of streamDiff(repo.dir, range)) streamed.push(...batch);

    expect(streamed.map((f) => f.path)).toEqual(['a.txt', 'b.txt', 'c-untracked.txt', 'd-untracked.txt']);
    expect(streamed).toEqual(parseDiff(await readDiff(repo.dir, range)));
    expect(repo.git('status', '--porcelain')).toBe(statusBefore);

    const command = await diffCommand(repo.dir, range);
    const index = command.env?.GIT_INDEX_FILE;
    expect(index !== undefined && existsSync(index)).toBe(true);
    await command.done();
    expect(existsSync(dirname(index!))).toBe(false);
  });

  it('without it, only the commits are diffed', async () => {
    repo = makeRepo({ 'a.txt': 'a\n' });
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write({ 'a.txt': 'a2\n', 'untracked.txt': 'x\n' });
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });
    expect(parseDiff(await readDiff(repo.dir, range))).toEqual([]);
  });

  it('works with no untracked files', async () => {
    repo = makeRepo({ 'a.txt': 'a\n' });
    repo.write({ 'a.txt': 'b\n' });
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger(), includeUncommitted: true });
    const files = parseDiff(await readDiff(repo.dir, range));
    expect(files.map((f) => lineSummary(f))).toEqual([['-1 a', '+1 b']]);
  });
});
