import { LoomError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { DiffRange } from './types.ts';
import { fetchUntilFound } from './fetch-history.ts';
import { hasRemote, isShallow, mergeBaseOf, repoRoot, resolveCommit, tryGit } from './git.ts';
import {
  baseCandidates,
  baseFromEnv,
  branchToFetch,
  defaultBranch,
  headFromEnv,
  isFullSha,
  type NamedRef,
  resolveFirst,
} from './refs.ts';


export interface ResolveRangeOptions {
  cwd: string;
  /** `--base`; otherwise the CI's target branch, otherwise the remote's default branch. */
  base?: string;
  /** `--head`; otherwise the CI's head sha, otherwise HEAD. */
  head?: string;
  env: Record<string, string | undefined>;
  /** Diff the working tree (staged, unstaged and untracked files) instead of the head commit. */
  includeUncommitted?: boolean;
  log: Logger;
  /** Fetch missing history from origin (default true). */
  fetch?: boolean;
  /**
   * The merge base the CI or the platform's API reports (GitLab's CI_MERGE_REQUEST_DIFF_BASE_SHA, the pull
   * request's merge base...). Used only where git cannot find one itself (a shallow clone): one commit fetched
   * instead of deepening the history step by step.
   */
  knownMergeBase?: string;
}

const HEAD_FETCH_DEPTH = 50;

const FULL_HISTORY_HINT =
  'In CI check out full history (GitHub Actions: actions/checkout with fetch-depth: 0; GitLab: GIT_DEPTH: 0; ' +
  'Azure: fetchDepth: 0), or fetch the base branch: git fetch origin';

async function pickBase(root: string, opts: ResolveRangeOptions): Promise<NamedRef> {
  if (opts.base?.trim()) return { name: opts.base.trim(), source: 'flag' };
  const fromEnv = baseFromEnv(opts.env);
  if (fromEnv) return fromEnv;
  const fallback = await defaultBranch(root);
  if (fallback) return { name: fallback, source: 'default' };
  throw new LoomError(
    'usage',
    'could not tell which branch to compare against: no CI target-branch variable is set, origin/HEAD is not ' +
      'set and there is no main or master branch. pass --base <branch> (e.g. --base main).',
  );
}

async function resolveHead(root: string, head: NamedRef, canFetch: () => Promise<boolean>, log: Logger): Promise<string> {
  let sha = await resolveCommit(root, head.name);
  if (!sha && isFullSha(head.name) && (await canFetch())) {
    // In a shallow checkout (a CI merge commit at depth 1) the PR head is usually missing; its recent
    // history is enough to start from, and the merge-base search deepens it further when needed.
    const depth = (await isShallow(root)) ? HEAD_FETCH_DEPTH : undefined;
    log.info(`head commit ${head.name} is not in this checkout; fetching it from origin${depth ? ` (last ${depth} commits)` : ''}`);
    await fetchShaQuietly(root, head.name, depth, log);
    sha = await resolveCommit(root, head.name);
  }
  if (sha) return sha;
  if (head.name === 'HEAD') {
    throw new LoomError('usage', 'this repository has no commits yet, so there is nothing to compare. Commit your work first.');
  }
  const from = head.source === 'env' ? ` (from ${head.envVar})` : '';
  throw new LoomError(
    head.source === 'flag' ? 'usage' : 'git-failed',
    `head ${head.name}${from} is not a commit in this repository. Check the name, or fetch it: git fetch origin ${head.name}`,
  );
}

async function fetchShaQuietly(root: string, sha: string, depth: number | undefined, log: Logger): Promise<void> {
  const depthArgs = depth === undefined ? [] : [`--depth=${depth}`];
  const result = await tryGit(root, ['fetch', '--no-tags', '--quiet', ...depthArgs, 'origin', sha]);
  if (!result.ok) log.debug(`git fetch origin ${sha} failed: ${result.stderr}`);
}

/**
 * Resolves base, head and their merge base, fetching history from origin when the checkout lacks it. Lookups that
 * do not depend on each other run at once: a review starts with only a few rounds of git calls.
 */
export async function resolveRange(opts: ResolveRangeOptions): Promise<DiffRange> {
  const { log } = opts;
  const root = await repoRoot(opts.cwd);
  const base = await pickBase(root, opts);
  // Whether history can be fetched matters only when something is missing: git is asked then, not on every run (each
  // git process costs the main thread 3-6 ms to start).
  let origin: Promise<boolean> | undefined;
  const canFetch = () => (origin ??= opts.fetch ?? true ? hasRemote(root, 'origin') : Promise.resolve(false));

  const head: NamedRef = opts.head?.trim()
    ? { name: opts.head.trim(), source: 'flag' }
    : (headFromEnv(opts.env) ?? { name: 'HEAD', source: 'default' });
  log.debug(`base ${base.name} (${base.envVar ?? base.source}), head ${head.name} (${head.envVar ?? head.source})`);

  const candidates = baseCandidates(base);
  // Started now, settled in order below: an error from the head is reported before anything about the base.
  const headCommit = resolveHead(root, head, canFetch, log);
  const worktreeHead = opts.includeUncommitted ? resolveCommit(root, 'HEAD') : undefined;
  const baseCommit = resolveFirst(root, candidates);
  let baseBranch = branchOf(root, base.name);
  for (const pending of [worktreeHead, baseCommit, baseBranch]) pending?.catch(() => undefined);

  const headSha = await headCommit;
  if (opts.includeUncommitted && headSha !== (await worktreeHead)) {
    throw new LoomError('usage', `uncommitted changes can only be reviewed on top of HEAD, not ${head.name}. Drop --head or the uncommitted option.`);
  }

  let baseSha = await baseCommit;
  let mergeBase = baseSha ? await mergeBaseOf(root, baseSha, headSha) : undefined;
  if (!mergeBase && baseSha && opts.knownMergeBase) mergeBase = await reportedMergeBase(root, opts.knownMergeBase, canFetch, log);

  if (!mergeBase && (await canFetch()) && (!baseSha || (await isShallow(root)))) {
    const why = baseSha ? 'this is a shallow clone without the merge base' : `${base.name} is not in this checkout`;
    log.info(`${why}; fetching history from origin until the merge base of ${base.name} and ${head.name} is found`);
    const branch = branchToFetch(base.name);
    await fetchUntilFound({
      root,
      log,
      headSha,
      baseBranch: branch,
      baseSha: branch ? undefined : isFullSha(base.name) ? base.name : undefined,
      baseMissing: !baseSha,
      found: async () => {
        baseSha = await resolveFirst(root, candidates);
        mergeBase = baseSha ? await mergeBaseOf(root, baseSha, headSha) : undefined;
        return mergeBase !== undefined;
      },
    });
    // The fetch may have created the remote-tracking branch.
    baseBranch = branchOf(root, base.name);
  }

  if (!baseSha) {
    const from = base.source === 'env' ? ` (from ${base.envVar})` : '';
    const fetchName = branchToFetch(base.name) ?? base.name;
    throw new LoomError(
      base.source === 'flag' ? 'usage' : 'git-failed',
      `base ${base.name}${from} is not a branch or commit in this repository${(await canFetch()) ? ', and fetching it from origin failed' : ''}. ` +
        `Check the name, or fetch it: git fetch origin ${fetchName}`,
    );
  }
  if (!mergeBase) {
    throw new LoomError(
      'git-failed',
      `no merge base between ${base.name} and ${head.name}. ${FULL_HISTORY_HINT} ${branchToFetch(base.name) ?? base.name}`,
    );
  }
  const range: DiffRange = {
    baseRef: base.name,
    headRef: head.name,
    baseSha,
    headSha,
    mergeBase,
    includesUncommitted: opts.includeUncommitted ?? false,
    root,
  };
  const branch = await baseBranch;
  if (branch) range.baseBranch = branch;
  return range;
}

/** The reported merge base, fetched alone when missing; undefined when it is not a commit that can be had. */
async function reportedMergeBase(root: string, sha: string, canFetch: () => Promise<boolean>, log: Logger): Promise<string | undefined> {
  if (!isFullSha(sha)) return undefined;
  const present = await resolveCommit(root, sha);
  if (present || !(await canFetch())) return present;
  const fetched = await tryGit(root, ['fetch', '--no-tags', '--quiet', '--depth=1', 'origin', sha]);
  if (!fetched.ok) return undefined;
  log.info(`this is a shallow clone without the merge base; fetched the merge base ${sha.slice(0, 12)} that the CI reports`);
  return resolveCommit(root, sha);
}

/** The branch name a base ref stands for (`origin/main` → `main`), or undefined for a sha or tag. */
async function branchOf(root: string, name: string): Promise<string | undefined> {
  const branch = branchToFetch(name);
  if (!branch) return undefined;
  const [remote, local] = await Promise.all([resolveCommit(root, `refs/remotes/origin/${branch}`), resolveCommit(root, `refs/heads/${branch}`)]);
  return remote !== undefined || local !== undefined ? branch : undefined;
}
