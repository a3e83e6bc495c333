import type { Finding, Side } from '../findings/finding.ts';

export const PLATFORM_IDS = ['github', 'gitlab', 'azure', 'bitbucket', 'gitea'] as const;
export type PlatformId = (typeof PLATFORM_IDS)[number];

export const CI_IDS = ['forgejo-actions', 'gitea-actions', 'github-actions', 'gitlab-ci', 'azure-pipelines', 'bitbucket-pipelines'] as const;
export type CiId = (typeof CI_IDS)[number];

/** What the CI environment says about this build. Produced by detectCi, a pure function of the environment. */
export interface CiContext {
  ci: CiId;
  /** Where the pull request lives (an Azure Pipelines build of a GitHub repository posts to GitHub). */
  platform: PlatformId;
  /** False for push, schedule and manual builds: loom prints a note and exits 0. */
  isPullRequest: boolean;
  /** Why this is not a pull request build, for the note. */
  notPullRequestReason?: string;
  prNumber?: number;
  /**
   * Platform-specific repository identity: `owner/name` (GitHub, Gitea), the project id or full path (GitLab),
   * `workspace/slug` (Bitbucket), the repository id (Azure, with `azure` below).
   */
  repo: string;
  azure?: { collectionUri: string; project: string };
  /** REST API base, no trailing slash: https://api.github.com, https://gitlab.example.com/api/v4, https://host/api/v1, ... */
  apiUrl: string;
  /** The target branch, without refs/heads/. */
  baseRef?: string;
  /** The pull request's head commit: never the synthetic merge commit GitHub and Azure check out. */
  headSha?: string;
  /** The merge base, when the environment already knows it (GitLab CI_MERGE_REQUEST_DIFF_BASE_SHA, Gitea event). */
  mergeBase?: string;
  /** The token to post with, and the name of the variable it came from (for error messages; never the value). */
  token?: string;
  tokenVar?: string;
  /** GitHub/Gitea event name: `pull_request_target` means config and prompts must come from the base commit. */
  eventName?: string;
  /** The pull request comes from a fork: its token is read-only on most platforms. */
  fromFork?: boolean;
}

/** Title, description and commits of the PR under review, from the platform API. */
export interface PullRequestInfo {
  title: string;
  description: string;
  author: string;
  url: string;
  headSha: string;
  baseSha?: string;
  mergeBase?: string;
}

/** Where a comment goes, computed from the local diff. Lines are 1-based. */
export interface Anchor {
  path: string;
  /** Path on the old side (differs for renames). */
  oldPath: string;
  side: Side;
  /** Line on `side`; `startLine` <= `line` when the comment covers a range within one hunk. */
  line: number;
  startLine?: number;
  /** Both line numbers of the anchor line (context lines have both; GitLab needs the pair). */
  oldLine?: number;
  newLine?: number;
  /** Both line numbers of the range's first line, when there is a range. */
  startOldLine?: number;
  startNewLine?: number;
  /** GitLab's line counters at the anchor line and at the range's first line (DiffIndex.counters), for its line codes. */
  counters?: { old: number; new: number };
  startCounters?: { old: number; new: number };
}

export interface InlineComment {
  finding: Finding;
  anchor: Anchor;
  /** Final markdown, marker included, within the platform's size limit. */
  body: string;
}

/** A comment loom posted on an earlier run, recognised by its marker. */
export interface PostedComment {
  id: string;
  fingerprint: string;
  /** Thread or discussion id where the platform resolves threads rather than comments. */
  threadId?: string;
  resolved: boolean;
}

export interface ExistingComments {
  /** The single summary comment, if one exists (the oldest when there are several). */
  summary?: { id: string; body: string };
  /** Further summary comments left by older runs or races, to be deleted. */
  extraSummaries: string[];
  inline: PostedComment[];
}

export type SuggestionStyle = 'github' | 'gitlab' | 'diff';

export interface Platform {
  readonly id: PlatformId;
  /** Largest comment body the API accepts, in characters, with a margin. */
  readonly maxBodyChars: number;
  readonly suggestionStyle: SuggestionStyle;
  /** How hidden markers are written in bodies this platform renders (see markers.ts). */
  readonly markerStyle: import('./markers.ts').MarkerStyle;
  /** True when the platform can resolve a thread loom opened (GitLab, Azure, Bitbucket). */
  readonly canResolve: boolean;
  getPullRequest(): Promise<PullRequestInfo>;
  /** Comments loom posted earlier on this PR (found by marker and, where possible, author). */
  listExisting(): Promise<ExistingComments>;
  /**
   * Posts inline comments in as few requests as the API allows. A comment the platform refuses is returned in
   * `rejected` with the reason; the others are still posted (one bad anchor never loses the rest).
   */
  postInline(comments: InlineComment[], ctx: { headSha: string }): Promise<{ rejected: { comment: InlineComment; reason: string }[] }>;
  /** Resolves threads whose finding is gone. Only called when canResolve. */
  resolve(comments: PostedComment[]): Promise<void>;
  /** Creates the summary, or edits `existing` in place. */
  upsertSummary(body: string, existing?: { id: string }): Promise<void>;
  deleteSummaries(ids: string[]): Promise<void>;
}

export interface PlatformDeps {
  ci: CiContext;
  token: string;
  /** For tests and proxies; defaults to the global fetch (the CLI passes nodeFetch). */
  fetch?: typeof fetch;
  log: import('../log.ts').Logger;
  /** Injected so tests never wait on retry-after. */
  sleep?: (ms: number) => Promise<void>;
}

export type PlatformFactory = (deps: PlatformDeps) => Platform;
