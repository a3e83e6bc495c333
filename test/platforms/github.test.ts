import { afterEach, describe, expect, it } from 'vitest';
import { LoomError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { createGitHubPlatform } from '../../src/platforms/github.ts';
import { PlatformHttpError } from '../../src/platforms/http.ts';
import { fingerprintMarker, summaryMarker } from '../../src/platforms/markers.ts';
import type { InlineComment, Platform } from '../../src/platforms/types.ts';
import { HUMAN, hasGitHubSpec, startFakeGitHub, validateGitHubBody, type FakeGitHub, type FakeGitHubOptions } from '../helpers/fake-github.ts';
import { makeFinding } from '../helpers/make-report.ts';

const TOKEN = 'ghs_fakeTokenValue1234567890';
const HEAD = 'b'.repeat(40);
const REVIEWS = '/repos/acme/api/pulls/42/reviews';
const ISSUE_COMMENTS = '/repos/acme/api/issues/42/comments';

let gh: FakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

async function setup(opts: FakeGitHubOptions = {}, deps: { prNumber?: number | undefined } = {}) {
  gh = await startFakeGitHub({ token: TOKEN, ...opts });
  const logLines: string[] = [];
  const log = createLogger({ level: 'verbose', write: (line) => logLines.push(line) });
  const waits: number[] = [];
  const platform = createGitHubPlatform({
    ci: { ci: 'github-actions', platform: 'github', isPullRequest: true, prNumber: 'prNumber' in deps ? deps.prNumber : gh.number, repo: `${gh.owner}/${gh.repo}`, apiUrl: gh.url, token: TOKEN, tokenVar: 'GITHUB_TOKEN' },
    token: TOKEN,
    log,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { gh, platform, waits, logLines };
}

function comment(path: string, line: number, opts: { side?: 'new' | 'old'; startLine?: number; title?: string } = {}): InlineComment {
  const side = opts.side ?? 'new';
  const finding = makeFinding({ path, line, side, title: opts.title ?? `issue at ${path}:${line}`, ...(opts.startLine ? { line: opts.startLine, endLine: line } : {}) });
  return {
    finding,
    anchor: { path, oldPath: path, side, line, ...(opts.startLine ? { startLine: opts.startLine } : {}) },
    body: `${finding.title}\n\n${fingerprintMarker(finding.fingerprint, 'html')}`,
  };
}

const summaryBody = (text: string) => `${summaryMarker('html')}\n## loom\n${text}`;
const calls = (fake: FakeGitHub) => fake.requests.map((r) => `${r.method} ${r.path}${r.query.page ? `?page=${r.query.page}` : ''}`);

/** Every body the adapter sent must match the request body schema GitHub publishes for that operation. */
function expectBodiesMatchSpec(fake: FakeGitHub): number {
  let checked = 0;
  for (const r of fake.requests) {
    if (r.body === undefined || !r.operation) continue;
    expect(validateGitHubBody(r.method, r.operation, r.body), `${r.method} ${r.operation}`).toEqual([]);
    checked++;
  }
  return checked;
}

describe('GitHub platform', () => {
  it('declares its limits and styles', async () => {
    const { platform } = await setup();
    expect({ id: platform.id, max: platform.maxBodyChars, s: platform.suggestionStyle, m: platform.markerStyle, r: platform.canResolve }).toEqual({
      id: 'github',
      max: 60_000,
      s: 'github',
      m: 'html',
      r: false,
    });
  });

  it('reads the pull request with the token and the API version header', async () => {
    const { gh, platform } = await setup();
    expect(await platform.getPullRequest()).toEqual({
      title: 'Add retries',
      description: 'Retries failed uploads.',
      author: 'octocat',
      url: 'https://github.com/acme/api/pull/42',
      headSha: HEAD,
      baseSha: 'a'.repeat(40),
    });
    expect(gh.requests).toHaveLength(1);
    expect(gh.requests[0]!.headers.authorization).toBe(`token ${TOKEN}`);
    expect(gh.requests[0]!.headers['x-github-api-version']).toBe('2022-11-28');
    expect(gh.requests[0]!.headers['user-agent']).toMatch(/^loom\//);
  });

  it('first run: one review with every comment, then one summary comment', async () => {
    const { gh, platform } = await setup();
    expect(await platform.listExisting()).toEqual({ extraSummaries: [], inline: [] });
    const comments = [comment('src/a.ts', 18), comment('src/a.ts', 33, { startLine: 30 }), comment('src/old.ts', 7, { side: 'old' })];
    expect(await platform.postInline(comments, { headSha: HEAD })).toEqual({ rejected: [] });
    await platform.upsertSummary(summaryBody('3 findings'));

    expect(calls(gh)).toEqual([`GET ${ISSUE_COMMENTS}?page=1`, 'GET /repos/acme/api/pulls/42/comments?page=1', `POST ${REVIEWS}`, `POST ${ISSUE_COMMENTS}`]);
    expect(gh.requests[0]!.query).toEqual({ per_page: '100', page: '1' });
    expect(gh.requests[2]!.body).toEqual({
      commit_id: HEAD,
      event: 'COMMENT',
      body: 'loom: 3 comments',
      comments: [
        { path: 'src/a.ts', body: comments[0]!.body, line: 18, side: 'RIGHT' },
        { path: 'src/a.ts', body: comments[1]!.body, line: 33, side: 'RIGHT', start_line: 30, start_side: 'RIGHT' },
        { path: 'src/old.ts', body: comments[2]!.body, line: 7, side: 'LEFT' },
      ],
    });
    expect(gh.requests[3]!.body).toEqual({ body: summaryBody('3 findings') });
    expect(gh.state.reviews.map((r) => r.state)).toEqual(['COMMENTED']);
    expect(gh.state.reviewComments).toHaveLength(3);
    expect(gh.state.issueComments.map((c) => c.body)).toEqual([summaryBody('3 findings')]);
  });

  it('second run: finds its summary and fingerprints, and edits the summary in place', async () => {
    const { gh, platform } = await setup();
    const first = [comment('src/a.ts', 18), comment('src/b.ts', 4)];
    await platform.postInline(first, { headSha: HEAD });
    await platform.upsertSummary(summaryBody('run 1'));
    gh.addIssueComment('LGTM, thanks', HUMAN);
    gh.addReviewComment({ body: 'I disagree with this', user: HUMAN });
    const summaryId = String(gh.state.issueComments[0]!.id);
    gh.requests.length = 0;

    const existing = await platform.listExisting();
    expect(existing).toEqual({
      summary: { id: summaryId, body: summaryBody('run 1') },
      extraSummaries: [],
      inline: gh.state.reviewComments.slice(0, 2).map((c, i) => ({ id: String(c.id), fingerprint: first[i]!.finding.fingerprint, resolved: false })),
    });
    await platform.upsertSummary(summaryBody('run 2'), existing.summary);

    expect(calls(gh)).toEqual([`GET ${ISSUE_COMMENTS}?page=1`, 'GET /repos/acme/api/pulls/42/comments?page=1', `PATCH /repos/acme/api/issues/comments/${summaryId}`]);
    expect(gh.requests[2]!.body).toEqual({ body: summaryBody('run 2') });
    expect(gh.state.issueComments.map((c) => c.body)).toEqual([summaryBody('run 2'), 'LGTM, thanks']);
  });

  it('keeps the oldest summary, lists later ones by the same author for deletion and deletes them', async () => {
    const { gh, platform } = await setup();
    const oldest = gh.addIssueComment(summaryBody('a'));
    gh.addIssueComment(`quoting: ${summaryBody('a')}`, HUMAN);
    const dup1 = gh.addIssueComment(summaryBody('b'));
    const dup2 = gh.addIssueComment(summaryBody('c'));
    const existing = await platform.listExisting();
    expect(existing.summary).toEqual({ id: String(oldest.id), body: summaryBody('a') });
    expect(existing.extraSummaries).toEqual([String(dup1.id), String(dup2.id)]);

    gh.requests.length = 0;
    await platform.deleteSummaries([...existing.extraSummaries, '999999']);
    expect(calls(gh)).toEqual([
      `DELETE /repos/acme/api/issues/comments/${dup1.id}`,
      `DELETE /repos/acme/api/issues/comments/${dup2.id}`,
      'DELETE /repos/acme/api/issues/comments/999999',
    ]);
    expect(gh.state.issueComments.map((c) => c.id)).toEqual([oldest.id, oldest.id + 1]);
  });

  it('recreates the summary when the one it was asked to edit is gone', async () => {
    const { gh, platform } = await setup();
    await platform.upsertSummary(summaryBody('fresh'), { id: '123456' });
    expect(calls(gh)).toEqual(['PATCH /repos/acme/api/issues/comments/123456', `POST ${ISSUE_COMMENTS}`]);
    expect(gh.state.issueComments.map((c) => c.body)).toEqual([summaryBody('fresh')]);
  });

  it('follows Link headers over more than 100 existing comments', async () => {
    const { gh, platform } = await setup();
    for (let i = 0; i < 230; i++) gh.addIssueComment(`chatter ${i}`, HUMAN);
    const summary = gh.addIssueComment(summaryBody('late'));
    const posted = Array.from({ length: 120 }, (_, i) => comment('src/a.ts', i + 1));
    for (const c of posted) gh.addReviewComment({ body: c.body, line: c.anchor.line });
    const existing = await platform.listExisting();

    expect(calls(gh)).toEqual([
      `GET ${ISSUE_COMMENTS}?page=1`,
      `GET ${ISSUE_COMMENTS}?page=2`,
      `GET ${ISSUE_COMMENTS}?page=3`,
      'GET /repos/acme/api/pulls/42/comments?page=1',
      'GET /repos/acme/api/pulls/42/comments?page=2',
    ]);
    expect(gh.requests.every((r) => r.query.per_page === '100')).toBe(true);
    expect(existing.summary?.id).toBe(String(summary.id));
    expect(existing.inline.map((c) => c.fingerprint)).toEqual(posted.map((c) => c.finding.fingerprint));
  });

  it('splits more than 30 comments into several reviews', async () => {
    const { gh, platform } = await setup();
    const comments = Array.from({ length: 65 }, (_, i) => comment('src/a.ts', i + 1));
    expect(await platform.postInline(comments, { headSha: HEAD })).toEqual({ rejected: [] });
    expect(gh.requests.map((r) => r.body.comments.length)).toEqual([30, 30, 5]);
    expect(gh.requests.map((r) => r.body.body)).toEqual(['loom: 30 comments', 'loom: 30 comments', 'loom: 5 comments']);
    expect(gh.state.reviewComments.map((c) => c.line)).toEqual(comments.map((c) => c.anchor.line));
  });

  it('a 422 on one comment: bisects, posts the others and returns the bad one with GitHub’s reason', async () => {
    const { gh, platform } = await setup({ diff: { 'src/a.ts': { RIGHT: [1, 2, 3, 5] } } });
    const comments = [comment('src/a.ts', 1), comment('src/a.ts', 4), comment('src/a.ts', 3), comment('src/a.ts', 5)];
    const result = await platform.postInline(comments, { headSha: HEAD });

    expect(result).toEqual({ rejected: [{ comment: comments[1], reason: 'Unprocessable Entity: Line could not be resolved' }] });
    expect(gh.requests.map((r) => r.body.comments.map((c: { line: number }) => c.line))).toEqual([[1, 4, 3, 5], [1, 4], [1], [4], [3, 5]]);
    expect(gh.requests.map((r) => r.body.body)).toEqual(['loom: 4 comments', 'loom: 2 comments', 'loom: 1 comment', 'loom: 1 comment', 'loom: 2 comments']);
    expect(gh.state.reviewComments.map((c) => c.line)).toEqual([1, 3, 5]);
  });

  it('every comment refused: all come back rejected, nothing posted', async () => {
    const { gh, platform } = await setup({ diff: {} });
    const comments = [comment('src/gone.ts', 1), comment('src/gone.ts', 2)];
    const result = await platform.postInline(comments, { headSha: HEAD });
    expect(result.rejected.map((r) => [r.comment.anchor.line, r.reason])).toEqual([
      [1, 'Unprocessable Entity: Path could not be resolved'],
      [2, 'Unprocessable Entity: Path could not be resolved'],
    ]);
    expect(gh.requests).toHaveLength(3);
    expect(gh.state.reviews).toEqual([]);
  });

  it('a pending review left by a crashed run: deletes it and retries once', async () => {
    const { gh, platform } = await setup();
    const pending = gh.addReview({ state: 'PENDING', body: '' });
    gh.addReviewComment({ pull_request_review_id: pending.id, body: 'draft' });
    gh.addReview({ state: 'COMMENTED', body: 'human review', user: HUMAN });
    const comments = [comment('src/a.ts', 1)];
    expect(await platform.postInline(comments, { headSha: HEAD })).toEqual({ rejected: [] });

    expect(calls(gh)).toEqual([`POST ${REVIEWS}`, `GET ${REVIEWS}?page=1`, `DELETE ${REVIEWS}/${pending.id}`, `POST ${REVIEWS}`]);
    expect(gh.state.reviews.map((r) => [r.user.login, r.state])).toEqual([
      ['octocat', 'COMMENTED'],
      ['github-actions[bot]', 'COMMENTED'],
    ]);
    expect(gh.state.reviewComments.map((c) => c.body)).toEqual([comments[0]!.body]);
  });

  it('a pending-review conflict that persists after the cleanup is an error, not a rejection', async () => {
    const { gh, platform } = await setup();
    const body = { message: 'Unprocessable Entity', errors: ['User can only have one pending review per pull request'] };
    gh.failNext('POST', /\/reviews$/, 422, body);
    gh.failNext('POST', /\/reviews$/, 422, body);
    const error = await platform.postInline([comment('src/a.ts', 1)], { headSha: HEAD }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformHttpError);
    expect((error as PlatformHttpError).status).toBe(422);
    expect(calls(gh)).toEqual([`POST ${REVIEWS}`, `GET ${REVIEWS}?page=1`, `POST ${REVIEWS}`]);
  });

  it('429 with retry-after: waits as told (recorded, never slept) and retries', async () => {
    const { gh, platform, waits } = await setup();
    gh.failNext('POST', /\/reviews$/, 429, { message: 'API rate limit exceeded' }, { 'retry-after': '7' });
    expect(await platform.postInline([comment('src/a.ts', 1)], { headSha: HEAD })).toEqual({ rejected: [] });
    expect(waits).toEqual([7000]);
    expect(calls(gh)).toEqual([`POST ${REVIEWS}`, `POST ${REVIEWS}`]);
    expect(gh.state.reviews).toHaveLength(1);
  });

  it('a secondary rate limit (403 saying so, no headers) waits a minute and retries', async () => {
    const { gh, platform, waits } = await setup();
    gh.failNext('POST', /\/comments$/, 403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' });
    await platform.upsertSummary(summaryBody('x'));
    expect(waits).toEqual([60_000]);
    expect(gh.state.issueComments).toHaveLength(1);
  });

  it('a rate limit that resets in more than a minute is not waited for', async () => {
    const { gh, platform, waits } = await setup();
    const reset = String(Math.floor(Date.now() / 1000) + 3600);
    gh.failNext('GET', /\/pulls\/42$/, 403, { message: 'API rate limit exceeded for installation.' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
    const error = await platform.getPullRequest().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformHttpError);
    expect((error as PlatformHttpError).status).toBe(403);
    expect(waits).toEqual([]);
  });

  it('403 without rate-limit signs: PlatformHttpError 403 (platform-auth), token never in the message', async () => {
    const { gh, platform, waits, logLines } = await setup();
    gh.failNext('POST', /\/issues\/42\/comments$/, 403, { message: `Resource not accessible by integration (token ${TOKEN})`, documentation_url: 'https://docs.github.com/rest' });
    const error = await platform.upsertSummary(summaryBody('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformHttpError);
    expect(error).toMatchObject({ status: 403, code: 'platform-auth', method: 'POST', endpoint: ISSUE_COMMENTS });
    expect((error as Error).message).toBe(`POST ${ISSUE_COMMENTS}: 403 Resource not accessible by integration (token ghs_****)`);
    expect(waits).toEqual([]);
    expect(logLines.join('')).not.toContain(TOKEN);
  });

  it('retries a 5xx on GET with backoff, but never a POST that may have gone through', async () => {
    const { gh, platform, waits } = await setup();
    gh.failNext('GET', /\/pulls\/42$/, 502, { message: 'Bad gateway' });
    gh.failNext('GET', /\/pulls\/42$/, 503, { message: 'Unavailable' });
    expect((await platform.getPullRequest()).headSha).toBe(HEAD);
    expect(waits).toEqual([1000, 2000]);

    gh.failNext('POST', /\/reviews$/, 502, { message: 'Bad gateway' });
    const error = await platform.postInline([comment('src/a.ts', 1)], { headSha: HEAD }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'platform-http' });
    expect(gh.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('an unreachable API is a platform-http LoomError naming the endpoint', async () => {
    const { gh: fake, platform } = await setup();
    await fake.close();
    gh = undefined;
    const error = await platform.upsertSummary('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoomError);
    expect((error as LoomError).code).toBe('platform-http');
    expect((error as Error).message).toMatch(/^POST \/repos\/acme\/api\/issues\/42\/comments: .*is the GitHub API reachable\?\)$/);
  });

  it('resolve is a no-op', async () => {
    const { gh, platform } = await setup();
    await platform.resolve([{ id: '1', fingerprint: 'abcdef0123456789', resolved: false }]);
    expect(gh.requests).toEqual([]);
  });

  it('without a PR number it says so instead of calling the API', async () => {
    const { gh, platform } = await setup({}, { prNumber: undefined });
    await expect(platform.listExisting()).rejects.toThrow('No pull request number');
    expect(gh.requests).toEqual([]);
  });

  it.skipIf(!hasGitHubSpec)('sends bodies that match GitHub’s OpenAPI description', async () => {
    const { gh, platform } = await setup();
    await platform.postInline([comment('src/a.ts', 18), comment('src/a.ts', 33, { startLine: 30 }), comment('src/old.ts', 7, { side: 'old' })], { headSha: HEAD });
    await platform.upsertSummary(summaryBody('one'));
    await platform.upsertSummary(summaryBody('two'), { id: String(gh.state.issueComments[0]!.id) });
    expect(gh.requests.map((r) => r.operation)).toEqual([
      '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      '/repos/{owner}/{repo}/issues/comments/{comment_id}',
    ]);
    expect(expectBodiesMatchSpec(gh)).toBe(3);
    // The check has teeth: a misspelt field or a wrong type fails.
    expect(validateGitHubBody('POST', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', { event: 'COMMENT', comments: [{ path: 'a', body: 'b', lines: 3 }] })).not.toEqual([]);
    expect(validateGitHubBody('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', { body: 1 })).not.toEqual([]);
  });
});
