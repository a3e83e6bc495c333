import type { CiContext } from './types.ts';
import { type Env, type ReadFile, parsePrNumber, pickToken, read, trimTrailingSlash } from './detect-env.ts';

/** GitHub Actions and the act-based runners of Gitea and Forgejo, which share the GITHUB_* variables. */
export type ActionsCi = 'github-actions' | 'gitea-actions' | 'forgejo-actions';

const CI_NAMES: Record<ActionsCi, string> = {
  'github-actions': 'GitHub Actions',
  'gitea-actions': 'Gitea Actions',
  'forgejo-actions': 'Forgejo Actions',
};

const TOKENS: Record<ActionsCi, readonly string[]> = {
  'github-actions': ['GITHUB_TOKEN'],
  'gitea-actions': ['GITEA_TOKEN', 'GITHUB_TOKEN'],
  'forgejo-actions': ['FORGEJO_TOKEN', 'GITEA_TOKEN', 'GITHUB_TOKEN'],
};

interface PullRequestEvent {
  number?: number;
  headSha?: string;
  baseRef?: string;
  mergeBase?: string;
  fromFork?: boolean;
  baseRepo?: string;
}

function isPullRequestEvent(eventName: string | undefined): boolean {
  return eventName === 'pull_request' || eventName === 'pull_request_target' || (eventName?.startsWith('pull_request_review') ?? false);
}

export function detectActions(ci: ActionsCi, env: Env, readFile: ReadFile): CiContext {
  const eventName = read(env, 'GITHUB_EVENT_NAME');
  const isGitHub = ci === 'github-actions';
  const { token, tokenVar } = pickToken(env, TOKENS[ci], TOKENS[ci][0] ?? 'GITHUB_TOKEN');
  const base = {
    ci,
    platform: isGitHub ? ('github' as const) : ('gitea' as const),
    apiUrl: actionsApiUrl(ci, env),
    ...(eventName !== undefined && { eventName }),
    ...(token !== undefined && { token }),
    tokenVar,
  };

  if (!isPullRequestEvent(eventName)) {
    const event = eventName === undefined ? 'GITHUB_EVENT_NAME is not set' : `event "${eventName}" is not a pull request`;
    return {
      ...base,
      repo: read(env, 'GITHUB_REPOSITORY') ?? '',
      isPullRequest: false,
      notPullRequestReason: `${CI_NAMES[ci]} ${event}; loom reviews pull_request builds`,
    };
  }

  const eventPath = read(env, 'GITHUB_EVENT_PATH');
  const pr = eventPath === undefined ? undefined : readPullRequestEvent(readFile, eventPath);
  // GitHub's GITHUB_SHA is the synthetic merge commit (pull_request) or the base tip (pull_request_target), never
  // the head. Gitea and Forgejo build no merge commit: there it is the head, except on pull_request_target.
  const shaIsHead = !isGitHub && eventName !== 'pull_request_target';
  const headSha = pr?.headSha ?? (shaIsHead ? read(env, 'GITHUB_SHA') : undefined);
  const prNumber = pr?.number ?? prNumberFromRef(read(env, 'GITHUB_REF'));
  const baseRef = pr?.baseRef ?? read(env, 'GITHUB_BASE_REF');
  return {
    ...base,
    repo: read(env, 'GITHUB_REPOSITORY') ?? pr?.baseRepo ?? '',
    isPullRequest: true,
    ...(prNumber !== undefined && { prNumber }),
    ...(baseRef !== undefined && { baseRef }),
    ...(headSha !== undefined && { headSha }),
    ...(pr?.mergeBase !== undefined && { mergeBase: pr.mergeBase }),
    ...(pr?.fromFork !== undefined && { fromFork: pr.fromFork }),
  };
}

function actionsApiUrl(ci: ActionsCi, env: Env): string {
  const explicit = read(env, 'GITHUB_API_URL');
  if (explicit) return trimTrailingSlash(explicit);
  if (ci === 'github-actions') return 'https://api.github.com';
  const server = read(env, 'GITHUB_SERVER_URL') ?? (ci === 'forgejo-actions' ? read(env, 'FORGEJO_SERVER_URL') : undefined);
  return server ? `${trimTrailingSlash(server)}/api/v1` : '';
}

/** `refs/pull/N/merge` (GitHub) or `refs/pull/N/head` (Gitea, Forgejo); pull_request_target has the base ref. */
function prNumberFromRef(ref: string | undefined): number | undefined {
  const match = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(ref ?? '');
  return parsePrNumber(match?.[1]);
}

/** Undefined when the event file is missing or not JSON: the caller then works from GITHUB_REF alone. */
function readPullRequestEvent(readFile: ReadFile, path: string): PullRequestEvent | undefined {
  const text = readFile(path);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const pr = field(json, 'pull_request');
  if (!isObject(pr)) return undefined;
  const head = field(pr, 'head');
  const base = field(pr, 'base');
  const headRepo = field(head, 'repo');
  const baseRepo = stringField(field(base, 'repo'), 'full_name');
  const number = field(pr, 'number');
  return {
    number: parsePrNumber(typeof number === 'number' || typeof number === 'string' ? number : undefined),
    headSha: stringField(head, 'sha'),
    baseRef: stringField(base, 'ref'),
    mergeBase: stringField(pr, 'merge_base'),
    fromFork: isFork(headRepo, baseRepo),
    baseRepo,
  };
}

/**
 * Compares repository names rather than trusting `head.repo.fork`: a branch-to-branch PR inside a forked
 * repository has `fork: true` and still gets a write token. A null head repo is a fork that was deleted.
 */
function isFork(headRepo: unknown, baseRepo: string | undefined): boolean | undefined {
  if (headRepo === null) return true;
  const headName = stringField(headRepo, 'full_name');
  if (headName !== undefined && baseRepo !== undefined) return headName.toLowerCase() !== baseRepo.toLowerCase();
  const fork = field(headRepo, 'fork');
  return typeof fork === 'boolean' ? fork : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}

function stringField(value: unknown, key: string): string | undefined {
  const found = field(value, key);
  return typeof found === 'string' && found !== '' ? found : undefined;
}
