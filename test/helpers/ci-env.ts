/**
 * The environment each CI gives a pull request job, pointed at the fake platform servers: what the end-to-end
 * (test/e2e) and fault (test/faults) suites run the built CLI with. A builder returns the CI's variables only (the
 * caller adds the model's, OPENAI_BASE_URL and OPENAI_API_KEY); the Actions builders also write the event file.
 * The job is always the feature branch `feature` into `main`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeAzure } from './fake-azure.ts';
import type { FakeBitbucket } from './fake-bitbucket.ts';
import type { FakeGitea } from './fake-gitea.ts';
import type { FakeGitHub } from './fake-github.ts';
import type { FakeGitLab } from './fake-gitlab.ts';

export interface GitHubActionsJob {
  gh: Pick<FakeGitHub, 'url' | 'owner' | 'repo' | 'number'>;
  headSha: string;
  /** The base commit the event names. */
  baseSha: string;
  token: string;
  /** Where the event file (event.json) and the step summary (step-summary.md) go. */
  work: string;
  /** GITHUB_EVENT_NAME. Default `pull_request`. */
  event?: 'pull_request' | 'pull_request_target' | 'push';
  /** GITHUB_SERVER_URL, or `null` to leave it unset. Default https://github.com. */
  serverUrl?: string | null;
  /** Whether the event's head and base name their repository (`repo`). Default true. */
  eventRepos?: boolean;
}

/** A GitHub Actions job for a pull request event; GITHUB_SHA is the runner's merge commit, which loom does not use. */
export function githubActionsEnv(job: GitHubActionsJob): Record<string, string> & { GITHUB_STEP_SUMMARY: string } {
  const { gh } = job;
  const fullName = `${gh.owner}/${gh.repo}`;
  const repos = job.eventRepos ?? true;
  const eventPath = join(job.work, 'event.json');
  writeFileSync(
    eventPath,
    JSON.stringify({
      number: gh.number,
      pull_request: {
        number: gh.number,
        head: { sha: job.headSha, ref: 'feature', ...(repos && { repo: { full_name: fullName, fork: false } }) },
        base: { sha: job.baseSha, ref: 'main', ...(repos && { repo: { full_name: fullName } }) },
      },
    }),
  );
  const serverUrl = job.serverUrl === undefined ? 'https://github.com' : job.serverUrl;
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: job.event ?? 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: fullName,
    GITHUB_API_URL: gh.url,
    ...(serverUrl !== null && { GITHUB_SERVER_URL: serverUrl }),
    GITHUB_SHA: '0'.repeat(40),
    GITHUB_BASE_REF: 'main',
    GITHUB_TOKEN: job.token,
    GITHUB_STEP_SUMMARY: join(job.work, 'step-summary.md'),
  };
}

export interface GiteaActionsJob {
  gt: Pick<FakeGitea, 'url' | 'owner' | 'repo' | 'index'>;
  /** Gitea's runner sets GITEA_ACTIONS and GITEA_TOKEN, Forgejo's FORGEJO_ACTIONS and FORGEJO_TOKEN. Default gitea. */
  flavor?: 'gitea' | 'forgejo';
  headSha: string;
  /** The base commit and merge base the event names. */
  baseSha: string;
  token: string;
  /** Where the event file (event.json) goes. */
  work: string;
}

/** A Gitea or Forgejo Actions `pull_request` job: the act-based runner writes the event file and also sets the GitHub-compatible variables. */
export function giteaActionsEnv(job: GiteaActionsJob): Record<string, string> {
  const { gt } = job;
  const own = job.flavor === 'forgejo' ? 'FORGEJO' : 'GITEA';
  const eventPath = join(job.work, 'event.json');
  const repo = { full_name: `${gt.owner}/${gt.repo}`, fork: false };
  writeFileSync(
    eventPath,
    JSON.stringify({
      action: 'opened',
      number: gt.index,
      pull_request: { number: gt.index, head: { sha: job.headSha, ref: 'feature', repo }, base: { sha: job.baseSha, ref: 'main', repo }, merge_base: job.baseSha },
    }),
  );
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    [`${own}_ACTIONS`]: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: `${gt.owner}/${gt.repo}`,
    GITHUB_SERVER_URL: gt.url.replace(/\/api\/v1$/, ''),
    GITHUB_API_URL: gt.url,
    GITHUB_SHA: job.headSha,
    GITHUB_REF: `refs/pull/${gt.index}/head`,
    GITHUB_HEAD_REF: 'feature',
    GITHUB_BASE_REF: 'main',
    [`${own}_TOKEN`]: job.token,
    GITHUB_TOKEN: job.token,
  };
}

export interface GitLabCiJob {
  gl: Pick<FakeGitLab, 'url' | 'apiUrl' | 'state'>;
  headSha: string;
  /** CI_MERGE_REQUEST_DIFF_BASE_SHA. */
  baseSha: string;
  /** LOOM_GITLAB_TOKEN. */
  token: string;
  /** CI_JOB_TOKEN; unset when absent. */
  jobToken?: string;
  /** CI_MERGE_REQUEST_SOURCE_BRANCH_SHA, empty outside merged-results pipelines (the default); `null` leaves it unset. */
  sourceBranchSha?: string | null;
}

/** The variables of a merge request pipeline (`rules: if: $CI_PIPELINE_SOURCE == "merge_request_event"`). */
export function gitlabCiEnv(job: GitLabCiJob): Record<string, string> {
  const { gl } = job;
  const projectId = String(gl.state.project.id);
  const sourceBranchSha = job.sourceBranchSha === undefined ? '' : job.sourceBranchSha;
  return {
    CI: 'true',
    GITLAB_CI: 'true',
    CI_SERVER_URL: gl.url,
    CI_API_V4_URL: gl.apiUrl,
    CI_PIPELINE_SOURCE: 'merge_request_event',
    CI_PROJECT_ID: projectId,
    CI_PROJECT_PATH: gl.state.project.path,
    CI_COMMIT_SHA: job.headSha,
    CI_COMMIT_REF_NAME: 'feature',
    CI_MERGE_REQUEST_IID: String(gl.state.mergeRequest.iid),
    CI_MERGE_REQUEST_PROJECT_ID: projectId,
    CI_MERGE_REQUEST_SOURCE_PROJECT_ID: projectId,
    CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'feature',
    ...(sourceBranchSha !== null && { CI_MERGE_REQUEST_SOURCE_BRANCH_SHA: sourceBranchSha }),
    CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
    CI_MERGE_REQUEST_DIFF_BASE_SHA: job.baseSha,
    ...(job.jobToken !== undefined && { CI_JOB_TOKEN: job.jobToken }),
    LOOM_GITLAB_TOKEN: job.token,
  };
}

/** A build validation (branch policy) run of an Azure Repos pull request, with the access token mapped in. */
export function azurePipelinesEnv(job: { az: Pick<FakeAzure, 'url' | 'state'>; headSha: string; token: string }): Record<string, string> {
  const { az } = job;
  const { state } = az;
  return {
    CI: 'true',
    TF_BUILD: 'True',
    BUILD_REASON: 'PullRequest',
    BUILD_REPOSITORY_PROVIDER: 'TfsGit',
    BUILD_REPOSITORY_ID: state.repositoryId,
    BUILD_REPOSITORY_NAME: state.repositoryName,
    BUILD_SOURCEBRANCH: `refs/pull/${state.pullRequest.id}/merge`,
    SYSTEM_COLLECTIONURI: az.url,
    SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: az.url,
    SYSTEM_TEAMPROJECT: state.project,
    SYSTEM_PULLREQUEST_PULLREQUESTID: String(state.pullRequest.id),
    SYSTEM_PULLREQUEST_SOURCEBRANCH: 'refs/heads/feature',
    SYSTEM_PULLREQUEST_SOURCECOMMITID: job.headSha,
    SYSTEM_PULLREQUEST_TARGETBRANCH: 'refs/heads/main',
    SYSTEM_PULLREQUEST_ISFORK: 'False',
    SYSTEM_ACCESSTOKEN: job.token,
  };
}

/** A `pull-requests:` pipeline step, with the repository access token stored as a secured variable. */
export function bitbucketPipelinesEnv(job: { bb: Pick<FakeBitbucket, 'url' | 'state'>; cloneDir: string; headSha: string; token: string }): Record<string, string> {
  const { bb } = job;
  const { workspace, slug, pullRequest } = bb.state;
  return {
    CI: 'true',
    BITBUCKET_BUILD_NUMBER: '17',
    BITBUCKET_PIPELINE_UUID: '{8d2a3c5e-0000-4000-8000-000000000017}',
    BITBUCKET_WORKSPACE: workspace,
    BITBUCKET_REPO_SLUG: slug,
    BITBUCKET_REPO_FULL_NAME: `${workspace}/${slug}`,
    BITBUCKET_CLONE_DIR: job.cloneDir,
    BITBUCKET_BRANCH: 'feature',
    BITBUCKET_COMMIT: job.headSha,
    BITBUCKET_PR_ID: String(pullRequest.id),
    BITBUCKET_PR_DESTINATION_BRANCH: 'main',
    LOOM_BITBUCKET_API_URL: bb.url,
    LOOM_BITBUCKET_TOKEN: job.token,
  };
}
