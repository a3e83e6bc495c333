import { resolveCommit, tryGit } from './git.ts';

type Env = Record<string, string | undefined>;

/** Where the base or head ref came from; used to word messages and to pick the resolution order. */
export type RefSource = 'flag' | 'env' | 'default';

export interface NamedRef {
  /** The ref as named (`main`, `origin/main`, a sha, `HEAD`). */
  name: string;
  source: RefSource;
  /** The env variable it came from, for messages. */
  envVar?: string;
}

/** CI variables that name the pull request's target branch, in priority order. */
export const TARGET_BRANCH_VARS = [
  'GITHUB_BASE_REF',
  'CI_MERGE_REQUEST_TARGET_BRANCH_NAME',
  'SYSTEM_PULLREQUEST_TARGETBRANCH',
  'BITBUCKET_PR_DESTINATION_BRANCH',
] as const;

/** CI variables that name the pull request's head commit. Platform detection may add to this later. */
export const HEAD_SHA_VARS = ['LOOM_HEAD_SHA'] as const;

const nonEmpty = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

/** Azure gives `refs/heads/main`; the others give the bare name. */
export function stripHeadsPrefix(name: string): string {
  return name.startsWith('refs/heads/') ? name.slice('refs/heads/'.length) : name;
}

export function baseFromEnv(env: Env): NamedRef | undefined {
  for (const envVar of TARGET_BRANCH_VARS) {
    const value = nonEmpty(env[envVar]);
    if (value) return { name: stripHeadsPrefix(value), source: 'env', envVar };
  }
  return undefined;
}

export function headFromEnv(env: Env): NamedRef | undefined {
  for (const envVar of HEAD_SHA_VARS) {
    const value = nonEmpty(env[envVar]);
    if (value) return { name: value, source: 'env', envVar };
  }
  return undefined;
}

/** The remote's default branch (origin/HEAD), else the usual names. Returns a ref name that exists. */
export async function defaultBranch(root: string): Promise<string | undefined> {
  const usual = ['origin/main', 'origin/master', 'main', 'master'];
  // The usual names are looked up alongside origin/HEAD, and used only when it names no commit.
  const [head, ...found] = await Promise.all([tryGit(root, ['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD']), ...usual.map((name) => resolveCommit(root, name))]);
  if (head.ok && head.stdout.startsWith('refs/remotes/')) {
    const name = head.stdout.slice('refs/remotes/'.length);
    const index = usual.indexOf(name);
    if (index >= 0 ? found[index] : await resolveCommit(root, name)) return name;
  }
  return usual.find((_, i) => found[i] !== undefined);
}

export function isFullSha(ref: string): boolean {
  return /^[0-9a-f]{40}$/i.test(ref) || /^[0-9a-f]{64}$/i.test(ref);
}

/** The branch to fetch from origin for a base name (`origin/main` and `refs/heads/main` both give `main`). */
export function branchToFetch(name: string): string | undefined {
  if (isFullSha(name) || name === 'HEAD') return undefined;
  for (const prefix of ['refs/remotes/origin/', 'refs/heads/', 'origin/']) {
    if (name.startsWith(prefix)) return name.slice(prefix.length);
  }
  return name.startsWith('refs/') ? undefined : name;
}

/**
 * Ref names to try for a base, in order. A name that exists only as `origin/<name>` resolves to that.
 * CI-provided names try the remote-tracking branch first: in CI a local branch of that name is, if it
 * exists at all, left over from an earlier job, while origin/<name> is what was just fetched.
 */
export function baseCandidates(ref: NamedRef): string[] {
  const remote = `refs/remotes/origin/${stripHeadsPrefix(ref.name)}`;
  if (ref.source === 'default' || isFullSha(ref.name) || ref.name.startsWith('refs/remotes/')) return [ref.name];
  return ref.source === 'env' ? [remote, ref.name] : [ref.name, remote];
}

/** The commit of the first candidate that names one (all are looked up at once). */
export async function resolveFirst(root: string, candidates: readonly string[]): Promise<string | undefined> {
  const shas = await Promise.all(candidates.map((candidate) => resolveCommit(root, candidate)));
  return shas.find((sha) => sha !== undefined);
}
