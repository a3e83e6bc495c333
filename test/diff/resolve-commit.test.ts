import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveCommit } from '../../src/diff/git.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function repoWithTagAndTree(): { repo: TestRepo; first: string; second: string } {
  const repo = makeRepo({ 'a.txt': 'a\n' });
  cleanups.push(() => repo.remove());
  const first = repo.git('rev-parse', 'HEAD');
  repo.git('tag', '-a', 'v1', '-m', 'annotated');
  repo.write({ 'a.txt': 'b\n' });
  const second = repo.commit('second');
  return { repo, first, second };
}

/** Puts a `git` first on PATH that logs each command it is given, then runs the real one. */
function countGitProcesses(): { calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'loom-git-log-'));
  const log = join(dir, 'calls.log');
  const realGit = process.env.PATH!.split(':').map((p) => join(p, 'git')).find((p) => existsSync(p))!;
  writeFileSync(join(dir, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
  chmodSync(join(dir, 'git'), 0o755);
  const before = process.env.PATH;
  process.env.PATH = `${dir}:${before}`;
  cleanups.push(() => {
    process.env.PATH = before;
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    calls: () => {
      try {
        return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
  };
}

describe('resolveCommit', () => {
  it('answers each name with its commit: branches, HEAD~n, an annotated tag peeled, a sha; undefined for the rest', async () => {
    const { repo, first, second } = repoWithTagAndTree();
    const names = ['main', 'HEAD~1', 'v1', first, 'no-such-branch', 'HEAD:a.txt', '', '-x', 'main\nHEAD', first.slice(0, 2)];
    const shas = await Promise.all(names.map((name) => resolveCommit(repo.dir, name)));
    expect(shas).toEqual([second, first, first, first, undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('asks one git process for every name asked in the same turn, and a fresh one later', async () => {
    const { repo, first, second } = repoWithTagAndTree();
    const git = countGitProcesses();
    const together = await Promise.all([resolveCommit(repo.dir, 'main'), resolveCommit(repo.dir, 'v1'), resolveCommit(repo.dir, 'gone')]);
    expect(together).toEqual([second, first, undefined]);
    expect(git.calls().filter((c) => c.includes('cat-file'))).toHaveLength(1);

    repo.git('branch', 'gone');
    expect(await resolveCommit(repo.dir, 'gone')).toBe(second);
    expect(git.calls().filter((c) => c.includes('cat-file'))).toHaveLength(2);
  });

  it('gives undefined for every name outside a repository, where git exits before reading them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loom-not-a-repo-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // More input than a pipe holds: writing it to a git that has already exited fails with EPIPE.
    const names = Array.from({ length: 5000 }, (_, i) => `refs/heads/branch-${i}`);
    const shas = await Promise.all(names.map((name) => resolveCommit(dir, name)));
    expect(shas.every((sha) => sha === undefined)).toBe(true);
  });
});
