import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { createGiteaPlatform, REVIEW_MARKER } from '../../src/platforms/gitea.ts';
import { PlatformHttpError } from '../../src/platforms/http.ts';
import { fingerprintMarker, summaryMarker } from '../../src/platforms/markers.ts';
import type { CiId, InlineComment } from '../../src/platforms/types.ts';
import { GT_HUMAN, hasGiteaSpecs, startFakeGitea, validateGiteaBody, type FakeGitea, type FakeGiteaOptions } from '../helpers/fake-gitea.ts';
import { makeFinding } from '../helpers/make-report.ts';

const TOKEN = 'gitea_fakeToken_abcdef123456';
const HEAD = 'd'.repeat(40);
const PULL = '/repos/acme/api/pulls/9';
const ISSUE_COMMENTS = '/repos/acme/api/issues/9/comments';

let gt: FakeGitea | undefined;
afterEach(async () => {
  await gt?.close();
  gt = undefined;
});

async function setup(opts: FakeGiteaOptions = {}) {
  gt = await startFakeGitea({ token: TOKEN, ...opts });
  const logLines: string[] = [];
  const log = createLogger({ level: 'verbose', write: (line) => logLines.push(line) });
  const waits: number[] = [];
  const ci: CiId = opts.flavor === 'forgejo' ? 'forgejo-actions' : 'gitea-actions';
  const platform = createGiteaPlatform({
    ci: { ci, platform: 'gitea', isPullRequest: true, prNumber: gt.index, repo: `${gt.owner}/${gt.repo}`, apiUrl: gt.url, token: TOKEN, tokenVar: 'GITEA_TOKEN' },
    token: TOKEN,
    log,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { gt, platform, waits, logLines };
}

function comment(path: string, line: number, opts: { side?: 'new' | 'old'; startLine?: number } = {}): InlineComment {
  const side = opts.side ?? 'new';
  const finding = makeFinding({ path, line: opts.startLine ?? line, side, title: `issue at ${path}:${line}`, ...(opts.startLine ? { endLine: line } : {}) });
  return {
    finding,
    anchor: { path, oldPath: path, side, line, ...(opts.startLine ? { startLine: opts.startLine } : {}) },
    body: `${finding.title}\n\n${fingerprintMarker(finding.fingerprint, 'html')}`,
  };
}

const summaryBody = (text: string) => `${summaryMarker('html')}\n## loom\n${text}`;
const calls = (fake: FakeGitea) => fake.requests.map((r) => `${r.method} ${r.path}${r.query.page ? `?page=${r.query.page}` : ''}`);
const reviewLines = (fake: FakeGitea) => fake.requests.filter((r) => r.method === 'POST').map((r) => r.body.comments.map((c: { new_position: number }) => c.new_position));

describe('Gitea / Forgejo platform', () => {
  it('declares its limits and styles', async () => {
    const { platform } = await setup();
    expect([platform.id, platform.maxBodyChars, platform.suggestionStyle, platform.markerStyle, platform.canResolve]).toEqual(['gitea', 60_000, 'diff', 'html', false]);
  });

  it('reads the pull request, merge base included, with `Authorization: token`', async () => {
    const { gt, platform } = await setup();
    expect(await platform.getPullRequest()).toEqual({
      title: 'Add retries',
      description: 'Retries failed uploads.',
      author: 'alice',
      url: 'https://gitea.example/acme/api/pulls/9',
      headSha: HEAD,
      baseSha: 'c'.repeat(40),
      mergeBase: 'e'.repeat(40),
    });
    expect(calls(gt)).toEqual([`GET ${PULL}`]);
    expect(gt.requests[0]!.headers.authorization).toBe(`token ${TOKEN}`);
  });

  it('first run: one review with every comment, then one summary comment', async () => {
    const { gt, platform } = await setup();
    expect(await platform.listExisting()).toEqual({ extraSummaries: [], inline: [] });
    const comments = [comment('src/a.ts', 18), comment('src/a.ts', 33, { startLine: 30 }), comment('src/old.ts', 7, { side: 'old' })];
    expect(await platform.postInline(comments, { headSha: HEAD })).toEqual({ rejected: [] });
    await platform.upsertSummary(summaryBody('3 findings'));

    expect(calls(gt)).toEqual([`GET ${ISSUE_COMMENTS}?page=1`, `GET ${PULL}/reviews?page=1`, `POST ${PULL}/reviews`, `POST ${ISSUE_COMMENTS}`]);
    expect(gt.requests[0]!.query).toEqual({ page: '1', limit: '50' });
    expect(gt.requests[2]!.body).toEqual({
      commit_id: HEAD,
      event: 'COMMENT',
      body: `loom: 3 comments\n\n${REVIEW_MARKER}`,
      comments: [
        { path: 'src/a.ts', body: comments[0]!.body, new_position: 18, old_position: 0 },
        // Gitea has no ranges: the comment goes on the range's last line.
        { path: 'src/a.ts', body: comments[1]!.body, new_position: 33, old_position: 0 },
        { path: 'src/old.ts', body: comments[2]!.body, new_position: 0, old_position: 7 },
      ],
    });
    expect(gt.requests[3]!.body).toEqual({ body: summaryBody('3 findings') });
    expect(gt.state.reviewComments.map((c) => [c.path, c.position, c.original_position])).toEqual([
      ['src/a.ts', 18, 0],
      ['src/a.ts', 33, 0],
      ['src/old.ts', 0, 7],
    ]);
  });

  it('Forgejo: a range is anchored on its first line with extra_lines_count', async () => {
    const { gt, platform } = await setup({ flavor: 'forgejo' });
    const comments = [comment('src/a.ts', 33, { startLine: 30 }), comment('src/old.ts', 12, { side: 'old', startLine: 10 }), comment('src/a.ts', 5)];
    await platform.postInline(comments, { headSha: HEAD });
    expect(gt.requests[0]!.body.comments).toEqual([
      { path: 'src/a.ts', body: comments[0]!.body, new_position: 30, old_position: 0, extra_lines_count: 3 },
      { path: 'src/old.ts', body: comments[1]!.body, new_position: 0, old_position: 10, extra_lines_count: 2 },
      { path: 'src/a.ts', body: comments[2]!.body, new_position: 5, old_position: 0 },
    ]);
    expect(gt.state.reviewComments.map((c) => c.extra_lines_count)).toEqual([3, 2, undefined]);
  });

  it('second run: reads only its own reviews’ comments, and edits the summary in place', async () => {
    const { gt, platform } = await setup();
    const first = [comment('src/a.ts', 18), comment('src/b.ts', 4)];
    await platform.postInline(first, { headSha: HEAD });
    await platform.upsertSummary(summaryBody('run 1'));
    const human = gt.addReview({ body: 'Looks good', user: GT_HUMAN });
    gt.addReviewComment({ pull_request_review_id: human.id, body: 'nit', user: GT_HUMAN });
    gt.addIssueComment('thanks!', GT_HUMAN);
    const loomReview = gt.state.reviews[0]!;
    gt.state.reviewComments[1]!.resolver = GT_HUMAN;
    const summaryId = String(gt.state.issueComments[0]!.id);
    gt.requests.length = 0;

    const existing = await platform.listExisting();
    expect(existing).toEqual({
      summary: { id: summaryId, body: summaryBody('run 1') },
      extraSummaries: [],
      inline: [
        { id: String(gt.state.reviewComments[0]!.id), fingerprint: first[0]!.finding.fingerprint, resolved: false },
        { id: String(gt.state.reviewComments[1]!.id), fingerprint: first[1]!.finding.fingerprint, resolved: true },
      ],
    });
    await platform.upsertSummary(summaryBody('run 2'), existing.summary);
    expect(calls(gt)).toEqual([
      `GET ${ISSUE_COMMENTS}?page=1`,
      `GET ${PULL}/reviews?page=1`,
      `GET ${PULL}/reviews/${loomReview.id}/comments`,
      `PATCH /repos/acme/api/issues/comments/${summaryId}`,
    ]);
    expect(gt.requests[3]!.body).toEqual({ body: summaryBody('run 2') });
    expect(gt.state.issueComments.map((c) => c.body)).toEqual([summaryBody('run 2'), 'thanks!']);
  });

  it('keeps the oldest summary, deletes later ones by the same author, tolerates one already gone', async () => {
    const { gt, platform } = await setup();
    const oldest = gt.addIssueComment(summaryBody('a'));
    gt.addIssueComment(summaryBody('forged'), GT_HUMAN);
    const dup = gt.addIssueComment(summaryBody('b'));
    const existing = await platform.listExisting();
    expect(existing.summary?.id).toBe(String(oldest.id));
    expect(existing.extraSummaries).toEqual([String(dup.id)]);
    gt.requests.length = 0;
    await platform.deleteSummaries([String(dup.id), '4242']);
    expect(calls(gt)).toEqual([`DELETE /repos/acme/api/issues/comments/${dup.id}`, 'DELETE /repos/acme/api/issues/comments/4242']);
    expect(gt.state.issueComments.map((c) => c.id)).toEqual([oldest.id, oldest.id + 1]);
  });

  it('recreates the summary when the one to edit is gone', async () => {
    const { gt, platform } = await setup();
    await platform.upsertSummary(summaryBody('x'), { id: '777' });
    expect(calls(gt)).toEqual(['PATCH /repos/acme/api/issues/comments/777', `POST ${ISSUE_COMMENTS}`]);
    expect(gt.state.issueComments).toHaveLength(1);
  });

  it('issue comments: stops when the server ignores paging (as Gitea does) and walks pages when it honours it', async () => {
    for (const paginateIssueComments of [false, true]) {
      const { gt, platform } = await setup({ paginateIssueComments });
      for (let i = 0; i < 110; i++) gt.addIssueComment(`chatter ${i}`, GT_HUMAN);
      const summary = gt.addIssueComment(summaryBody('late'));
      const existing = await platform.listExisting();
      expect(existing.summary?.id).toBe(String(summary.id));
      expect(calls(gt).filter((c) => c.includes('/issues/'))).toEqual(
        paginateIssueComments
          ? [`GET ${ISSUE_COMMENTS}?page=1`, `GET ${ISSUE_COMMENTS}?page=2`, `GET ${ISSUE_COMMENTS}?page=3`]
          : [`GET ${ISSUE_COMMENTS}?page=1`, `GET ${ISSUE_COMMENTS}?page=2`],
      );
      await gt.close();
    }
    gt = undefined;
  });

  it('reviews: pages past 50 and collects fingerprints from every loom review', async () => {
    const { gt, platform } = await setup();
    const posted = Array.from({ length: 55 }, (_, i) => comment('src/a.ts', i + 1));
    for (const c of posted) {
      const review = gt.addReview({ body: `loom: 1 comment\n\n${REVIEW_MARKER}` });
      gt.addReviewComment({ pull_request_review_id: review.id, body: c.body, position: c.anchor.line });
    }
    gt.addReview({ body: `loom: 0 comments\n\n${REVIEW_MARKER}` });
    const existing = await platform.listExisting();
    expect(existing.inline.map((c) => c.fingerprint)).toEqual(posted.map((c) => c.finding.fingerprint));
    const reviewPages = gt.requests.filter((r) => r.path === `${PULL}/reviews`).map((r) => r.query);
    expect(reviewPages).toEqual([
      { page: '1', limit: '50' },
      { page: '2', limit: '50' },
    ]);
    // One comment fetch per loom review with comments; the empty one is skipped.
    expect(gt.requests.filter((r) => r.path.endsWith('/comments') && r.path.includes('/reviews/'))).toHaveLength(55);
  });

  it('splits more than 30 comments into several reviews', async () => {
    const { gt, platform } = await setup();
    const comments = Array.from({ length: 61 }, (_, i) => comment('src/a.ts', i + 1));
    expect(await platform.postInline(comments, { headSha: HEAD })).toEqual({ rejected: [] });
    expect(reviewLines(gt).map((l) => l.length)).toEqual([30, 30, 1]);
    expect(gt.state.reviewComments).toHaveLength(61);
  });

  it('a 422 on one comment: bisects, posts the others and returns the bad one with the reason', async () => {
    const { gt, platform } = await setup({ diff: { 'src/a.ts': { new: [1, 2, 3, 5] } } });
    const comments = [comment('src/a.ts', 1), comment('src/a.ts', 4), comment('src/a.ts', 3), comment('src/a.ts', 5)];
    const result = await platform.postInline(comments, { headSha: HEAD });
    expect(result).toEqual({ rejected: [{ comment: comments[1], reason: 'line 4 of src/a.ts is not part of the diff' }] });
    expect(reviewLines(gt)).toEqual([[1, 4, 3, 5], [1, 4], [1], [4], [3, 5]]);
    expect(gt.state.reviewComments.map((c) => c.position)).toEqual([1, 3, 5]);
  });

  it('429 with retry-after: waits as told (recorded) and retries', async () => {
    const { gt, platform, waits } = await setup();
    gt.failNext('POST', /\/reviews$/, 429, { message: 'rate limited' }, { 'retry-after': '7' });
    expect(await platform.postInline([comment('src/a.ts', 1)], { headSha: HEAD })).toEqual({ rejected: [] });
    expect(waits).toEqual([7000]);
    expect(calls(gt)).toEqual([`POST ${PULL}/reviews`, `POST ${PULL}/reviews`]);
    expect(gt.state.reviews).toHaveLength(1);
  });

  it('403: PlatformHttpError 403 (platform-auth), token never in the message', async () => {
    const { gt, platform, waits } = await setup();
    gt.failNext('POST', /\/issues\/9\/comments$/, 403, { message: `token ${TOKEN} does not have at least one of required scope(s)` });
    const error = await platform.upsertSummary(summaryBody('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformHttpError);
    expect(error).toMatchObject({ status: 403, code: 'platform-auth', method: 'POST', endpoint: `/api/v1${ISSUE_COMMENTS}` });
    expect((error as Error).message).not.toContain(TOKEN);
    expect(waits).toEqual([]);
  });

  it.skipIf(!hasGiteaSpecs)('sends bodies that match the Gitea and Forgejo swagger definitions', async () => {
    for (const flavor of ['gitea', 'forgejo'] as const) {
      const { gt, platform } = await setup({ flavor });
      await platform.postInline([comment('src/a.ts', 18), comment('src/a.ts', 33, { startLine: 30 }), comment('src/old.ts', 7, { side: 'old' })], { headSha: HEAD });
      await platform.upsertSummary(summaryBody('one'));
      await platform.upsertSummary(summaryBody('two'), { id: String(gt.state.issueComments[0]!.id) });
      const withBodies = gt.requests.filter((r) => r.body !== undefined);
      expect(withBodies.map((r) => r.definition)).toEqual(['CreatePullReviewOptions', 'CreateIssueCommentOption', 'EditIssueCommentOption']);
      for (const r of withBodies) expect(validateGiteaBody(flavor, r.definition!, r.body), `${flavor} ${r.definition}`).toEqual([]);
      if (flavor === 'forgejo') {
        // extra_lines_count is Forgejo's: Gitea's definition has no such field, so it must go only to Forgejo.
        expect(withBodies[0]!.body.comments[1].extra_lines_count).toBe(3);
        expect(validateGiteaBody('gitea', 'CreatePullReviewOptions', withBodies[0]!.body)).not.toEqual([]);
      }
      await gt.close();
    }
    gt = undefined;
  });
});
