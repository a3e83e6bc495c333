/**
 * Gitea API faults through the built CLI in a Gitea Actions pull_request job: each status on each call the adapter
 * makes (see platform-matrix.ts for the policy). loom reads the comments of its own earlier reviews only, so that
 * call is made when an earlier loom review exists.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { giteaActionsEnv } from '../helpers/ci-env.ts';
import { GT_HUMAN, startFakeGitea, type FakeGitea } from '../helpers/fake-gitea.ts';
import { faultMatrix, injected, TITLE, withFixture, type Job } from './platform-matrix.ts';

const TOKEN = 'faults0gitea0token0123456789abcdef012345';
const SUMMARY = '<!-- loom:summary -->';
const REVIEW_MARKER = '<!-- loom:review -->';

interface GiteaJob extends Job {
  gt: FakeGitea;
}

const withGitea = (run: (job: GiteaJob) => Promise<void>, opts: { paginateIssueComments?: boolean } = {}) =>
  withFixture<GiteaJob>(async ({ fx, run: review }) => {
    const gt = await startFakeGitea({ token: TOKEN, headSha: fx.headSha, diff: { 'src/db.js': { new: [1, 2, 3, 4, 5], old: [1, 2, 3] } }, ...opts });
    gt.state.pullRequest.base.sha = fx.baseSha;
    gt.state.pullRequest.merge_base = fx.baseSha;
    // A `pull_request` job: the act-based runner writes the event file (as in test/e2e/gitea-actions.test.ts).
    const work = mkdtempSync(join(tmpdir(), 'loom-faults-gitea-'));
    const env = giteaActionsEnv({ gt, flavor: 'gitea', headSha: fx.headSha, baseSha: fx.baseSha, token: TOKEN, work });
    const job: GiteaJob = {
      gt,
      review: (args = []) => review(env, args, TOKEN),
      requests: () => gt.requests,
      inlineLines: () => gt.state.reviewComments.filter((c) => c.body.includes(TITLE)).map((c) => c.position).sort(),
      summaries: () => gt.state.issueComments.filter((c) => c.user.login === gt.bot.login && c.body.startsWith(SUMMARY)).map((c) => c.body),
      failNext: (method, path, status) => {
        const { message, headers } = injected(status);
        gt.failNext(method, path, status, { message, url: 'https://gitea.example/api/swagger' }, headers);
      },
    };
    return {
      job,
      close: async () => {
        await gt.close();
        rmSync(work, { recursive: true, force: true });
      },
    };
  }, run);

/** An earlier run's review with one comment whose finding is gone, so the re-run reads that review's comments. */
function seedEarlierReview(gt: FakeGitea): void {
  const review = gt.addReview({ body: `loom: 1 comment\n\n${REVIEW_MARKER}` });
  gt.addReviewComment({ pull_request_review_id: review.id, path: 'src/db.js', position: 4, body: 'An older finding.\n\n<!-- loom:fp=0123456789abcdef -->' });
}

faultMatrix<GiteaJob>({
  platform: 'gitea',
  advice: /pull-requests: write/,
  withJob: withGitea,
  calls: {
    'get the PR': { role: 'read', method: 'GET', path: /\/pulls\/9$/ },
    'list issue comments': { role: 'list', method: 'GET', path: /\/issues\/9\/comments$/ },
    'list reviews': { role: 'list', method: 'GET', path: /\/pulls\/9\/reviews$/ },
    'list a review\'s comments': { role: 'list', method: 'GET', path: /\/pulls\/9\/reviews\/\d+\/comments$/, setup: (j) => seedEarlierReview(j.gt) },
    'create the review': { role: 'inline', method: 'POST', path: /\/pulls\/9\/reviews$/ },
    'create the summary': { role: 'create-summary', method: 'POST', path: /\/issues\/9\/comments$/ },
    'update the summary': { role: 'update-summary', method: 'PATCH', path: /\/issues\/comments\/\d+$/, setup: (j) => void j.gt.addIssueComment(`${SUMMARY}\nan earlier summary`) },
  },
});

describe('gitea volume', () => {
  // Gitea's issue-comments list ignores page/limit and returns everything; paginateIssueComments pages it anyway.
  it.concurrent.each([false, true])('250 comments and 120 reviews by people (issue comments paged: %s): a re-run posts nothing twice and edits the one summary', (paginateIssueComments) =>
    withGitea(
      async ({ gt, review, inlineLines, summaries }) => {
        for (let i = 0; i < 250; i++) gt.addIssueComment(`human comment ${i}`, GT_HUMAN);
        for (let i = 0; i < 120; i++) gt.addReview({ body: `looks fine ${i}`, user: GT_HUMAN });

        const first = await review(['--fail-on', 'blocker']);
        const second = await review(['--fail-on', 'blocker']);

        expect([first.code, second.code]).toEqual([1, 1]);
        // loom's review is the 121st: on the third page of 50.
        expect(gt.state.reviews).toHaveLength(121);
        expect(inlineLines()).toEqual([5]);
        expect(summaries()).toHaveLength(1);
        expect(gt.requests.filter((q) => q.method === 'POST')).toHaveLength(2);
        expect(gt.requests.filter((q) => q.method === 'PATCH')).toHaveLength(1);
        const reviewPages = gt.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/reviews')).map((q) => q.query.page);
        expect(reviewPages).toEqual(['1', '2', '3', '1', '2', '3']);
        expect(second.stderr).toMatch(/0 new inline comment\(s\), 1 already there/);
      },
      { paginateIssueComments },
    ),
  );
});
