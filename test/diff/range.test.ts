import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LoomError } from '../../src/errors.ts';
import { resolveRange } from '../../src/diff/range.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { type Clone, cloneRepo, memoryLogger, plainDir, runGit } from './helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** main: initial → m2; feature forks at initial and adds f1. Returns the shas. */
function forkedRepo(): { repo: TestRepo; fork: string; mainTip: string; featureTip: string } {
  const repo = makeRepo({ 'a.txt': 'a\n' });
  cleanups.push(() => repo.remove());
  const fork = repo.git('rev-parse', 'HEAD');
  repo.git('checkout', '-q', '-b', 'feature');
  repo.write({ 'f.txt': 'f\n' });
  const featureTip = repo.commit('f1');
  repo.git('checkout', '-q', 'main');
  repo.write({ 'm.txt': 'm\n' });
  const mainTip = repo.commit('m2');
  repo.git('checkout', '-q', 'feature');
  return { repo, fork, mainTip, featureTip };
}

function clone(source: string, ...args: string[]): Clone {
  const c = cloneRepo(source, ...args);
  cleanups.push(() => c.remove());
  return c;
}

async function rejection(promise: Promise<unknown>): Promise<LoomError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LoomError)) throw new Error(`expected a LoomError, got ${String(error)}`);
  return error;
}

/**
 * Runs `fn` with a `git` first on PATH that logs each call's arguments, one line per process, before running the
 * real git: which git processes a step starts (each costs the main thread a few ms to start).
 */
async function gitCalls(fn: () => Promise<unknown>): Promise<string[]> {
  const real = (process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'git')).find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  const dir = mkdtempSync(join(tmpdir(), 'loom-git-log-'));
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(join(dir, 'git'), 0o755);
  const path = process.env['PATH'];
  process.env['PATH'] = `${dir}${delimiter}${path}`;
  try {
    await fn();
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } finally {
    process.env['PATH'] = path;
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('resolveRange', () => {
  it('starts three git processes when nothing is missing, and asks about origin only when history must be fetched', async () => {
    const { repo } = forkedRepo();
    const c = clone(repo.dir);
    const calls = await gitCalls(() => resolveRange({ cwd: c.dir, base: 'origin/main', env: {}, log: memoryLogger() }));
    expect(calls.map((call) => call.split(' ').find((word) => !word.startsWith('-') && !word.includes('=')))).toEqual(['rev-parse', 'cat-file', 'merge-base']);

    // A base the clone does not have: origin is asked about, then fetched from.
    repo.git('branch', 'later', 'main');
    const fetching = await gitCalls(() => resolveRange({ cwd: c.dir, base: 'later', env: {}, log: memoryLogger() }));
    expect(fetching.some((call) => call.includes('config --get remote.origin.url'))).toBe(true);
    expect(fetching.some((call) => call.includes(' fetch '))).toBe(true);
  });

  it('uses --base and HEAD', async () => {
    const { repo, fork, mainTip, featureTip } = forkedRepo();
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });
    expect(range).toEqual({
      baseRef: 'main',
      baseBranch: 'main',
      headRef: 'HEAD',
      baseSha: mainTip,
      headSha: featureTip,
      mergeBase: fork,
      includesUncommitted: false,
      root: realpathSync(repo.dir),
    });
  });

  it('takes the base from GITHUB_BASE_REF, skipping empty variables and stripping refs/heads/', async () => {
    const { repo, fork, mainTip } = forkedRepo();
    repo.git('branch', 'develop', fork);
    const log = memoryLogger();
    const gh = await resolveRange({ cwd: repo.dir, env: { GITHUB_BASE_REF: 'main' }, log });
    expect([gh.baseRef, gh.baseSha, gh.mergeBase]).toEqual(['main', mainTip, fork]);
    const gitlab = await resolveRange({ cwd: repo.dir, env: { GITHUB_BASE_REF: '', CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'develop', BITBUCKET_PR_DESTINATION_BRANCH: 'main' }, log });
    expect([gitlab.baseRef, gitlab.baseSha]).toEqual(['develop', fork]);
    const azure = await resolveRange({ cwd: repo.dir, env: { SYSTEM_PULLREQUEST_TARGETBRANCH: 'refs/heads/main' }, log });
    expect([azure.baseRef, azure.baseBranch, azure.baseSha]).toEqual(['main', 'main', mainTip]);
    const flag = await resolveRange({ cwd: repo.dir, base: 'develop', env: { GITHUB_BASE_REF: 'main' }, log });
    expect(flag.baseRef).toBe('develop');
  });

  it('falls back to the remote default branch from origin/HEAD', async () => {
    const { repo, mainTip } = forkedRepo();
    repo.git('branch', 'trunk', 'main');
    repo.git('symbolic-ref', 'HEAD', 'refs/heads/trunk');
    const c = clone(repo.dir);
    c.git('checkout', '-q', '-b', 'topic');
    c.git('commit', '-q', '--allow-empty', '-m', 'topic');
    const range = await resolveRange({ cwd: c.dir, env: {}, log: memoryLogger() });
    expect([range.baseRef, range.baseBranch, range.baseSha, range.mergeBase]).toEqual(['origin/trunk', 'trunk', mainTip, mainTip]);
  });

  it('resolves a branch that exists only as origin/<name>', async () => {
    const { repo, featureTip, fork } = forkedRepo();
    const c = clone(repo.dir, '--branch', 'main');
    c.git('checkout', '-q', '-b', 'topic');
    const range = await resolveRange({ cwd: c.dir, base: 'feature', env: {}, log: memoryLogger() });
    expect([range.baseRef, range.baseBranch, range.baseSha, range.mergeBase]).toEqual(['feature', 'feature', featureTip, fork]);
  });

  it('works on a detached HEAD and with a head sha from LOOM_HEAD_SHA or --head', async () => {
    const { repo, fork, featureTip } = forkedRepo();
    repo.git('checkout', '-q', '--detach', 'feature');
    const detached = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });
    expect([detached.headRef, detached.headSha, detached.mergeBase]).toEqual(['HEAD', featureTip, fork]);
    repo.git('checkout', '-q', 'main');
    const fromEnv = await resolveRange({ cwd: repo.dir, base: 'main', env: { LOOM_HEAD_SHA: featureTip }, log: memoryLogger() });
    expect([fromEnv.headRef, fromEnv.headSha, fromEnv.mergeBase]).toEqual([featureTip, featureTip, fork]);
    const fromFlag = await resolveRange({ cwd: repo.dir, base: 'main', head: 'feature', env: { LOOM_HEAD_SHA: 'ffff' }, log: memoryLogger() });
    expect([fromFlag.headRef, fromFlag.headSha]).toEqual(['feature', featureTip]);
  });

  it('fails outside a git repository with what to do', async () => {
    const dir = plainDir();
    cleanups.push(dir.remove);
    const error = await rejection(resolveRange({ cwd: dir.dir, base: 'main', env: {}, log: memoryLogger() }));
    expect([error.code, error.message]).toEqual([
      'git-failed',
      `not a git repository: ${dir.dir}. Run loom inside the repository you want reviewed.`,
    ]);
  });

  it('says so when the directory does not exist or the repository has no commits', async () => {
    const dir = plainDir();
    cleanups.push(dir.remove);
    const missing = await rejection(resolveRange({ cwd: `${dir.dir}/nope`, base: 'main', env: {}, log: memoryLogger() }));
    expect(missing.message).toBe(`not a git repository: ${dir.dir}/nope does not exist. Run loom inside the repository you want reviewed.`);
    runGit(dir.dir, 'init', '-q', '-b', 'main');
    runGit(dir.dir, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'x');
    runGit(dir.dir, 'checkout', '-q', '--orphan', 'empty');
    const empty = await rejection(resolveRange({ cwd: dir.dir, base: 'main', env: {}, log: memoryLogger() }));
    expect([empty.code, empty.message]).toEqual(['usage', 'this repository has no commits yet, so there is nothing to compare. Commit your work first.']);
  });

  it('asks for --base when no base can be found', async () => {
    const repo = makeRepo();
    cleanups.push(() => repo.remove());
    repo.git('branch', '-m', 'main', 'trunk');
    const error = await rejection(resolveRange({ cwd: repo.dir, env: {}, log: memoryLogger() }));
    expect(error.code).toBe('usage');
    expect(error.message).toContain('pass --base <branch>');
  });

  it('reports a base or head that does not exist', async () => {
    const { repo } = forkedRepo();
    const base = await rejection(resolveRange({ cwd: repo.dir, base: 'mian', env: {}, log: memoryLogger() }));
    expect([base.code, base.message]).toEqual([
      'usage',
      'base mian is not a branch or commit in this repository. Check the name, or fetch it: git fetch origin mian',
    ]);
    const head = await rejection(resolveRange({ cwd: repo.dir, base: 'main', env: { LOOM_HEAD_SHA: 'nope' }, log: memoryLogger() }));
    expect([head.code, head.message]).toEqual([
      'git-failed',
      'head nope (from LOOM_HEAD_SHA) is not a commit in this repository. Check the name, or fetch it: git fetch origin nope',
    ]);
  });

  it('gives the full-history advice for unrelated histories', async () => {
    const { repo } = forkedRepo();
    repo.git('checkout', '-q', '--orphan', 'other');
    repo.write({ 'o.txt': 'o\n' });
    repo.commit('orphan');
    const error = await rejection(resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() }));
    expect([error.code, error.message]).toEqual([
      'git-failed',
      'no merge base between main and HEAD. In CI check out full history (GitHub Actions: actions/checkout with ' +
        'fetch-depth: 0; GitLab: GIT_DEPTH: 0; Azure: fetchDepth: 0), or fetch the base branch: git fetch origin main',
    ]);
  });

  it('refuses uncommitted changes on top of a head other than HEAD', async () => {
    const { repo } = forkedRepo();
    const error = await rejection(resolveRange({ cwd: repo.dir, base: 'main', head: 'main', includeUncommitted: true, env: {}, log: memoryLogger() }));
    expect(error.code).toBe('usage');
  });
});
