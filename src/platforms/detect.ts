import type { CiContext, CiId } from './types.ts';
import { detectActions } from './detect-actions.ts';
import { detectAzure } from './detect-azure.ts';
import { detectBitbucket } from './detect-bitbucket.ts';
import { type Env, type ReadFile, isTrue, read } from './detect-env.ts';
import { detectGitLab } from './detect-gitlab.ts';

export type { Env, ReadFile } from './detect-env.ts';

/**
 * What the CI says about this build, or undefined outside a known CI. Forgejo and Gitea come first because
 * their runners also set GITHUB_ACTIONS.
 */
export function detectCi(env: Env, readFile: ReadFile): CiContext | undefined {
  if (isTrue(env, 'FORGEJO_ACTIONS')) return detectActions('forgejo-actions', env, readFile);
  if (isTrue(env, 'GITEA_ACTIONS')) return detectActions('gitea-actions', env, readFile);
  if (isTrue(env, 'GITHUB_ACTIONS')) return detectActions('github-actions', env, readFile);
  if (isTrue(env, 'GITLAB_CI')) return detectGitLab(env);
  if (isTrue(env, 'TF_BUILD')) return detectAzure(env);
  if (read(env, 'BITBUCKET_BUILD_NUMBER') || read(env, 'BITBUCKET_PIPELINE_UUID')) return detectBitbucket(env);
  return undefined;
}

const CI_NAMES: Record<CiId, string> = {
  'forgejo-actions': 'Forgejo Actions',
  'gitea-actions': 'Gitea Actions',
  'github-actions': 'GitHub Actions',
  'gitlab-ci': 'GitLab CI',
  'azure-pipelines': 'Azure Pipelines',
  'bitbucket-pipelines': 'Bitbucket Pipelines',
};

/** One line for the log. Names the token's variable, never its value. */
export function describeCi(ci: CiContext | undefined): string {
  if (ci === undefined) return 'not in a known CI';
  const name = CI_NAMES[ci.ci];
  if (!ci.isPullRequest) return `${name}: not a pull request (${ci.notPullRequestReason ?? 'no reason given'})`;
  const pr = ci.prNumber === undefined ? 'pull request (number unknown)' : `pull request #${ci.prNumber}`;
  const details = [
    ci.eventName && `event ${ci.eventName}`,
    ci.headSha && `head ${ci.headSha.slice(0, 12)}`,
    ci.baseRef && `base ${ci.baseRef}`,
    ci.mergeBase && `merge base ${ci.mergeBase.slice(0, 12)}`,
    ci.fromFork && 'from a fork',
    ci.token ? `token from ${ci.tokenVar ?? 'unknown variable'}` : `no token (set ${ci.tokenVar ?? 'a token'})`,
  ].filter((part): part is string => typeof part === 'string' && part !== '');
  return `${name}: ${pr} on ${ci.platform} ${ci.repo || '(unknown repository)'} via ${ci.apiUrl || '(unknown API)'}; ${details.join(', ')}`;
}
