/**
 * Azure DevOps API faults through the built CLI in an Azure Pipelines pull request build: each status on each call
 * the adapter makes (see platform-matrix.ts for the policy). Azure has no step summary: the job log carries the
 * report.
 */
import { describe, expect, it } from 'vitest';
import { azurePipelinesEnv } from '../helpers/ci-env.ts';
import { seedThread, startFakeAzure, type FakeAzure, type FakeAzureThread } from '../helpers/fake-azure.ts';
import { faultMatrix, injected, TITLE, withFixture, type Job } from './platform-matrix.ts';

const TOKEN = 'azure-faults-access-token-0123456789';

interface AzureJob extends Job {
  az: FakeAzure;
}

const withAzure = (run: (job: AzureJob) => Promise<void>) =>
  withFixture<AzureJob>(async ({ fx, run: review }) => {
    const az = await startFakeAzure({
      token: TOKEN,
      pullRequest: { id: 22, title: 'Add find', description: 'Adds a lookup by name.', author: 'Normal Paulk', sourceCommit: fx.headSha, targetCommit: fx.baseSha },
      iterations: [{ id: 1, sourceCommit: fx.headSha, targetCommit: fx.baseSha, commonCommit: fx.baseSha }],
      changes: [{ path: '/src/db.js', changeTrackingId: 2, changeType: 'edit' }],
    });
    const { state } = az;
    // A build validation run of an Azure Repos pull request (as in test/e2e/azure-pipelines.test.ts).
    const env = azurePipelinesEnv({ az, headSha: fx.headSha, token: TOKEN });
    const live = () => state.threads.filter((t) => !t.isDeleted);
    const first = (t: FakeAzureThread) => t.comments[0]!.content;
    const job: AzureJob = {
      az,
      review: (args = []) => review(env, args, TOKEN),
      requests: () => az.requests,
      inlineLines: () => live().filter((t) => t.threadContext !== null && first(t).includes(TITLE)).map((t) => t.threadContext.rightFileStart.line).sort(),
      summaries: () => live().filter((t) => t.threadContext === null && first(t).startsWith('<!-- loom:summary -->')).map(first),
      failNext: (method, path, status, body) => {
        const { message, headers } = injected(status);
        az.failNext({ method, path, ...(body && { body }) }, { status, json: { message }, headers });
      },
    };
    return { job, close: () => az.close() };
  }, run);

const isFileThread = (b: any) => Boolean(b?.threadContext);

faultMatrix<AzureJob>({
  platform: 'azure',
  advice: /SYSTEM_ACCESSTOKEN/,
  withJob: withAzure,
  calls: {
    'get the PR': { role: 'read', method: 'GET', path: /\/pullRequests\/22$/ },
    'list iterations': { role: 'read', method: 'GET', path: /\/pullRequests\/22\/iterations$/ },
    'list iteration changes': { role: 'inline-read', method: 'GET', path: /\/iterations\/\d+\/changes$/ },
    'list threads': { role: 'list', method: 'GET', path: /\/pullRequests\/22\/threads$/ },
    'post a file thread': { role: 'inline', method: 'POST', path: /\/pullRequests\/22\/threads$/, body: isFileThread },
    'create the summary': { role: 'create-summary', method: 'POST', path: /\/pullRequests\/22\/threads$/, body: (b) => !isFileThread(b) },
    'update the summary': {
      role: 'update-summary',
      setup: (j) => void seedThread(j.az.state, { content: '<!-- loom:summary -->\nan earlier summary', status: 'closed', properties: { 'loom.summary': '1' } }),
      method: 'PATCH',
      path: /\/threads\/\d+\/comments\/\d+$/,
    },
  },

});

describe('azure volume', () => {
  it.concurrent('250 existing threads and 2,500 changed files (the file on the second changes page): a re-run posts nothing twice and edits the one summary', () =>
    withAzure(async ({ az, review, inlineLines, summaries }) => {
      for (let i = 0; i < 250; i++) seedThread(az.state, { content: `human comment ${i}`, filePath: i % 2 ? '/src/db.js' : undefined });
      az.state.changes = Array.from({ length: 2500 }, (_, i) => ({ path: i === 2400 ? '/src/db.js' : `/gen/f${i}.js`, changeTrackingId: i + 1, changeType: 'add' }));

      const first = await review(['--fail-on', 'blocker']);
      const second = await review(['--fail-on', 'blocker']);

      expect([first.code, second.code]).toEqual([1, 1]);
      expect(inlineLines()).toEqual([5]);
      const thread = az.state.threads.find((t) => t.comments[0]!.content.includes(TITLE))!;
      expect(thread.pullRequestThreadContext.changeTrackingId).toBe(2401);
      expect(summaries()).toHaveLength(1);
      expect(az.requests.filter((q) => q.method === 'POST')).toHaveLength(2);
      expect(az.requests.filter((q) => q.method === 'PATCH' && /\/comments\/\d+$/.test(q.path))).toHaveLength(1);
      // The changes are paged only while there is something to post inline.
      expect(az.requests.filter((q) => q.path.endsWith('/changes')).map((q) => q.query.$skip ?? '0')).toEqual(['0', '2000']);
      expect(second.stderr).toMatch(/0 new inline comment\(s\), 1 already there/);
    }),
  );
});
