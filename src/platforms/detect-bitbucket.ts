import type { CiContext } from './types.ts';
import { type Env, parsePrNumber, pickToken, read, trimTrailingSlash } from './detect-env.ts';

// Bitbucket Pipelines exports no API base and no REST token of its own.
const DEFAULT_API = 'https://api.bitbucket.org/2.0';

export function detectBitbucket(env: Env): CiContext {
  const { token, tokenVar } = pickToken(env, ['LOOM_BITBUCKET_TOKEN', 'BITBUCKET_ACCESS_TOKEN'], 'LOOM_BITBUCKET_TOKEN');
  const workspace = read(env, 'BITBUCKET_WORKSPACE');
  const slug = read(env, 'BITBUCKET_REPO_SLUG');
  const repo = read(env, 'BITBUCKET_REPO_FULL_NAME') ?? (workspace && slug ? `${workspace}/${slug}` : '');
  const apiUrl = read(env, 'LOOM_BITBUCKET_API_URL') ?? read(env, 'BITBUCKET_API_URL') ?? DEFAULT_API;
  const base = {
    ci: 'bitbucket-pipelines' as const,
    platform: 'bitbucket' as const,
    repo,
    apiUrl: trimTrailingSlash(apiUrl),
    ...(token !== undefined && { token }),
    tokenVar,
  };

  const prNumber = parsePrNumber(read(env, 'BITBUCKET_PR_ID'));
  if (prNumber === undefined) {
    const branch = read(env, 'BITBUCKET_BRANCH') ?? read(env, 'BITBUCKET_TAG');
    const what = branch === undefined ? 'this build' : `the build of "${branch}"`;
    return {
      ...base,
      isPullRequest: false,
      notPullRequestReason: `Bitbucket Pipelines has no BITBUCKET_PR_ID for ${what}; loom reviews pull requests: run it in a \`pull-requests:\` pipeline`,
    };
  }

  // BITBUCKET_COMMIT is the source tip; the working tree is that merged with the destination.
  const headSha = read(env, 'BITBUCKET_COMMIT');
  const baseRef = read(env, 'BITBUCKET_PR_DESTINATION_BRANCH');
  return {
    ...base,
    isPullRequest: true,
    prNumber,
    ...(baseRef !== undefined && { baseRef }),
    ...(headSha !== undefined && { headSha }),
  };
}
