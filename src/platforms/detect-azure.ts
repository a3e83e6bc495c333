import type { CiContext } from './types.ts';
import { type Env, isTrue, parsePrNumber, pickToken, read, stripHeadsPrefix, trimTrailingSlash } from './detect-env.ts';

const BITBUCKET_API = 'https://api.bitbucket.org/2.0';

/**
 * Azure Pipelines builds repositories hosted elsewhere too; the pull request lives, and is commented on, where
 * BUILD_REPOSITORY_PROVIDER says.
 */
export function detectAzure(env: Env): CiContext {
  const provider = read(env, 'BUILD_REPOSITORY_PROVIDER');
  const target = azureTarget(env, provider);
  if (target === undefined) {
    return {
      ci: 'azure-pipelines',
      platform: 'azure',
      repo: read(env, 'BUILD_REPOSITORY_NAME') ?? '',
      apiUrl: '',
      isPullRequest: false,
      notPullRequestReason: `Azure Pipelines repository provider "${provider ?? '(unset)'}" is not supported; loom posts to Azure Repos (TfsGit), GitHub and Bitbucket Cloud`,
    };
  }

  const reason = read(env, 'BUILD_REASON');
  if (reason !== 'PullRequest') {
    const what = reason === undefined ? 'BUILD_REASON is not set' : `build reason "${reason}" is not a pull request`;
    const trigger = provider === 'TfsGit' ? 'a build validation branch policy' : 'a `pr:` trigger';
    return { ...target, isPullRequest: false, notPullRequestReason: `Azure Pipelines ${what}; loom reviews pull request builds (${trigger})` };
  }

  // BUILD_SOURCEVERSION is the synthetic merge commit, never the head.
  const headSha = read(env, 'SYSTEM_PULLREQUEST_SOURCECOMMITID');
  const targetBranch = read(env, 'SYSTEM_PULLREQUEST_TARGETBRANCH') ?? read(env, 'SYSTEM_PULLREQUEST_TARGETBRANCHNAME');
  const baseRef = targetBranch === undefined ? undefined : stripHeadsPrefix(targetBranch);
  const forkFlag = read(env, 'SYSTEM_PULLREQUEST_ISFORK');
  const prNumber =
    provider === 'TfsGit'
      ? parsePrNumber(read(env, 'SYSTEM_PULLREQUEST_PULLREQUESTID'))
      : // For GitHub the number and the id differ; PULLREQUESTNUMBER is what the API wants.
        parsePrNumber(read(env, 'SYSTEM_PULLREQUEST_PULLREQUESTNUMBER') ?? read(env, 'SYSTEM_PULLREQUEST_PULLREQUESTID'));
  return {
    ...target,
    isPullRequest: true,
    ...(prNumber !== undefined && { prNumber }),
    ...(baseRef !== undefined && { baseRef }),
    ...(headSha !== undefined && { headSha }),
    ...(forkFlag !== undefined && { fromFork: isTrue(env, 'SYSTEM_PULLREQUEST_ISFORK') }),
  };
}

type AzureTarget = Pick<CiContext, 'ci' | 'platform' | 'repo' | 'apiUrl' | 'azure' | 'token' | 'tokenVar'>;

function azureTarget(env: Env, provider: string | undefined): AzureTarget | undefined {
  const name = read(env, 'BUILD_REPOSITORY_NAME') ?? '';
  if (provider === 'TfsGit') {
    const collection = read(env, 'SYSTEM_COLLECTIONURI') ?? read(env, 'SYSTEM_TEAMFOUNDATIONCOLLECTIONURI') ?? '';
    const collectionUri = collection === '' ? '' : `${trimTrailingSlash(collection)}/`;
    return withToken(env, ['SYSTEM_ACCESSTOKEN'], {
      ci: 'azure-pipelines',
      platform: 'azure',
      repo: read(env, 'BUILD_REPOSITORY_ID') ?? '',
      azure: { collectionUri, project: read(env, 'SYSTEM_TEAMPROJECT') ?? '' },
      apiUrl: trimTrailingSlash(collection),
    });
  }
  if (provider === 'GitHub' || provider === 'GitHubEnterprise') {
    return withToken(env, ['GITHUB_TOKEN'], { ci: 'azure-pipelines', platform: 'github', repo: name, apiUrl: gitHubApiUrl(env, provider) });
  }
  if (provider === 'Bitbucket') {
    const apiUrl = read(env, 'LOOM_BITBUCKET_API_URL') ?? read(env, 'BITBUCKET_API_URL') ?? BITBUCKET_API;
    return withToken(env, ['LOOM_BITBUCKET_TOKEN', 'BITBUCKET_ACCESS_TOKEN'], {
      ci: 'azure-pipelines',
      platform: 'bitbucket',
      repo: name,
      apiUrl: trimTrailingSlash(apiUrl),
    });
  }
  return undefined;
}

function withToken(env: Env, names: readonly string[], target: AzureTarget): AzureTarget {
  const { token, tokenVar } = pickToken(env, names, names[0] ?? 'LOOM_TOKEN');
  return { ...target, ...(token !== undefined && { token }), tokenVar };
}

/** A GitHub Enterprise Server repository's API is at https://HOST/api/v3, found from the clone URL. */
function gitHubApiUrl(env: Env, provider: string): string {
  const explicit = read(env, 'LOOM_GITHUB_API_URL');
  if (explicit) return trimTrailingSlash(explicit);
  if (provider === 'GitHubEnterprise') {
    const host = hostOf(read(env, 'BUILD_REPOSITORY_URI'));
    if (host !== undefined && host !== 'github.com') return `https://${host}/api/v3`;
  }
  return 'https://api.github.com';
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}
