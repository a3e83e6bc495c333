import { afterEach, describe, expect, it } from 'vitest';
import { LoomError } from '../../src/errors.ts';
import { parseDiff } from '../../src/diff/parse.ts';
import { resolveRange } from '../../src/diff/range.ts';
import { readDiff } from '../../src/diff/read.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { cloneRepo, type Clone, memoryLogger } from './helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function clone(source: TestRepo, ...args: string[]): Clone {
  // file:// so that --depth is honoured (a plain local path clone ignores it).
  const c = cloneRepo(`file://${source.dir}`, ...args);
  cleanups.push(() => c.remove());
  return c;
}

/** A feature branch forked `featureCommits` commits ago from main, while main moved on by 3 commits. */
function origin(featureCommits: number): { repo: TestRepo; fork: string; featureTip: string } {
  const repo = makeRepo({ 'a.txt': 'a\n' });
  cleanups.push(() => repo.remove());
  for (let i = 0; i < 5; i++) repo.git('commit', '-q', '--allow-empty', '-m', `history ${i}`);
  const fork = repo.git('rev-parse', 'HEAD');
  repo.git('checkout', '-q', '-b', 'feature');
  repo.write({ 'feature.txt': 'feature\n' });
  repo.commit('feature file');
  for (let i = 1; i < featureCommits; i++) repo.git('commit', '-q', '--allow-empty', '-m', `feature ${i}`);
  const featureTip = repo.git('rev-parse', 'HEAD');
  repo.git('checkout', '-q', 'main');
  for (let i = 0; i < 3; i++) {
    repo.write({ [`main-${i}.txt`]: `${i}\n` });
    repo.commit(`main ${i}`);
  }
  return { repo, fork, featureTip };
}

async function rejection(promise: Promise<unknown>): Promise<LoomError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LoomError)) throw new Error(`expected a LoomError, got ${String(error)}`);
  return error;
}

describe('resolveRange in a shallow clone', () => {
  it('fetches the merge base the CI reports as one commit instead of deepening, and diffs against it', async () => {
    const { repo, fork, featureTip } = origin(60);
    const c = clone(repo, '--depth', '1', '--no-single-branch');
    c.git('checkout', '-q', 'feature');
    const log = memoryLogger();

    const range = await resolveRange({ cwd: c.dir, base: 'main', env: {}, log, knownMergeBase: fork });

    expect([range.mergeBase, range.headSha]).toEqual([fork, featureTip]);
    expect(log.infos).toEqual([`this is a shallow clone without the merge base; fetched the merge base ${fork.slice(0, 12)} that the CI reports`]);
    // Not deepened: the feature branch still has its one commit here.
    expect(c.git('rev-list', '--count', 'HEAD')).toBe('1');
    expect(parseDiff(await readDiff(c.dir, range)).map((f) => f.path)).toEqual(['feature.txt']);
  });

  it('ignores a reported merge base that is no commit, and deepens as before', async () => {
    const { repo, fork } = origin(3);
    const c = clone(repo, '--depth', '1', '--no-single-branch');
    c.git('checkout', '-q', 'feature');
    const range = await resolveRange({ cwd: c.dir, base: 'main', env: {}, log: memoryLogger(), knownMergeBase: 'f'.repeat(40) });
    expect(range.mergeBase).toBe(fork);
  });

  it('fetches the base branch and deepens in steps until the merge base is found', async () => {
    const { repo, fork, featureTip } = origin(60);
    const c = clone(repo, '--depth', '1', '--branch', 'feature');
    expect(c.git('rev-parse', '--is-shallow-repository')).toBe('true');
    const log = memoryLogger();

    const range = await resolveRange({ cwd: c.dir, env: { GITHUB_BASE_REF: 'main' }, log });

    expect([range.mergeBase, range.headSha, range.baseSha]).toEqual([fork, featureTip, repo.git('rev-parse', 'main')]);
    expect(log.infos).toEqual([
      'main is not in this checkout; fetching history from origin until the merge base of main and HEAD is found',
      'fetching origin/main (last 50 commits)',
      'deepening the shallow clone by 50 commits (git fetch --deepen=50)',
      'deepening the shallow clone by 200 commits (git fetch --deepen=200)',
    ]);
    const files = parseDiff(await readDiff(c.dir, range));
    expect(files.map((f) => [f.path, f.status])).toEqual([['feature.txt', 'added']]);
  });

  it('stops after fetching the base when that is enough', async () => {
    const { repo, fork } = origin(1);
    const c = clone(repo, '--depth', '3', '--branch', 'feature');
    const log = memoryLogger();
    const range = await resolveRange({ cwd: c.dir, base: 'main', env: {}, log });
    expect(range.mergeBase).toBe(fork);
    expect(log.infos).toEqual([
      'main is not in this checkout; fetching history from origin until the merge base of main and HEAD is found',
      'fetching origin/main (last 50 commits)',
    ]);
  });

  it('fetches a head sha that the checkout does not have', async () => {
    const { repo, fork, featureTip } = origin(2);
    const c = clone(repo, '--depth', '1', '--branch', 'main');
    const log = memoryLogger();
    const range = await resolveRange({ cwd: c.dir, base: 'main', env: { LOOM_HEAD_SHA: featureTip }, log });
    expect([range.headSha, range.mergeBase]).toEqual([featureTip, fork]);
    expect(log.infos[0]).toBe(`head commit ${featureTip} is not in this checkout; fetching it from origin (last 50 commits)`);
  });

  it('handles an actions/checkout-style depth-1 checkout of the PR merge commit', async () => {
    const { repo, fork, featureTip } = origin(3);
    repo.git('checkout', '-q', '--detach', 'main');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge', 'feature');
    repo.git('update-ref', 'refs/pull/1/merge', 'HEAD');
    repo.git('checkout', '-q', 'main');
    const c = clone(repo, '--depth', '1', '--branch', 'main');
    c.git('fetch', '-q', '--no-tags', '--depth=1', 'origin', '+refs/pull/1/merge:refs/remotes/pull/1/merge');
    c.git('checkout', '-q', '--detach', 'refs/remotes/pull/1/merge');
    c.git('update-ref', '-d', 'refs/remotes/origin/main');
    c.git('branch', '-q', '-D', 'main');

    const range = await resolveRange({ cwd: c.dir, env: { GITHUB_BASE_REF: 'main', LOOM_HEAD_SHA: featureTip }, log: memoryLogger() });
    expect([range.headSha, range.mergeBase, range.baseBranch]).toEqual([featureTip, fork, 'main']);
    const files = parseDiff(await readDiff(c.dir, range));
    expect(files.map((f) => f.path)).toEqual(['feature.txt']);
  });

  it('gives up with the full-history advice when the histories are unrelated', async () => {
    const { repo } = origin(1);
    repo.git('checkout', '-q', '--orphan', 'other');
    repo.write({ 'o.txt': 'o\n' });
    repo.commit('orphan');
    const c = clone(repo, '--depth', '1', '--branch', 'other');
    const log = memoryLogger();
    const error = await rejection(resolveRange({ cwd: c.dir, base: 'main', env: {}, log }));
    expect([error.code, error.message]).toEqual([
      'git-failed',
      'no merge base between main and HEAD. In CI check out full history (GitHub Actions: actions/checkout with ' +
        'fetch-depth: 0; GitLab: GIT_DEPTH: 0; Azure: fetchDepth: 0), or fetch the base branch: git fetch origin main',
    ]);
    expect(log.infos[1]).toBe('fetching origin/main (last 50 commits)');
    expect(c.git('rev-parse', '--is-shallow-repository')).toBe('false');
  });

  it('does not fetch when fetching is off', async () => {
    const { repo } = origin(1);
    const c = clone(repo, '--depth', '1', '--no-single-branch', '--branch', 'feature');
    const log = memoryLogger();
    const error = await rejection(resolveRange({ cwd: c.dir, base: 'main', env: {}, log, fetch: false }));
    expect(error.message).toMatch(/^no merge base between main and HEAD\. /);
    expect(log.infos).toEqual([]);
    expect(c.git('rev-parse', '--is-shallow-repository')).toBe('true');
  });
});
