import type { CiContext } from './types.ts';
import { type Env, parsePrNumber, pickToken, read, trimTrailingSlash } from './detect-env.ts';

// CI_JOB_TOKEN is deliberately absent: GitLab does not let it create merge request notes or discussions.
const TOKENS = ['LOOM_GITLAB_TOKEN', 'GITLAB_TOKEN'] as const;

export function detectGitLab(env: Env): CiContext {
  const { token, tokenVar } = pickToken(env, TOKENS, 'LOOM_GITLAB_TOKEN');
  const server = read(env, 'CI_SERVER_URL');
  const apiUrl = read(env, 'CI_API_V4_URL') ?? `${trimTrailingSlash(server ?? 'https://gitlab.com')}/api/v4`;
  const source = read(env, 'CI_PIPELINE_SOURCE');
  const iid = parsePrNumber(read(env, 'CI_MERGE_REQUEST_IID'));
  const projectId = read(env, 'CI_MERGE_REQUEST_PROJECT_ID') ?? read(env, 'CI_PROJECT_ID') ?? '';
  const base = {
    ci: 'gitlab-ci' as const,
    platform: 'gitlab' as const,
    repo: projectId,
    apiUrl: trimTrailingSlash(apiUrl),
    ...(token !== undefined && { token }),
    tokenVar,
  };

  if (source !== 'merge_request_event' || iid === undefined) {
    return { ...base, isPullRequest: false, notPullRequestReason: notMergeRequestReason(env, source) };
  }

  // In merged-results pipelines CI_COMMIT_SHA is the merge of source and target; the source tip is separate
  // (and empty in ordinary merge request pipelines).
  const headSha = read(env, 'CI_MERGE_REQUEST_SOURCE_BRANCH_SHA') ?? read(env, 'CI_COMMIT_SHA');
  const baseRef = read(env, 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME');
  const mergeBase = read(env, 'CI_MERGE_REQUEST_DIFF_BASE_SHA');
  const sourceProject = read(env, 'CI_MERGE_REQUEST_SOURCE_PROJECT_ID');
  const targetProject = read(env, 'CI_MERGE_REQUEST_PROJECT_ID');
  return {
    ...base,
    isPullRequest: true,
    prNumber: iid,
    ...(baseRef !== undefined && { baseRef }),
    ...(headSha !== undefined && { headSha }),
    ...(mergeBase !== undefined && { mergeBase }),
    ...(sourceProject !== undefined && targetProject !== undefined && { fromFork: sourceProject !== targetProject }),
  };
}

function notMergeRequestReason(env: Env, source: string | undefined): string {
  if (source === 'external_pull_request_event' || read(env, 'CI_EXTERNAL_PULL_REQUEST_IID')) {
    return 'GitLab CI is building a GitHub pull request (external pull request); loom posts to GitHub from a GitHub Actions workflow, so run it there';
  }
  const rule = 'add `rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"` to the loom job';
  if (source === 'merge_request_event') return 'GitLab CI merge request pipeline has no valid CI_MERGE_REQUEST_IID';
  const what = source === undefined ? 'CI_PIPELINE_SOURCE is not set' : `pipeline source "${source}" is not a merge request pipeline`;
  const open = read(env, 'CI_OPEN_MERGE_REQUESTS');
  // Branch pipelines of a branch with an open MR are the usual surprise: the MR exists but its variables don't.
  const hint = open ? ` (this branch has open merge requests ${open}, but only merge request pipelines describe them)` : '';
  return `GitLab CI ${what}${hint}; loom reviews merge request pipelines: ${rule}`;
}
