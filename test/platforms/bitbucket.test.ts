import { afterEach, describe, expect, it } from 'vitest';
import { LoomError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { BITBUCKET_AUTH_HINT, createBitbucketPlatform } from '../../src/platforms/bitbucket.ts';
import { PlatformHttpError } from '../../src/platforms/http.ts';
import { fingerprintMarker, summaryMarker } from '../../src/platforms/markers.ts';
import type { InlineComment } from '../../src/platforms/types.ts';
import { hasBitbucketSpec, seedComment, startFakeBitbucket, validateBitbucketBody, type FakeBitbucket, type FakeBitbucketState } from '../helpers/fake-bitbucket.ts';
import { makeFinding } from '../helpers/make-report.ts';

const TOKEN = 'bitbucket-access-token';
const PR = '/2.0/repositories/acme/api/pullrequests/5';
const FULL_HEAD = `b1b2b3b4b5b6${'0'.repeat(28)}`;

let fake: FakeBitbucket | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(overrides: Partial<FakeBitbucketState> = {}, ci: { headSha?: string; apiUrl?: string } = {}) {
  fake = await startFakeBitbucket({ token: TOKEN, ...overrides });
  const waits: number[] = [];
  const logLines: string[] = [];
  const platform = createBitbucketPlatform({
    ci: {
      ci: 'bitbucket-pipelines',
      platform: 'bitbucket',
      isPullRequest: true,
      prNumber: 5,
      repo: 'acme/api',
      apiUrl: ci.apiUrl ?? fake.url,
      token: TOKEN,
      tokenVar: 'LOOM_BITBUCKET_TOKEN',
      ...(ci.headSha && { headSha: ci.headSha }),
    },
    token: TOKEN,
    log: createLogger({ level: 'verbose', write: (line) => logLines.push(line) }),
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { fake, platform, waits, logLines };
}

function comment(path: string, line: number, opts: { side?: 'new' | 'old'; startLine?: number } = {}): InlineComment {
  const side = opts.side ?? 'new';
  const finding = makeFinding({ path, line: opts.startLine ?? line, ...(opts.startLine ? { endLine: line } : {}), side, title: `issue at ${path}:${line}` });
  return {
    finding,
    anchor: { path, oldPath: path, side, line, ...(opts.startLine ? { startLine: opts.startLine } : {}) },
    body: `${finding.title}\n\n${fingerprintMarker(finding.fingerprint, 'link-ref')}`,
  };
}

const calls = (f: FakeBitbucket) => f.requests.map((r) => `${r.method} ${r.path.replace(PR, '…')}${r.query.page ? ` page=${r.query.page}` : ''}`);
const summaryBody = (text: string) => `${summaryMarker('link-ref')}\n## loom\n${text}`;

describe('Bitbucket Cloud platform', () => {
  it('declares its limits and styles', async () => {
    const { platform } = await setup();
    expect([platform.id, platform.maxBodyChars, platform.suggestionStyle, platform.markerStyle, platform.canResolve]).toEqual(['bitbucket', 32_000, 'diff', 'link-ref', true]);
  });

  it('refuses a repository that is not workspace/slug', () => {
    const log = createLogger({ level: 'quiet', write: () => {} });
    const make = () => createBitbucketPlatform({ ci: { ci: 'bitbucket-pipelines', platform: 'bitbucket', isPullRequest: true, prNumber: 1, repo: 'api', apiUrl: '' }, token: 't', log });
    expect(make).toThrow(LoomError);
    expect(make).toThrow('Bitbucket needs the repository as workspace/slug (got "api") and BITBUCKET_PR_ID (run loom in a pull-requests pipeline)');
  });

  it('reads the pull request, expands the short head hash from the CI and asks for the merge base', async () => {
    const { fake, platform } = await setup({}, { headSha: FULL_HEAD });
    expect(await platform.getPullRequest()).toEqual({
      title: 'Add retries',
      description: 'Retries the flaky call.',
      author: 'Ada Lovelace',
      url: 'https://bitbucket.org/acme/api/pull-requests/5',
      headSha: FULL_HEAD,
      baseSha: 'd1d2d3d4d5d6',
      mergeBase: 'c'.repeat(40),
    });
    expect(calls(fake)).toEqual(['GET …', 'GET /2.0/repositories/acme/api/merge-base/d1d2d3d4d5d6..b1b2b3b4b5b6']);
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it('keeps the API hash when the CI head is another commit, and goes on without a merge base', async () => {
    const { platform, logLines } = await setup({ mergeBase: undefined }, { headSha: 'e'.repeat(40) });
    const info = await platform.getPullRequest();
    expect([info.headSha, info.mergeBase]).toEqual(['b1b2b3b4b5b6', undefined]);
    expect(logLines.filter((l) => l.includes('merge base'))).toHaveLength(1);
  });

  it('posts one comment per finding: to for the new side, from for the old side, start_ for ranges', async () => {
    const { fake, platform } = await setup();
    const single = comment('src/a.ts', 18);
    const range = comment('src/a.ts', 33, { startLine: 30 });
    const old = comment('src/old.ts', 12, { side: 'old' });
    const oldRange = comment('src/old.ts', 9, { side: 'old', startLine: 7 });
    expect(await platform.postInline([single, range, old, oldRange], { headSha: FULL_HEAD })).toEqual({ rejected: [] });
    expect(fake.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['POST', `${PR}/comments`, { content: { raw: single.body }, inline: { path: 'src/a.ts', to: 18 } }],
      ['POST', `${PR}/comments`, { content: { raw: range.body }, inline: { path: 'src/a.ts', start_to: 30, to: 33 } }],
      ['POST', `${PR}/comments`, { content: { raw: old.body }, inline: { path: 'src/old.ts', from: 12 } }],
      ['POST', `${PR}/comments`, { content: { raw: oldRange.body }, inline: { path: 'src/old.ts', start_from: 7, from: 9 } }],
    ]);
    expect(fake.state.comments.map((c) => c.id)).toEqual([1000, 1001, 1002, 1003]);
  });

  it.skipIf(!hasBitbucketSpec)('sends bodies that match pullrequest_comment in the Bitbucket spec', async () => {
    const { fake, platform } = await setup();
    await platform.postInline([comment('src/a.ts', 4), comment('src/a.ts', 9, { startLine: 5 }), comment('src/a.ts', 2, { side: 'old' })], { headSha: 'h' });
    await platform.upsertSummary(summaryBody('one'));
    await platform.upsertSummary(summaryBody('two'), { id: '1003' });
    const bodies = fake.requests.filter((r) => r.body !== undefined);
    expect(bodies.map((r) => r.method)).toEqual(['POST', 'POST', 'POST', 'POST', 'PUT']);
    for (const r of bodies) expect(validateBitbucketBody('pullrequest_comment', r.body), `${r.method} ${r.path}`).toEqual([]);
    // The validator is strict: a misspelt inline field or a line below 1 fails.
    expect(validateBitbucketBody('pullrequest_comment', { content: { raw: 'x' }, inline: { path: 'a', line: 3 } })).toHaveLength(1);
    expect(validateBitbucketBody('pullrequest_comment', { content: { raw: 'x' }, inline: { path: 'a', to: 0 } })).toHaveLength(1);
  });

  it('returns a refused comment with its reason and still posts the others', async () => {
    const { fake, platform } = await setup();
    fake.failNext({ method: 'POST', body: (b) => b.inline?.path === 'src/b.ts' }, { status: 400, json: { type: 'error', error: { message: 'Invalid inline comment: line 900 is not in the diff' } } });
    const a = comment('src/a.ts', 1);
    const b = comment('src/b.ts', 900);
    const c = comment('src/c.ts', 2);
    expect(await platform.postInline([a, b, c], { headSha: 'h' })).toEqual({
      rejected: [{ comment: b, reason: '400 Invalid inline comment: line 900 is not in the diff' }],
    });
    expect(fake.state.comments.map((x) => x.content.raw)).toEqual([a.body, c.body]);
  });

  it('lists earlier comments across next links: the oldest summary, fingerprints, resolutions; not replies or deleted ones', async () => {
    const { fake, platform } = await setup();
    const s = fake.state;
    for (let i = 0; i < 120; i++) seedComment(s, { raw: `chatter ${i}` }); // 1000..1119
    seedComment(s, { raw: summaryBody('old') }); // 1120
    seedComment(s, { raw: `x ${fingerprintMarker('aaaa1111', 'link-ref')}`, inline: { path: 'src/a.ts', to: 3 } }); // 1121
    seedComment(s, { raw: `y ${fingerprintMarker('bbbb2222', 'link-ref')}`, inline: { path: 'src/a.ts', from: 4 }, resolved: true }); // 1122
    seedComment(s, { raw: `quoting: ${fingerprintMarker('cccc3333', 'link-ref')}`, parent: 1121 }); // 1123
    seedComment(s, { raw: `z ${fingerprintMarker('dddd4444', 'link-ref')}`, inline: { path: 'src/a.ts', to: 5 }, deleted: true }); // 1124
    seedComment(s, { raw: summaryBody('deleted'), deleted: true }); // 1125
    for (let i = 0; i < 80; i++) seedComment(s, { raw: `more chatter ${i}` }); // 1126..1205
    seedComment(s, { raw: summaryBody('newer') }); // 1206
    seedComment(s, { raw: summaryBody('inline, so not a summary'), inline: { path: 'src/a.ts', to: 1 } }); // 1207

    expect(await platform.listExisting()).toEqual({
      summary: { id: '1120', body: summaryBody('old') },
      extraSummaries: ['1206'],
      inline: [
        { id: '1121', fingerprint: 'aaaa1111', resolved: false },
        { id: '1122', fingerprint: 'bbbb2222', resolved: true },
      ],
    });
    expect(calls(fake)).toEqual(['GET …/comments', 'GET …/comments page=2', 'GET …/comments page=3']);
    expect(fake.requests[0]!.query).toEqual({ pagelen: '100', q: 'deleted=false' });
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual(Array(3).fill(`Bearer ${TOKEN}`));
  });

  it('refuses to send the token to a next link on another host', async () => {
    const { fake, platform } = await setup({}, {});
    fake.failNext({ method: 'GET' }, { status: 200, json: { values: [], next: 'https://evil.example/2.0/steal?page=2' } });
    await expect(platform.listExisting()).rejects.toThrow(`Bitbucket returned a next-page link outside ${new URL(fake.url).origin}: https://evil.example/2.0/steal?page=2`);
    expect(fake.requests).toHaveLength(1);
  });

  it('resolves open comments, skipping resolved ones, tolerating ones already resolved or deleted', async () => {
    const { fake, platform } = await setup();
    seedComment(fake.state, { raw: 'a', inline: { path: 'src/a.ts', to: 1 } }); // 1000
    seedComment(fake.state, { raw: 'b', inline: { path: 'src/a.ts', to: 2 }, resolved: true }); // 1001
    await platform.resolve([
      { id: '1000', fingerprint: 'aaaa1111', resolved: false },
      { id: '1001', fingerprint: 'bbbb2222', resolved: false },
      { id: '1002', fingerprint: 'cccc3333', resolved: false },
      { id: '1003', fingerprint: 'dddd4444', resolved: true },
    ]);
    expect(calls(fake)).toEqual(['POST …/comments/1000/resolve', 'POST …/comments/1001/resolve', 'POST …/comments/1002/resolve']);
    expect(fake.state.comments.map((c) => c.resolution?.user.display_name)).toEqual(['loom-bot', 'Reviewer']);
  });

  it('creates the summary without inline, then edits it in place and deletes duplicates', async () => {
    const { fake, platform } = await setup();
    await platform.upsertSummary(summaryBody('1 finding'));
    expect(fake.requests[0]!.body).toEqual({ content: { raw: summaryBody('1 finding') } });
    const existing = await platform.listExisting();
    expect(existing.summary).toEqual({ id: '1000', body: summaryBody('1 finding') });

    await platform.upsertSummary(summaryBody('no findings'), existing.summary);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PUT', path: `${PR}/comments/1000`, body: { content: { raw: summaryBody('no findings') } } });
    expect(fake.state.comments.map((c) => [c.id, c.content.raw])).toEqual([[1000, summaryBody('no findings')]]);

    seedComment(fake.state, { raw: summaryBody('duplicate') }); // 1001
    await platform.deleteSummaries(['1001', '4242']);
    expect(calls(fake).slice(-2)).toEqual(['DELETE …/comments/1001', 'DELETE …/comments/4242']);
    expect(fake.state.comments.map((c) => [c.id, c.deleted])).toEqual([
      [1000, false],
      [1001, true],
    ]);
  });

  it('explains a 403: a repository access token with Pull requests: Write', async () => {
    const { fake, platform } = await setup();
    fake.failNext({ method: 'POST' }, { status: 403, json: { type: 'error', error: { message: 'Your credentials lack one or more required privilege scopes.' } } });
    const error = await platform.postInline([comment('src/a.ts', 1)], { headSha: 'h' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformHttpError);
    expect((error as PlatformHttpError).status).toBe(403);
    expect((error as PlatformHttpError).message).toBe(`POST ${PR}/comments: 403 Your credentials lack one or more required privilege scopes. To fix: ${BITBUCKET_AUTH_HINT}`);
    expect(BITBUCKET_AUTH_HINT).toBe("use a repository access token with the 'Pull requests: Write' scope in LOOM_BITBUCKET_TOKEN (app passwords were removed in 2026)");
  });

  it('waits out a 429 for as long as retry-after says, then posts once', async () => {
    const { fake, platform, waits } = await setup();
    fake.failNext({ method: 'POST' }, { status: 429, json: { type: 'error', error: { message: 'Rate limit for this resource has been exceeded' } }, headers: { 'retry-after': '12' } });
    expect(await platform.postInline([comment('src/a.ts', 1)], { headSha: 'h' })).toEqual({ rejected: [] });
    expect(waits).toEqual([12_000]);
    expect(calls(fake)).toEqual(['POST …/comments', 'POST …/comments']);
    expect(fake.state.comments).toHaveLength(1);
  });

  it('uses https://api.bitbucket.org/2.0 when the CI gives no API base', async () => {
    const seen: string[] = [];
    const platform = createBitbucketPlatform({
      ci: { ci: 'bitbucket-pipelines', platform: 'bitbucket', isPullRequest: true, prNumber: 5, repo: 'acme/api', apiUrl: '' },
      token: TOKEN,
      log: createLogger({ level: 'quiet', write: () => {} }),
      // Answers locally: this test only looks at the URL, and must not reach the network.
      fetch: async (url) => {
        seen.push(String(url));
        return new Response(JSON.stringify({ values: [] }), { status: 200, headers: { 'content-type': 'application/json' } });
      },
    });
    await platform.listExisting();
    expect(seen).toEqual(['https://api.bitbucket.org/2.0/repositories/acme/api/pullrequests/5/comments?pagelen=100&q=deleted%3Dfalse']);
  });
});
