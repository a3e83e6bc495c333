import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeCi, detectCi } from '../../src/platforms/detect.ts';
import type { CiContext } from '../../src/platforms/types.ts';

type Env = Record<string, string | undefined>;

const event = (name: string): string => fileURLToPath(new URL(`../fixtures/events/${name}`, import.meta.url));

function readFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const GITHUB: Env = {
  CI: 'true',
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'acme/widgets',
  GITHUB_API_URL: 'https://api.github.com',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_SHA: 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
  GITHUB_TOKEN: 'ghs_secret',
};
const GITHUB_PR: Env = {
  ...GITHUB,
  GITHUB_EVENT_NAME: 'pull_request',
  GITHUB_EVENT_PATH: event('github-pull-request.json'),
  GITHUB_REF: 'refs/pull/42/merge',
  GITHUB_BASE_REF: 'main',
  GITHUB_HEAD_REF: 'feature/retry',
};
const GITHUB_PR_CONTEXT: CiContext = {
  ci: 'github-actions',
  platform: 'github',
  isPullRequest: true,
  prNumber: 42,
  repo: 'acme/widgets',
  apiUrl: 'https://api.github.com',
  baseRef: 'main',
  headSha: '1111111111111111111111111111111111111111',
  token: 'ghs_secret',
  tokenVar: 'GITHUB_TOKEN',
  eventName: 'pull_request',
  fromFork: false,
};

// act_runner sets the GITHUB_* variables too; GITHUB_SHA is the PR head there (no merge commit).
const GITEA_PR: Env = {
  GITHUB_ACTIONS: 'true',
  GITEA_ACTIONS: 'true',
  GITEA_ACTIONS_RUNNER_VERSION: 'v0.2.11',
  GITHUB_EVENT_NAME: 'pull_request',
  GITHUB_EVENT_PATH: event('gitea-pull-request.json'),
  GITHUB_REF: 'refs/pull/15/head',
  GITHUB_BASE_REF: 'main',
  GITHUB_REPOSITORY: 'team/service',
  GITHUB_SERVER_URL: 'https://git.example.com',
  GITHUB_API_URL: 'https://git.example.com/api/v1',
  GITHUB_SHA: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  GITHUB_TOKEN: 'gitea_job_token',
  GITEA_TOKEN: 'gitea_token',
};
const GITEA_PR_CONTEXT: CiContext = {
  ci: 'gitea-actions',
  platform: 'gitea',
  isPullRequest: true,
  prNumber: 15,
  repo: 'team/service',
  apiUrl: 'https://git.example.com/api/v1',
  baseRef: 'main',
  headSha: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  mergeBase: '9999999999999999999999999999999999999999',
  token: 'gitea_token',
  tokenVar: 'GITEA_TOKEN',
  eventName: 'pull_request',
  fromFork: false,
};
const FORGEJO_PR: Env = { ...GITEA_PR, FORGEJO_ACTIONS: 'true', FORGEJO_ACTIONS_RUNNER_VERSION: 'v6.3.1', FORGEJO_TOKEN: 'forgejo_token' };

const GITLAB_MR: Env = {
  CI: 'true',
  GITLAB_CI: 'true',
  CI_SERVER_URL: 'https://gitlab.example.com',
  CI_API_V4_URL: 'https://gitlab.example.com/api/v4',
  CI_PROJECT_ID: '101',
  CI_PIPELINE_SOURCE: 'merge_request_event',
  CI_MERGE_REQUEST_IID: '12',
  CI_MERGE_REQUEST_PROJECT_ID: '101',
  CI_MERGE_REQUEST_SOURCE_PROJECT_ID: '101',
  CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
  CI_MERGE_REQUEST_SOURCE_BRANCH_SHA: '',
  CI_MERGE_REQUEST_DIFF_BASE_SHA: 'cccccccccccccccccccccccccccccccccccccccc',
  CI_COMMIT_SHA: 'dddddddddddddddddddddddddddddddddddddddd',
  CI_JOB_TOKEN: 'job_token',
  LOOM_GITLAB_TOKEN: 'glpat-secret',
};
const GITLAB_MR_CONTEXT: CiContext = {
  ci: 'gitlab-ci',
  platform: 'gitlab',
  isPullRequest: true,
  prNumber: 12,
  repo: '101',
  apiUrl: 'https://gitlab.example.com/api/v4',
  baseRef: 'main',
  headSha: 'dddddddddddddddddddddddddddddddddddddddd',
  mergeBase: 'cccccccccccccccccccccccccccccccccccccccc',
  token: 'glpat-secret',
  tokenVar: 'LOOM_GITLAB_TOKEN',
  fromFork: false,
};

const AZURE_PR: Env = {
  TF_BUILD: 'True',
  BUILD_REASON: 'PullRequest',
  BUILD_REPOSITORY_PROVIDER: 'TfsGit',
  BUILD_REPOSITORY_ID: '0c6f5e1b-3b0a-4e43-8f3c-2f9a4a2d9c11',
  BUILD_REPOSITORY_NAME: 'widgets',
  BUILD_SOURCEVERSION: 'ffffffffffffffffffffffffffffffffffffffff',
  SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme',
  SYSTEM_TEAMPROJECT: 'Platform',
  SYSTEM_PULLREQUEST_PULLREQUESTID: '311',
  SYSTEM_PULLREQUEST_SOURCECOMMITID: '1212121212121212121212121212121212121212',
  SYSTEM_PULLREQUEST_TARGETBRANCH: 'refs/heads/release/2.0',
  SYSTEM_PULLREQUEST_ISFORK: 'False',
  SYSTEM_ACCESSTOKEN: 'azure_secret',
};
const AZURE_GITHUB_PR: Env = {
  TF_BUILD: 'True',
  BUILD_REASON: 'PullRequest',
  BUILD_REPOSITORY_PROVIDER: 'GitHub',
  BUILD_REPOSITORY_NAME: 'acme/widgets',
  BUILD_REPOSITORY_URI: 'https://github.com/acme/widgets',
  BUILD_SOURCEVERSION: 'ffffffffffffffffffffffffffffffffffffffff',
  SYSTEM_PULLREQUEST_PULLREQUESTID: '1684200211',
  SYSTEM_PULLREQUEST_PULLREQUESTNUMBER: '58',
  SYSTEM_PULLREQUEST_SOURCECOMMITID: '3434343434343434343434343434343434343434',
  SYSTEM_PULLREQUEST_TARGETBRANCH: 'main',
  SYSTEM_PULLREQUEST_ISFORK: 'True',
  SYSTEM_ACCESSTOKEN: 'azure_secret',
  GITHUB_TOKEN: 'ghp_secret',
};

const BITBUCKET_PR: Env = {
  CI: 'true',
  BITBUCKET_BUILD_NUMBER: '88',
  BITBUCKET_PIPELINE_UUID: '{0e9d8c7b-0000-4000-8000-000000000001}',
  BITBUCKET_WORKSPACE: 'acme',
  BITBUCKET_REPO_SLUG: 'widgets',
  BITBUCKET_REPO_FULL_NAME: 'acme/widgets',
  BITBUCKET_BRANCH: 'feature/retry',
  BITBUCKET_COMMIT: '5656565656565656565656565656565656565656',
  BITBUCKET_PR_ID: '23',
  BITBUCKET_PR_DESTINATION_BRANCH: 'main',
  BITBUCKET_PR_DESTINATION_COMMIT: '787878787878',
  LOOM_BITBUCKET_TOKEN: 'bb_secret',
};
const BITBUCKET_PR_CONTEXT: CiContext = {
  ci: 'bitbucket-pipelines',
  platform: 'bitbucket',
  isPullRequest: true,
  prNumber: 23,
  repo: 'acme/widgets',
  apiUrl: 'https://api.bitbucket.org/2.0',
  baseRef: 'main',
  headSha: '5656565656565656565656565656565656565656',
  token: 'bb_secret',
  tokenVar: 'LOOM_BITBUCKET_TOKEN',
};

/** A copy without some keys (the tests assert with toStrictEqual, so absent and undefined differ). */
const without = <T extends object>(value: T, ...keys: (keyof T & string)[]): T =>
  Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key as keyof T & string))) as T;

const rows: { name: string; env: Env; expected: CiContext | undefined }[] = [
  { name: 'no CI', env: { HOME: '/home/dev', PATH: '/usr/bin' }, expected: undefined },
  { name: 'CI=true alone is no known CI', env: { CI: 'true' }, expected: undefined },

  // GitHub Actions
  { name: 'GitHub pull_request: head from the event, never GITHUB_SHA (the merge commit)', env: GITHUB_PR, expected: GITHUB_PR_CONTEXT },
  {
    name: 'GitHub push',
    env: { ...GITHUB, GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_EVENT_PATH: event('github-pull-request.json') },
    expected: {
      ci: 'github-actions',
      platform: 'github',
      isPullRequest: false,
      notPullRequestReason: 'GitHub Actions event "push" is not a pull request; loom reviews pull_request builds',
      repo: 'acme/widgets',
      apiUrl: 'https://api.github.com',
      token: 'ghs_secret',
      tokenVar: 'GITHUB_TOKEN',
      eventName: 'push',
    },
  },
  {
    name: 'GitHub without GITHUB_EVENT_NAME',
    env: GITHUB,
    expected: {
      ci: 'github-actions',
      platform: 'github',
      isPullRequest: false,
      notPullRequestReason: 'GitHub Actions GITHUB_EVENT_NAME is not set; loom reviews pull_request builds',
      repo: 'acme/widgets',
      apiUrl: 'https://api.github.com',
      token: 'ghs_secret',
      tokenVar: 'GITHUB_TOKEN',
    },
  },
  {
    name: 'GitHub fork PR (head repo differs from base repo)',
    env: { ...GITHUB_PR, GITHUB_EVENT_PATH: event('github-pull-request-fork.json'), GITHUB_REF: 'refs/pull/7/merge', GITHUB_BASE_REF: 'develop' },
    expected: { ...GITHUB_PR_CONTEXT, prNumber: 7, baseRef: 'develop', headSha: '3333333333333333333333333333333333333333', fromFork: true },
  },
  {
    name: 'GitHub PR between branches of a forked repository is not a fork PR (head.repo.fork is true)',
    env: { ...GITHUB_PR, GITHUB_REPOSITORY: 'contributor/widgets', GITHUB_EVENT_PATH: event('github-pull-request-inside-fork.json') },
    expected: { ...GITHUB_PR_CONTEXT, repo: 'contributor/widgets', prNumber: 3, headSha: '5555555555555555555555555555555555555555', fromFork: false },
  },
  {
    name: 'GitHub PR whose fork was deleted (head.repo null)',
    env: { ...GITHUB_PR, GITHUB_EVENT_PATH: event('github-pull-request-deleted-fork.json') },
    expected: { ...GITHUB_PR_CONTEXT, prNumber: 9, headSha: '7777777777777777777777777777777777777777', fromFork: true },
  },
  {
    name: 'GitHub pull_request_target fork PR: GITHUB_REF is the base branch, number from the event',
    env: {
      ...GITHUB_PR,
      GITHUB_EVENT_NAME: 'pull_request_target',
      GITHUB_EVENT_PATH: event('github-pull-request-fork.json'),
      GITHUB_REF: 'refs/heads/develop',
      GITHUB_BASE_REF: 'develop',
    },
    expected: {
      ...GITHUB_PR_CONTEXT,
      eventName: 'pull_request_target',
      prNumber: 7,
      baseRef: 'develop',
      headSha: '3333333333333333333333333333333333333333',
      fromFork: true,
    },
  },
  {
    name: 'GitHub pull_request_review counts as a pull request',
    env: { ...GITHUB_PR, GITHUB_EVENT_NAME: 'pull_request_review' },
    expected: { ...GITHUB_PR_CONTEXT, eventName: 'pull_request_review' },
  },
  {
    name: 'GitHub missing event file: number and base from GITHUB_REF / GITHUB_BASE_REF, no head sha',
    env: { ...GITHUB_PR, GITHUB_EVENT_PATH: '/nonexistent/event.json' },
    expected: without(GITHUB_PR_CONTEXT, 'headSha', 'fromFork'),
  },
  {
    name: 'GitHub event file without a pull_request object falls back to GITHUB_REF',
    env: { ...GITHUB_PR, GITHUB_EVENT_NAME: 'pull_request_review', GITHUB_EVENT_PATH: event('github-pull-request-no-pr-object.json') },
    expected: { ...without(GITHUB_PR_CONTEXT, 'headSha', 'fromFork'), eventName: 'pull_request_review' },
  },
  {
    name: 'GitHub pull_request_target without an event file: no number (GITHUB_REF is a branch)',
    env: { ...without(GITHUB_PR, 'GITHUB_EVENT_PATH'), GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_REF: 'refs/heads/main' },
    expected: {
      ...without(GITHUB_PR_CONTEXT, 'headSha', 'fromFork', 'prNumber'),
      eventName: 'pull_request_target',
    },
  },
  {
    name: 'GitHub without GITHUB_API_URL defaults to api.github.com',
    env: { ...without(GITHUB_PR, 'GITHUB_API_URL') },
    expected: GITHUB_PR_CONTEXT,
  },
  {
    name: 'GitHub Enterprise Server API URL',
    env: { ...GITHUB_PR, GITHUB_API_URL: 'https://ghe.example.com/api/v3/' },
    expected: { ...GITHUB_PR_CONTEXT, apiUrl: 'https://ghe.example.com/api/v3' },
  },
  {
    name: 'LOOM_TOKEN overrides GITHUB_TOKEN',
    env: { ...GITHUB_PR, LOOM_TOKEN: 'loom_secret' },
    expected: { ...GITHUB_PR_CONTEXT, token: 'loom_secret', tokenVar: 'LOOM_TOKEN' },
  },
  {
    name: 'GitHub with no token names GITHUB_TOKEN to set; an empty secret is no token',
    env: { ...GITHUB_PR, GITHUB_TOKEN: '' },
    expected: without(GITHUB_PR_CONTEXT, 'token'),
  },

  // Gitea and Forgejo
  { name: 'Gitea sets GITHUB_ACTIONS too: still gitea, merge base from the event', env: GITEA_PR, expected: GITEA_PR_CONTEXT },
  {
    name: 'Gitea falls back to GITHUB_TOKEN, and to GITHUB_SERVER_URL/api/v1 for the API',
    env: without(GITEA_PR, 'GITEA_TOKEN', 'GITHUB_API_URL'),
    expected: { ...GITEA_PR_CONTEXT, token: 'gitea_job_token', tokenVar: 'GITHUB_TOKEN' },
  },
  {
    name: 'Gitea missing event file: head is GITHUB_SHA (no merge commit), number from refs/pull/N/head',
    env: { ...GITEA_PR, GITHUB_EVENT_PATH: '/nonexistent/event.json' },
    expected: without(GITEA_PR_CONTEXT, 'mergeBase', 'fromFork'),
  },
  {
    name: 'Gitea invalid event JSON is ignored like a missing file',
    env: { ...GITEA_PR, GITHUB_EVENT_PATH: event('../diffs/mixed.diff') },
    expected: without(GITEA_PR_CONTEXT, 'mergeBase', 'fromFork'),
  },
  {
    name: 'Gitea push',
    env: { ...GITEA_PR, GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main' },
    expected: {
      ci: 'gitea-actions',
      platform: 'gitea',
      isPullRequest: false,
      notPullRequestReason: 'Gitea Actions event "push" is not a pull request; loom reviews pull_request builds',
      repo: 'team/service',
      apiUrl: 'https://git.example.com/api/v1',
      token: 'gitea_token',
      tokenVar: 'GITEA_TOKEN',
      eventName: 'push',
    },
  },
  {
    name: 'Forgejo sets GITEA_ACTIONS and GITHUB_ACTIONS too: forgejo-actions, gitea platform, FORGEJO_TOKEN first',
    env: FORGEJO_PR,
    expected: { ...GITEA_PR_CONTEXT, ci: 'forgejo-actions', token: 'forgejo_token', tokenVar: 'FORGEJO_TOKEN' },
  },
  {
    name: 'Forgejo token falls back to GITEA_TOKEN, then GITHUB_TOKEN',
    env: without(FORGEJO_PR, 'FORGEJO_TOKEN', 'GITEA_TOKEN'),
    expected: { ...GITEA_PR_CONTEXT, ci: 'forgejo-actions', token: 'gitea_job_token', tokenVar: 'GITHUB_TOKEN' },
  },
  {
    name: 'Forgejo with no token names FORGEJO_TOKEN to set',
    env: without(FORGEJO_PR, 'FORGEJO_TOKEN', 'GITEA_TOKEN', 'GITHUB_TOKEN'),
    expected: { ...without(GITEA_PR_CONTEXT, 'token'), ci: 'forgejo-actions', tokenVar: 'FORGEJO_TOKEN' },
  },
  {
    name: 'LOOM_TOKEN overrides Forgejo tokens',
    env: { ...FORGEJO_PR, LOOM_TOKEN: 'loom_secret' },
    expected: { ...GITEA_PR_CONTEXT, ci: 'forgejo-actions', token: 'loom_secret', tokenVar: 'LOOM_TOKEN' },
  },

  // GitLab CI
  { name: 'GitLab merge request pipeline (empty SOURCE_BRANCH_SHA: head is CI_COMMIT_SHA)', env: GITLAB_MR, expected: GITLAB_MR_CONTEXT },
  {
    name: 'GitLab merged-results pipeline: head is the source branch sha, not the merge in CI_COMMIT_SHA',
    env: { ...GITLAB_MR, CI_MERGE_REQUEST_SOURCE_BRANCH_SHA: '1313131313131313131313131313131313131313' },
    expected: { ...GITLAB_MR_CONTEXT, headSha: '1313131313131313131313131313131313131313' },
  },
  {
    name: 'GitLab fork MR: API calls go to the MR project, not the fork running the pipeline',
    env: { ...GITLAB_MR, CI_PROJECT_ID: '555', CI_MERGE_REQUEST_SOURCE_PROJECT_ID: '555' },
    expected: { ...GITLAB_MR_CONTEXT, fromFork: true },
  },
  {
    name: 'GitLab with only CI_JOB_TOKEN: no token, names LOOM_GITLAB_TOKEN',
    env: without(GITLAB_MR, 'LOOM_GITLAB_TOKEN'),
    expected: without(GITLAB_MR_CONTEXT, 'token'),
  },
  {
    name: 'GitLab GITLAB_TOKEN; API from CI_SERVER_URL when CI_API_V4_URL is missing',
    env: { ...without(GITLAB_MR, 'LOOM_GITLAB_TOKEN', 'CI_API_V4_URL'), GITLAB_TOKEN: 'glpat-other' },
    expected: { ...GITLAB_MR_CONTEXT, token: 'glpat-other', tokenVar: 'GITLAB_TOKEN' },
  },
  {
    name: 'LOOM_TOKEN overrides LOOM_GITLAB_TOKEN',
    env: { ...GITLAB_MR, LOOM_TOKEN: 'loom_secret' },
    expected: { ...GITLAB_MR_CONTEXT, token: 'loom_secret', tokenVar: 'LOOM_TOKEN' },
  },
  {
    name: 'GitLab branch pipeline with an open MR',
    env: {
      GITLAB_CI: 'true',
      CI_API_V4_URL: 'https://gitlab.com/api/v4',
      CI_PROJECT_ID: '101',
      CI_PIPELINE_SOURCE: 'push',
      CI_COMMIT_SHA: 'dddddddddddddddddddddddddddddddddddddddd',
      CI_OPEN_MERGE_REQUESTS: 'acme/widgets!12',
      CI_JOB_TOKEN: 'job_token',
    },
    expected: {
      ci: 'gitlab-ci',
      platform: 'gitlab',
      isPullRequest: false,
      notPullRequestReason:
        'GitLab CI pipeline source "push" is not a merge request pipeline (this branch has open merge requests acme/widgets!12, but only merge request pipelines describe them); loom reviews merge request pipelines: add `rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"` to the loom job',
      repo: '101',
      apiUrl: 'https://gitlab.com/api/v4',
      tokenVar: 'LOOM_GITLAB_TOKEN',
    },
  },
  {
    name: 'GitLab external pull request (GitHub PR built on GitLab CI) is not reviewed here',
    env: {
      GITLAB_CI: 'true',
      CI_SERVER_URL: 'https://gitlab.com',
      CI_PROJECT_ID: '101',
      CI_PIPELINE_SOURCE: 'external_pull_request_event',
      CI_EXTERNAL_PULL_REQUEST_IID: '4',
    },
    expected: {
      ci: 'gitlab-ci',
      platform: 'gitlab',
      isPullRequest: false,
      notPullRequestReason:
        'GitLab CI is building a GitHub pull request (external pull request); loom posts to GitHub from a GitHub Actions workflow, so run it there',
      repo: '101',
      apiUrl: 'https://gitlab.com/api/v4',
      tokenVar: 'LOOM_GITLAB_TOKEN',
    },
  },

  // Azure Pipelines
  {
    name: 'Azure Repos (TfsGit) PR: refs/heads/ stripped, collection URI gets its trailing slash, head is not BUILD_SOURCEVERSION',
    env: AZURE_PR,
    expected: {
      ci: 'azure-pipelines',
      platform: 'azure',
      isPullRequest: true,
      prNumber: 311,
      repo: '0c6f5e1b-3b0a-4e43-8f3c-2f9a4a2d9c11',
      azure: { collectionUri: 'https://dev.azure.com/acme/', project: 'Platform' },
      apiUrl: 'https://dev.azure.com/acme',
      baseRef: 'release/2.0',
      headSha: '1212121212121212121212121212121212121212',
      token: 'azure_secret',
      tokenVar: 'SYSTEM_ACCESSTOKEN',
      fromFork: false,
    },
  },
  {
    name: 'Azure TfsGit: short target branch name, SYSTEM_ACCESSTOKEN not mapped (literal macro) is no token',
    env: {
      ...without(AZURE_PR, 'SYSTEM_PULLREQUEST_TARGETBRANCH', 'SYSTEM_PULLREQUEST_ISFORK'),
      SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme/',
      SYSTEM_PULLREQUEST_TARGETBRANCHNAME: 'main',
      SYSTEM_ACCESSTOKEN: '$(System.AccessToken)',
    },
    expected: {
      ci: 'azure-pipelines',
      platform: 'azure',
      isPullRequest: true,
      prNumber: 311,
      repo: '0c6f5e1b-3b0a-4e43-8f3c-2f9a4a2d9c11',
      azure: { collectionUri: 'https://dev.azure.com/acme/', project: 'Platform' },
      apiUrl: 'https://dev.azure.com/acme',
      baseRef: 'main',
      headSha: '1212121212121212121212121212121212121212',
      tokenVar: 'SYSTEM_ACCESSTOKEN',
    },
  },
  {
    name: 'Azure CI build (not a PR)',
    env: { ...AZURE_PR, BUILD_REASON: 'IndividualCI' },
    expected: {
      ci: 'azure-pipelines',
      platform: 'azure',
      isPullRequest: false,
      notPullRequestReason:
        'Azure Pipelines build reason "IndividualCI" is not a pull request; loom reviews pull request builds (a build validation branch policy)',
      repo: '0c6f5e1b-3b0a-4e43-8f3c-2f9a4a2d9c11',
      azure: { collectionUri: 'https://dev.azure.com/acme/', project: 'Platform' },
      apiUrl: 'https://dev.azure.com/acme',
      token: 'azure_secret',
      tokenVar: 'SYSTEM_ACCESSTOKEN',
    },
  },
  {
    name: 'Azure building a GitHub repository posts to GitHub with the PR number (not the id)',
    env: AZURE_GITHUB_PR,
    expected: {
      ci: 'azure-pipelines',
      platform: 'github',
      isPullRequest: true,
      prNumber: 58,
      repo: 'acme/widgets',
      apiUrl: 'https://api.github.com',
      baseRef: 'main',
      headSha: '3434343434343434343434343434343434343434',
      token: 'ghp_secret',
      tokenVar: 'GITHUB_TOKEN',
      fromFork: true,
    },
  },
  {
    name: 'Azure GitHubEnterprise: API from the clone host; LOOM_GITHUB_API_URL would override',
    env: { ...AZURE_GITHUB_PR, BUILD_REPOSITORY_PROVIDER: 'GitHubEnterprise', BUILD_REPOSITORY_URI: 'https://ghe.example.com/acme/widgets.git' },
    expected: {
      ci: 'azure-pipelines',
      platform: 'github',
      isPullRequest: true,
      prNumber: 58,
      repo: 'acme/widgets',
      apiUrl: 'https://ghe.example.com/api/v3',
      baseRef: 'main',
      headSha: '3434343434343434343434343434343434343434',
      token: 'ghp_secret',
      tokenVar: 'GITHUB_TOKEN',
      fromFork: true,
    },
  },
  {
    name: 'Azure GitHub with LOOM_GITHUB_API_URL',
    env: { ...AZURE_GITHUB_PR, LOOM_GITHUB_API_URL: 'https://proxy.example.com/github/' },
    expected: {
      ci: 'azure-pipelines',
      platform: 'github',
      isPullRequest: true,
      prNumber: 58,
      repo: 'acme/widgets',
      apiUrl: 'https://proxy.example.com/github',
      baseRef: 'main',
      headSha: '3434343434343434343434343434343434343434',
      token: 'ghp_secret',
      tokenVar: 'GITHUB_TOKEN',
      fromFork: true,
    },
  },
  {
    name: 'Azure building a Bitbucket Cloud repository posts to Bitbucket',
    env: {
      TF_BUILD: 'True',
      BUILD_REASON: 'PullRequest',
      BUILD_REPOSITORY_PROVIDER: 'Bitbucket',
      BUILD_REPOSITORY_NAME: 'acme/widgets',
      SYSTEM_PULLREQUEST_PULLREQUESTID: '23',
      SYSTEM_PULLREQUEST_SOURCECOMMITID: '5656565656565656565656565656565656565656',
      SYSTEM_PULLREQUEST_TARGETBRANCH: 'refs/heads/main',
      SYSTEM_ACCESSTOKEN: 'azure_secret',
      BITBUCKET_ACCESS_TOKEN: 'bb_other',
    },
    expected: {
      ci: 'azure-pipelines',
      platform: 'bitbucket',
      isPullRequest: true,
      prNumber: 23,
      repo: 'acme/widgets',
      apiUrl: 'https://api.bitbucket.org/2.0',
      baseRef: 'main',
      headSha: '5656565656565656565656565656565656565656',
      token: 'bb_other',
      tokenVar: 'BITBUCKET_ACCESS_TOKEN',
    },
  },
  {
    name: 'Azure with an unsupported repository provider',
    env: { TF_BUILD: 'True', BUILD_REASON: 'PullRequest', BUILD_REPOSITORY_PROVIDER: 'Svn', BUILD_REPOSITORY_NAME: 'legacy' },
    expected: {
      ci: 'azure-pipelines',
      platform: 'azure',
      isPullRequest: false,
      notPullRequestReason:
        'Azure Pipelines repository provider "Svn" is not supported; loom posts to Azure Repos (TfsGit), GitHub and Bitbucket Cloud',
      repo: 'legacy',
      apiUrl: '',
    },
  },
  {
    name: 'LOOM_TOKEN overrides SYSTEM_ACCESSTOKEN',
    env: { ...AZURE_PR, LOOM_TOKEN: 'loom_secret', BUILD_REASON: 'Manual' },
    expected: {
      ci: 'azure-pipelines',
      platform: 'azure',
      isPullRequest: false,
      notPullRequestReason: 'Azure Pipelines build reason "Manual" is not a pull request; loom reviews pull request builds (a build validation branch policy)',
      repo: '0c6f5e1b-3b0a-4e43-8f3c-2f9a4a2d9c11',
      azure: { collectionUri: 'https://dev.azure.com/acme/', project: 'Platform' },
      apiUrl: 'https://dev.azure.com/acme',
      token: 'loom_secret',
      tokenVar: 'LOOM_TOKEN',
    },
  },

  // Bitbucket Pipelines
  { name: 'Bitbucket PR with BITBUCKET_REPO_FULL_NAME', env: BITBUCKET_PR, expected: BITBUCKET_PR_CONTEXT },
  {
    name: 'Bitbucket PR without BITBUCKET_REPO_FULL_NAME: workspace/slug; BITBUCKET_ACCESS_TOKEN; API override',
    env: {
      ...without(BITBUCKET_PR, 'BITBUCKET_REPO_FULL_NAME', 'LOOM_BITBUCKET_TOKEN', 'BITBUCKET_BUILD_NUMBER'),
      BITBUCKET_ACCESS_TOKEN: 'bb_other',
      LOOM_BITBUCKET_API_URL: 'https://bitbucket-proxy.example.com/2.0/',
      BITBUCKET_API_URL: 'https://ignored.example.com/2.0',
    },
    expected: { ...BITBUCKET_PR_CONTEXT, apiUrl: 'https://bitbucket-proxy.example.com/2.0', token: 'bb_other', tokenVar: 'BITBUCKET_ACCESS_TOKEN' },
  },
  {
    name: 'Bitbucket BITBUCKET_API_URL when LOOM_BITBUCKET_API_URL is unset',
    env: { ...BITBUCKET_PR, BITBUCKET_API_URL: 'https://api.example.com/2.0' },
    expected: { ...BITBUCKET_PR_CONTEXT, apiUrl: 'https://api.example.com/2.0' },
  },
  {
    name: 'Bitbucket branch build (no BITBUCKET_PR_ID), no token',
    env: without(BITBUCKET_PR, 'BITBUCKET_PR_ID', 'BITBUCKET_PR_DESTINATION_BRANCH', 'BITBUCKET_PR_DESTINATION_COMMIT', 'LOOM_BITBUCKET_TOKEN'),
    expected: {
      ci: 'bitbucket-pipelines',
      platform: 'bitbucket',
      isPullRequest: false,
      notPullRequestReason:
        'Bitbucket Pipelines has no BITBUCKET_PR_ID for the build of "feature/retry"; loom reviews pull requests: run it in a `pull-requests:` pipeline',
      repo: 'acme/widgets',
      apiUrl: 'https://api.bitbucket.org/2.0',
      tokenVar: 'LOOM_BITBUCKET_TOKEN',
    },
  },
  {
    name: 'LOOM_TOKEN overrides LOOM_BITBUCKET_TOKEN',
    env: { ...BITBUCKET_PR, LOOM_TOKEN: 'loom_secret' },
    expected: { ...BITBUCKET_PR_CONTEXT, token: 'loom_secret', tokenVar: 'LOOM_TOKEN' },
  },
];

describe('detectCi', () => {
  it.each(rows)('$name', ({ env, expected }) => {
    expect(detectCi(env, readFile)).toStrictEqual(expected);
  });

  it('checks Forgejo, Gitea and GitHub before GitLab, Azure and Bitbucket', () => {
    const everything: Env = { ...BITBUCKET_PR, ...AZURE_PR, ...GITLAB_MR, ...GITHUB_PR };
    expect(detectCi(everything, readFile)?.ci).toBe('github-actions');
    expect(detectCi(without(everything, 'GITHUB_ACTIONS'), readFile)?.ci).toBe('gitlab-ci');
    expect(detectCi(without(everything, 'GITHUB_ACTIONS', 'GITLAB_CI'), readFile)?.ci).toBe('azure-pipelines');
    expect(detectCi(without(everything, 'GITHUB_ACTIONS', 'GITLAB_CI', 'TF_BUILD'), readFile)?.ci).toBe('bitbucket-pipelines');
  });

  it('reads only the event file, and only for pull request events', () => {
    const reads: string[] = [];
    const spy = (path: string): string | undefined => {
      reads.push(path);
      return readFile(path);
    };
    detectCi({ ...GITHUB_PR, GITHUB_EVENT_NAME: 'push' }, spy);
    detectCi(GITLAB_MR, spy);
    expect(reads).toStrictEqual([]);
    detectCi(GITHUB_PR, spy);
    expect(reads).toStrictEqual([event('github-pull-request.json')]);
  });
});

describe('describeCi', () => {
  it.each([
    { name: 'outside CI', ci: undefined, line: 'not in a known CI' },
    {
      name: 'GitHub PR',
      ci: GITHUB_PR_CONTEXT,
      line: 'GitHub Actions: pull request #42 on github acme/widgets via https://api.github.com; event pull_request, head 111111111111, base main, token from GITHUB_TOKEN',
    },
    {
      name: 'GitLab fork MR without a token',
      ci: { ...GITLAB_MR_CONTEXT, token: undefined, fromFork: true },
      line: 'GitLab CI: pull request #12 on gitlab 101 via https://gitlab.example.com/api/v4; head dddddddddddd, base main, merge base cccccccccccc, from a fork, no token (set LOOM_GITLAB_TOKEN)',
    },
    {
      name: 'not a PR',
      ci: detectCi({ ...GITHUB, GITHUB_EVENT_NAME: 'schedule' }, readFile),
      line: 'GitHub Actions: not a pull request (GitHub Actions event "schedule" is not a pull request; loom reviews pull_request builds)',
    },
  ])('$name', ({ ci, line }) => {
    expect(describeCi(ci)).toBe(line);
  });

  it('never includes the token', () => {
    for (const { env } of rows) {
      const ci = detectCi(env, readFile);
      if (ci?.token) expect(describeCi(ci)).not.toContain(ci.token);
    }
  });
});
