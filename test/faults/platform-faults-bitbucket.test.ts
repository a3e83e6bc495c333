/**
 * Bitbucket Cloud API faults through the built CLI in a Bitbucket Pipelines pull request step: each status on
 * each call the adapter makes (see platform-matrix.ts for the policy). The merge base is optional: whatever it
 * answers, the run goes on as if it had not been asked.
 */
import { describe, expect, it } from 'vitest';
import { bitbucketPipelinesEnv } from '../helpers/ci-env.ts';
import { seedComment, startFakeBitbucket, type FakeBitbucket } from '../helpers/fake-bitbucket.ts';
import { faultMatrix, injected, TITLE, withFixture, type Job } from './platform-matrix.ts';

const TOKEN = 'ATCTT3xFfGN0faultsBitbucketToken0123456789';
const SUMMARY = '[//]: # (loom:summary)';

interface BitbucketJob extends Job {
  bb: FakeBitbucket;
}

const withBitbucket = (run: (job: BitbucketJob) => Promise<void>) =>
  withFixture<BitbucketJob>(async ({ fx, run: review }) => {
    // Bitbucket reports 12-character hashes.
    const bb = await startFakeBitbucket({
      token: TOKEN,
      pullRequest: { id: 5, title: 'Add find', description: 'Adds a lookup by name.', author: 'Ada Lovelace', sourceHash: fx.headSha.slice(0, 12), destinationHash: fx.baseSha.slice(0, 12) },
      mergeBase: fx.baseSha,
    });
    // A `pull-requests:` pipeline step (as in test/e2e/bitbucket-pipelines.test.ts).
    const env = bitbucketPipelinesEnv({ bb, cloneDir: fx.repo.dir, headSha: fx.headSha, token: TOKEN });
    const live = () => bb.state.comments.filter((c) => !c.deleted);
    const job: BitbucketJob = {
      bb,
      review: (args = []) => review(env, args, TOKEN),
      requests: () => bb.requests,
      inlineLines: () => live().filter((c) => c.inline && c.content.raw.includes(TITLE)).map((c) => c.inline!.to!).sort(),
      summaries: () => live().filter((c) => !c.inline && c.content.raw.startsWith(SUMMARY)).map((c) => c.content.raw),
      failNext: (method, path, status, body) => {
        const { message, headers } = injected(status);
        bb.failNext({ method, path, ...(body && { body }) }, { status, json: { type: 'error', error: { message } }, headers });
      },
    };
    return { job, close: () => bb.close() };
  }, run);

const isInline = (b: any) => b?.inline !== undefined;

faultMatrix<BitbucketJob>({
  platform: 'bitbucket',
  advice: /LOOM_BITBUCKET_TOKEN/,
  withJob: withBitbucket,
  calls: {
    'get the PR': { role: 'read', method: 'GET', path: /\/pullrequests\/5$/ },
    'get the merge base': { role: 'optional', method: 'GET', path: /\/merge-base\/[^/]+$/ },
    'list comments': { role: 'list', method: 'GET', path: /\/pullrequests\/5\/comments$/ },
    'post an inline comment': { role: 'inline', method: 'POST', path: /\/pullrequests\/5\/comments$/, body: isInline },
    'create the summary': { role: 'create-summary', method: 'POST', path: /\/pullrequests\/5\/comments$/, body: (b) => !isInline(b) },
    'update the summary': {
      role: 'update-summary',
      setup: (j) => void seedComment(j.bb.state, { raw: `${SUMMARY}\nan earlier summary` }),
      method: 'PUT',
      path: /\/comments\/\d+$/,
    },
  },
});

describe('bitbucket: the merge base is optional', () => {
  it.concurrent('a merge-base call that fails is not a warning: the review is posted as usual', () =>
    withBitbucket(async ({ bb, review, failNext, inlineLines }) => {
      failNext('GET', /\/merge-base\//, 403);

      const r = await review(['--fail-on', 'blocker']);

      expect(r.code).toBe(1);
      expect(bb.requests.filter((q) => q.path.includes('/merge-base/'))).toHaveLength(1);
      expect(r.stderr).not.toMatch(/warning|merge.base/i);
      expect(inlineLines()).toEqual([5]);
    }),
  );
});

describe('bitbucket volume', () => {
  it.concurrent('250 existing comments: every page is read, a re-run posts nothing twice and edits the one summary', () =>
    withBitbucket(async ({ bb, review, inlineLines, summaries }) => {
      for (let i = 0; i < 250; i++) seedComment(bb.state, { raw: `human comment ${i}`, ...(i % 2 ? { inline: { path: 'src/db.js', to: 4 } } : {}) });

      const first = await review(['--fail-on', 'blocker']);
      const second = await review(['--fail-on', 'blocker']);

      expect([first.code, second.code]).toEqual([1, 1]);
      // loom's comments sit on the third page.
      expect(inlineLines()).toEqual([5]);
      expect(summaries()).toHaveLength(1);
      expect(bb.requests.filter((q) => q.method === 'POST')).toHaveLength(2);
      expect(bb.requests.filter((q) => q.method === 'PUT')).toHaveLength(1);
      const pages = bb.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/comments')).map((q) => q.query.page ?? '1');
      expect(pages).toEqual(['1', '2', '3', '1', '2', '3']);
      expect(second.stderr).toMatch(/0 new inline comment\(s\), 1 already there/);
    }),
  );
});
