import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const load = (path: string): any => parse(readFileSync(`${root}${path}`, 'utf8'));

/**
 * loom's cache restored before the review and saved after it, whatever happened (a cancelled run keeps the answers
 * it had): a new key per run attempt (keys are immutable), restored from the pull request's latest.
 */
function expectPerPullRequestCache(restore: any, save: any, pr: string): void {
  const key = `loom-${pr}-\${{ github.run_id }}-\${{ github.run_attempt }}`;
  expect(restore).toStrictEqual({ uses: 'actions/cache/restore@v4', with: { path: '.loom/cache', key, 'restore-keys': `loom-${pr}-` } });
  expect(save).toStrictEqual({ uses: 'actions/cache/save@v4', if: 'always()', with: { path: '.loom/cache', key } });
}

describe('ci-examples', () => {
  it('holds one example per CI, each valid YAML that runs loom-review', () => {
    const files = readdirSync(`${root}ci-examples`).filter((name) => name.endsWith('.yml')).sort();
    expect(files).toStrictEqual(['azure-pipelines.yml', 'bitbucket-pipelines.yml', 'gitea-actions.yml', 'github-actions.yml', 'gitlab-ci.yml']);
    for (const name of files) {
      expect(JSON.stringify(load(`ci-examples/${name}`)), name).toContain('npx --yes loom-review review');
    }
  });

  it('GitHub Actions: pull_request, write permission for PRs, full history at the PR head, secrets in env', () => {
    const workflow = load('ci-examples/github-actions.yml');
    expect(Object.keys(workflow.on)).toStrictEqual(['pull_request']);
    expect(workflow.permissions).toStrictEqual({ contents: 'read', 'pull-requests': 'write' });
    const [checkout, node, restore, review, save] = workflow.jobs.review.steps;
    expect(checkout).toStrictEqual({
      uses: 'actions/checkout@v4',
      with: { 'fetch-depth': 0, ref: '${{ github.event.pull_request.head.sha }}' },
    });
    expect(node.with['node-version']).toBe(20);
    expect(review.run).toBe('npx --yes loom-review review --output sarif=loom.sarif');
    expect(review.env).toStrictEqual({
      OPENAI_API_KEY: '${{ secrets.OPENAI_API_KEY }}',
      GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}',
    });
    expectPerPullRequestCache(restore, save, '${{ github.event.pull_request.number }}');
  });

  it('GitLab CI: merge request pipelines only, full clone, Code Quality report', () => {
    const job = load('ci-examples/gitlab-ci.yml')['loom-review'];
    expect(job.image).toBe('node:20');
    expect(job.rules).toStrictEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
    expect(job.variables).toStrictEqual({ GIT_DEPTH: '0' });
    expect(job.script).toStrictEqual(['npx --yes loom-review review --output codequality=gl-code-quality-report.json']);
    expect(job.artifacts.reports).toStrictEqual({ codequality: 'gl-code-quality-report.json' });
    expect(JSON.stringify(job)).not.toContain('CI_JOB_TOKEN');
    // loom's cache, one per merge request, kept also when the job fails.
    expect(job.cache).toStrictEqual({ key: 'loom-$CI_MERGE_REQUEST_IID', paths: ['.loom/cache/'], when: 'always' });
  });

  it('Azure Pipelines: pr trigger, full history with credentials, System.AccessToken mapped', () => {
    const pipeline = load('ci-examples/azure-pipelines.yml');
    expect(pipeline.trigger).toBe('none');
    expect(pipeline.pr).toStrictEqual({ branches: { include: ['*'] } });
    const [checkout, , cache, review] = pipeline.steps;
    expect(checkout).toStrictEqual({ checkout: 'self', fetchDepth: 0, persistCredentials: true });
    expect(review.env).toStrictEqual({ OPENAI_API_KEY: '$(OPENAI_API_KEY)', SYSTEM_ACCESSTOKEN: '$(System.AccessToken)' });
    // loom's cache: a new entry per build, restored from the pull request's latest.
    expect(cache.task).toBe('Cache@2');
    expect(cache.inputs).toStrictEqual({
      key: 'loom | "$(System.PullRequest.PullRequestId)" | "$(Build.BuildId)"',
      restoreKeys: 'loom | "$(System.PullRequest.PullRequestId)"',
      path: '$(Build.SourcesDirectory)/.loom/cache',
    });
  });

  it('Bitbucket Pipelines: a pull-requests pipeline for every branch with a full clone', () => {
    const pipelines = load('ci-examples/bitbucket-pipelines.yml').pipelines;
    expect(Object.keys(pipelines)).toStrictEqual(['pull-requests']);
    const { step } = pipelines['pull-requests']['**'][0];
    expect(step.image).toBe('node:20');
    expect(step.clone).toStrictEqual({ depth: 'full' });
    expect(step.script).toStrictEqual(['npx --yes loom-review review']);
  });

  it('Gitea/Forgejo Actions: pull_request, full history, the job token as GITEA_TOKEN', () => {
    const workflow = load('ci-examples/gitea-actions.yml');
    expect(Object.keys(workflow.on)).toStrictEqual(['pull_request']);
    expect(workflow.permissions['pull-requests']).toBe('write');
    const [checkout, , restore, review, save] = workflow.jobs.review.steps;
    expect(checkout.with).toStrictEqual({ 'fetch-depth': 0 });
    expect(review.env).toStrictEqual({ OPENAI_API_KEY: '${{ secrets.OPENAI_API_KEY }}', GITEA_TOKEN: '${{ secrets.GITHUB_TOKEN }}' });
    expectPerPullRequestCache(restore, save, '${{ github.event.pull_request.number }}');
  });
});

describe('action.yml', () => {
  it('is a composite action that sets up Node and runs the chosen loom-review version with the token', () => {
    const action = load('action.yml');
    expect(action.runs.using).toBe('composite');
    expect(Object.fromEntries(Object.entries(action.inputs).map(([name, input]: [string, any]) => [name, input.default]))).toStrictEqual({
      args: 'review',
      version: 'latest',
      'node-version': '20',
      'github-token': '${{ github.token }}',
      cache: 'true',
    });
    const [node, restore, loom, save] = action.runs.steps;
    // The same cache steps as the examples, each only with the `cache` input on.
    const { if: restoreIf, ...restoreStep } = restore;
    expectPerPullRequestCache(restoreStep, { ...save, if: 'always()' }, '${{ github.event.pull_request.number }}');
    expect([restoreIf, save.if]).toStrictEqual(["inputs.cache == 'true'", "always() && inputs.cache == 'true'"]);
    expect(node).toStrictEqual({ uses: 'actions/setup-node@v4', with: { 'node-version': '${{ inputs.node-version }}' } });
    expect(loom.shell).toBe('bash');
    expect(loom.run).toContain('npx --yes "loom-review@${LOOM_VERSION}" ${LOOM_ARGS}');
    expect(loom.env).toStrictEqual({
      LOOM_VERSION: '${{ inputs.version }}',
      LOOM_ARGS: '${{ inputs.args }}',
      GITHUB_TOKEN: '${{ inputs.github-token }}',
    });
  });
});
