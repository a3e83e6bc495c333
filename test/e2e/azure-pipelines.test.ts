import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { azurePipelinesEnv } from '../helpers/ci-env.ts';
import { startFakeAzure, type FakeAzure, type FakeAzureThread } from '../helpers/fake-azure.ts';
import { findingsReply, startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { context, DIFF_SUGGESTION, expectNoSecrets, type FeatureRepo, inDiff, KEY, makeFeatureRepo, outside } from './platform-env.ts';

const TOKEN = 'azure-e2e-access-token-0123456789';

let model: FakeOpenAi;
let az: FakeAzure;
let fx: FeatureRepo;

beforeEach(async () => {
  fx = makeFeatureRepo();
  model = await startOpenAiServer(() => findingsReply([inDiff, context, outside]));
  az = await startFakeAzure({
    token: TOKEN,
    pullRequest: { id: 22, title: 'Add find', description: 'Adds a lookup by name.', author: 'Normal Paulk', sourceCommit: fx.headSha, targetCommit: fx.baseSha },
    iterations: [{ id: 1, sourceCommit: fx.headSha, targetCommit: fx.baseSha, commonCommit: fx.baseSha }],
    changes: [
      { path: '/.loom/config.yaml', changeTrackingId: 1, changeType: 'add' },
      { path: '/src/db.js', changeTrackingId: 2, changeType: 'edit' },
    ],
  });
});
afterEach(async () => {
  await model.close();
  await az.close();
  fx.repo.remove();
});

function azureEnv(): Record<string, string> {
  return { ...azurePipelinesEnv({ az, headSha: fx.headSha, token: TOKEN }), OPENAI_BASE_URL: model.url, OPENAI_API_KEY: KEY };
}

const review = (args: string[] = []): Promise<CliResult> => runCli(['review', '--no-cache', ...args], { cwd: fx.repo.dir, env: azureEnv() });
const fileThreads = () => az.state.threads.filter((t) => t.threadContext !== null);
const summaries = () => az.state.threads.filter((t) => t.threadContext === null && t.comments[0]!.content.startsWith('<!-- loom:summary -->'));
const onLine = (line: number): FakeAzureThread => fileThreads().find((t) => t.threadContext.rightFileStart?.line === line)!;

describe('loom review in an Azure Pipelines pull request build (Azure Repos, built CLI, fake Azure DevOps and model)', () => {
  it('opens one file thread per anchored finding and one summary thread; a re-run edits the summary in place', async () => {
    const first = await review(['--verbose']);

    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/CI: Azure Pipelines: pull request #22 on azure .*token from SYSTEM_ACCESSTOKEN/);
    expect(fileThreads().map((t) => t.threadContext.rightFileStart.line).sort()).toEqual([2, 5]);
    for (const line of [2, 5]) {
      expect(onLine(line).threadContext).toEqual({ filePath: '/src/db.js', rightFileStart: { line, offset: 1 }, rightFileEnd: { line, offset: 1 } });
      expect(onLine(line).pullRequestThreadContext).toMatchObject({ changeTrackingId: 2, iterationContext: { firstComparingIteration: 1, secondComparingIteration: 1 } });
      expect(onLine(line).status).toBe('active');
    }
    expect(onLine(5).comments[0]!.content).toContain(DIFF_SUGGESTION);
    expect(onLine(5).comments[0]!.content).not.toContain('```suggestion');
    expect(summaries()).toHaveLength(1);
    const summary = summaries()[0]!.comments[0]!.content;
    expect(summary).toContain('Far away');
    expect(summary).toContain('Not in the diff at all.');

    const second = await review();

    expect(second.code).toBe(0);
    expect(fileThreads()).toHaveLength(2);
    expect(summaries()).toHaveLength(1);
    expect(az.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
    const edits = az.requests.filter((r) => r.method === 'PATCH' && /\/threads\/\d+\/comments\/\d+$/.test(r.path));
    expect(edits.map((r) => r.path)).toEqual([expect.stringMatching(new RegExp(`/threads/${summaries()[0]!.id}/comments/1$`))]);
    expect(second.stderr).toMatch(/0 new inline comment\(s\), 2 already there/);
    expectNoSecrets([first, second], TOKEN, KEY);
  });

  it('marks the thread of a finding the model no longer reports as fixed', async () => {
    const first = await review();
    model.setHandler(() => findingsReply([inDiff, outside]));

    const next = await review();

    expect(next.code).toBe(0);
    const resolves = az.requests.filter((r) => r.method === 'PATCH' && /\/threads\/\d+$/.test(r.path));
    expect(resolves).toHaveLength(1);
    expect(resolves[0]!.path).toMatch(new RegExp(`/threads/${onLine(2).id}$`));
    expect(resolves[0]!.body).toEqual({ status: 'fixed' });
    expect(onLine(2).status).toBe('fixed');
    expect(onLine(5).status).toBe('active');
    expect(summaries()).toHaveLength(1);
    expect(summaries()[0]!.comments[0]!.content).toMatch(/1 earlier comment thread\(s\) were resolved/);
    expectNoSecrets([first, next], TOKEN, KEY);
  });

  it('prints the report and says how to grant the build service access when Azure refuses, exiting per --fail-on', async () => {
    az.failNext({ method: 'POST', path: /\/threads$/ }, { status: 403, json: { message: "TF401027: You need the Git 'PullRequestContribute' permission to perform this action." } }, 10);

    const result = await review(['--fail-on', 'blocker']);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('SQL built from user input');
    expect(result.stderr).toMatch(/azure refused to take the review .*403/);
    expect(result.stderr).toContain('SYSTEM_ACCESSTOKEN: $(System.AccessToken)');
    expect(result.stderr).toContain('Contribute to pull requests');
    expect(az.state.threads).toHaveLength(0);
    expectNoSecrets([result], TOKEN, KEY);
  });
});
