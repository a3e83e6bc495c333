import { afterEach, describe, expect, it } from 'vitest';
import { LoomError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { AZURE_AUTH_HINT, createAzurePlatform } from '../../src/platforms/azure.ts';
import { PlatformHttpError } from '../../src/platforms/http.ts';
import { fingerprintMarker, summaryMarker } from '../../src/platforms/markers.ts';
import type { InlineComment } from '../../src/platforms/types.ts';
import { hasAzureSpec, seedThread, startFakeAzure, validateAzureBody, type FakeAzure, type FakeAzureState } from '../helpers/fake-azure.ts';
import { makeFinding } from '../helpers/make-report.ts';

const TOKEN = 'azure-build-token';
const PR = '/fabrikam/Fabrikam Fiber/_apis/git/repositories/3411ebc1-d5aa-464f-9615-0b527bc66719/pullRequests/22';

let fake: FakeAzure | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(overrides: Partial<FakeAzureState> = {}) {
  fake = await startFakeAzure({ token: TOKEN, ...overrides });
  const logLines: string[] = [];
  const waits: number[] = [];
  const platform = createAzurePlatform({
    ci: {
      ci: 'azure-pipelines',
      platform: 'azure',
      isPullRequest: true,
      prNumber: 22,
      repo: fake.state.repositoryId,
      azure: { collectionUri: fake.url, project: fake.state.project },
      apiUrl: fake.url.replace(/\/$/, ''),
      token: TOKEN,
      tokenVar: 'SYSTEM_ACCESSTOKEN',
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
    body: `${finding.title}\n\n${fingerprintMarker(finding.fingerprint, 'html')}`,
  };
}

const calls = (f: FakeAzure) => f.requests.map((r) => `${r.method} ${r.path.replace(PR, '…')}${r.query.$skip ? ` $skip=${r.query.$skip}` : ''}`);
const fp = (c: InlineComment) => ({ 'loom.fp': { $type: 'System.String', $value: c.finding.fingerprint } });

describe('Azure DevOps platform', () => {
  it('declares its limits and styles', async () => {
    const { platform } = await setup();
    expect([platform.id, platform.maxBodyChars, platform.suggestionStyle, platform.markerStyle, platform.canResolve]).toEqual(['azure', 150_000, 'diff', 'html', true]);
  });

  it('refuses to start without the collection, project or pull request', () => {
    const log = createLogger({ level: 'quiet', write: () => {} });
    const make = () => createAzurePlatform({ ci: { ci: 'azure-pipelines', platform: 'azure', isPullRequest: true, repo: 'r', apiUrl: '' }, token: 't', log });
    expect(make).toThrow(LoomError);
    expect(make).toThrow(/SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, BUILD_REPOSITORY_ID and SYSTEM_PULLREQUEST_PULLREQUESTID/);
  });

  it('reads the pull request and the merge base of the last iteration, with the token and api-version on every call', async () => {
    const { fake, platform } = await setup();
    expect(await platform.getPullRequest()).toEqual({
      title: 'Add retries',
      description: 'Retries the flaky call.',
      author: 'Normal Paulk',
      url: `${fake.url}Fabrikam%20Fiber/_git/fiber-api/pullrequest/22`,
      headSha: 'b'.repeat(40),
      baseSha: 'f'.repeat(40),
      mergeBase: 'd'.repeat(40),
    });
    expect(calls(fake)).toEqual(['GET …', 'GET …/iterations']);
    expect(fake.requests.map((r) => [r.query['api-version'], r.headers.authorization])).toEqual([
      ['7.1', `Bearer ${TOKEN}`],
      ['7.1', `Bearer ${TOKEN}`],
    ]);
  });

  it('builds the web URL from the repository name when the API gives no webUrl', async () => {
    const { fake, platform } = await setup({ includeWebUrl: false });
    expect((await platform.getPullRequest()).url).toBe(`${fake.url}Fabrikam%20Fiber/_git/fiber-api/pullrequest/22`);
  });

  it('posts one thread per comment on the new side, the old side and a range, with change tracking and the fingerprint property', async () => {
    const { fake, platform } = await setup({
      changes: [
        { path: '/src/a.ts', changeTrackingId: 1, changeType: 'edit' },
        { path: '/src/old.ts', changeTrackingId: 7, changeType: 'delete' },
      ],
    });
    const single = comment('src/a.ts', 18);
    const range = comment('src/a.ts', 33, { startLine: 30 });
    const old = comment('src/old.ts', 12, { side: 'old' });
    expect(await platform.postInline([single, range, old], { headSha: 'b'.repeat(40) })).toEqual({ rejected: [] });

    const posts = fake.requests.filter((r) => r.method === 'POST').map((r) => r.body);
    const iteration = { firstComparingIteration: 1, secondComparingIteration: 2 };
    expect(posts).toEqual([
      {
        comments: [{ parentCommentId: 0, commentType: 'text', content: single.body }],
        status: 'active',
        threadContext: { filePath: '/src/a.ts', rightFileStart: { line: 18, offset: 1 }, rightFileEnd: { line: 18, offset: 1 } },
        pullRequestThreadContext: { changeTrackingId: 1, iterationContext: iteration },
        properties: fp(single),
      },
      {
        comments: [{ parentCommentId: 0, commentType: 'text', content: range.body }],
        status: 'active',
        threadContext: { filePath: '/src/a.ts', rightFileStart: { line: 30, offset: 1 }, rightFileEnd: { line: 33, offset: 1 } },
        pullRequestThreadContext: { changeTrackingId: 1, iterationContext: iteration },
        properties: fp(range),
      },
      {
        comments: [{ parentCommentId: 0, commentType: 'text', content: old.body }],
        status: 'active',
        threadContext: { filePath: '/src/old.ts', leftFileStart: { line: 12, offset: 1 }, leftFileEnd: { line: 12, offset: 1 } },
        pullRequestThreadContext: { changeTrackingId: 7, iterationContext: iteration },
        properties: fp(old),
      },
    ]);
    expect(fake.state.threads.map((t) => [t.id, t.status, t.threadContext.filePath])).toEqual([
      [100, 'active', '/src/a.ts'],
      [101, 'active', '/src/a.ts'],
      [102, 'active', '/src/old.ts'],
    ]);
  });

  it.skipIf(!hasAzureSpec)('sends thread bodies that match GitPullRequestCommentThread in the Azure spec', async () => {
    const { fake, platform } = await setup({ changes: [{ path: '/src/a.ts', changeTrackingId: 1, changeType: 'edit' }] });
    await platform.postInline([comment('src/a.ts', 4), comment('src/a.ts', 9, { startLine: 5 }), comment('src/a.ts', 2, { side: 'old' })], { headSha: 'h' });
    await platform.upsertSummary(`${summaryMarker('html')}\nsummary`);
    const summary = (await platform.listExisting()).summary!;
    await platform.upsertSummary(`${summaryMarker('html')}\nsummary 2`, summary);
    await platform.resolve([{ id: '1', threadId: '100', fingerprint: 'abcdef12', resolved: false }]);
    const bodies = fake.requests.filter((r) => r.body !== undefined);
    expect(bodies.map((r) => r.method)).toEqual(['POST', 'POST', 'POST', 'POST', 'PATCH', 'PATCH']);
    for (const r of bodies) {
      // A comment edit is a `Comment`; everything else here is a thread.
      const definition = r.path.includes('/comments/') ? 'Comment' : 'GitPullRequestCommentThread';
      expect(validateAzureBody(definition, r.body), `${r.method} ${r.path}`).toEqual([]);
    }
    // The validator is strict: a misspelt field or a number where the spec has an enum name fails.
    expect(validateAzureBody('GitPullRequestCommentThread', { status: 'active', threadContext: { filePath: '/a', rightFileStrat: {} } })).toHaveLength(1);
    expect(validateAzureBody('GitPullRequestCommentThread', { status: 1 })).toHaveLength(1);
  });

  it('finds change tracking ids across pages of $top=2000 and fetches them once', async () => {
    const filler = Array.from({ length: 4100 }, (_, i) => ({ path: `/gen/f${i}.ts`, changeTrackingId: i + 10, changeType: 'add' }));
    const { fake, platform } = await setup({ changes: [...filler, { path: '/src/late.ts', changeTrackingId: 9001, changeType: 'edit' }] });
    await platform.postInline([comment('src/late.ts', 3), comment('gen/f5.ts', 1)], { headSha: 'h' });
    expect(calls(fake)).toEqual([
      'GET …/iterations',
      'GET …/iterations/2/changes',
      'GET …/iterations/2/changes $skip=2000',
      'GET …/iterations/2/changes $skip=4000',
      'POST …/threads',
      'POST …/threads',
    ]);
    expect(fake.requests[1]!.query).toEqual({ $compareTo: '0', $top: '2000', 'api-version': '7.1' });
    expect(fake.state.threads.map((t) => t.pullRequestThreadContext.changeTrackingId)).toEqual([9001, 15]);
  });

  it('returns a refused comment with its reason and still posts the others', async () => {
    const { fake, platform } = await setup({
      changes: [
        { path: '/src/a.ts', changeTrackingId: 1, changeType: 'edit' },
        { path: '/src/b.ts', changeTrackingId: 2, changeType: 'edit' },
      ],
    });
    fake.failNext({ method: 'POST', path: '/threads', body: (b) => b.threadContext?.filePath === '/src/b.ts' }, { status: 400, json: { message: 'The line 900 is outside the file.' } });
    const a = comment('src/a.ts', 1);
    const b = comment('src/b.ts', 900);
    const missing = comment('src/not-in-pr.ts', 2);
    const c = comment('src/a.ts', 2);
    const { rejected } = await platform.postInline([a, b, missing, c], { headSha: 'h' });
    expect(rejected).toEqual([
      { comment: b, reason: '400 The line 900 is outside the file.' },
      { comment: missing, reason: '/src/not-in-pr.ts is not among the files changed in iteration 2 of the pull request' },
    ]);
    expect(fake.state.threads.map((t) => t.comments[0]!.content)).toEqual([a.body, c.body]);
  });

  it('lists earlier threads by property or marker, the oldest summary first, ignoring system and human threads', async () => {
    const { fake, platform } = await setup();
    const s = fake.state;
    seedThread(s, { content: 'Policy passed', commentType: 'system' }); // 100
    const summaryOld = seedThread(s, { content: `${summaryMarker('html')}\nold summary`, status: 'closed' }); // 101
    seedThread(s, { content: 'newer summary without marker', status: 'closed', properties: { 'loom.summary': '1' } }); // 102
    seedThread(s, { content: `${summaryMarker('html')}\ndeleted summary`, isDeleted: true }); // 103
    seedThread(s, { content: 'edited by someone', status: 'fixed', properties: { 'loom.fp': 'aaaa1111' }, filePath: '/src/a.ts' }); // 104
    seedThread(s, { content: `x ${fingerprintMarker('bbbb2222', 'html')}`, status: 'active', filePath: '/src/a.ts' }); // 105
    seedThread(s, { content: `y ${fingerprintMarker('cccc3333', 'html')}`, isDeleted: true, filePath: '/src/a.ts' }); // 106
    seedThread(s, { content: 'a person wrote this', filePath: '/src/a.ts' }); // 107
    seedThread(s, { content: `z ${fingerprintMarker('dddd4444', 'html')}`, status: 'wontFix' }); // 108
    summaryOld.comments.push({ ...summaryOld.comments[0]!, id: 2, parentCommentId: 1, content: 'reply' });

    expect(await platform.listExisting()).toEqual({
      summary: { id: '101:1', body: `${summaryMarker('html')}\nold summary` },
      extraSummaries: ['102:1'],
      inline: [
        { id: '1', threadId: '104', fingerprint: 'aaaa1111', resolved: true },
        { id: '1', threadId: '105', fingerprint: 'bbbb2222', resolved: false },
        { id: '1', threadId: '106', fingerprint: 'cccc3333', resolved: true },
        { id: '1', threadId: '108', fingerprint: 'dddd4444', resolved: true },
      ],
    });
    expect(calls(fake)).toEqual(['GET …/threads']);
  });

  it('resolves open threads as fixed, skipping resolved ones and ones already deleted', async () => {
    const { fake, platform } = await setup();
    seedThread(fake.state, { content: 'a', properties: { 'loom.fp': 'aaaa1111' } }); // 100
    await platform.resolve([
      { id: '1', threadId: '100', fingerprint: 'aaaa1111', resolved: false },
      { id: '1', threadId: '555', fingerprint: 'bbbb2222', resolved: false },
      { id: '1', threadId: '101', fingerprint: 'cccc3333', resolved: true },
    ]);
    expect(fake.requests.map((r) => [r.method, r.path.replace(PR, '…'), r.body])).toEqual([
      ['PATCH', '…/threads/100', { status: 'fixed' }],
      ['PATCH', '…/threads/555', { status: 'fixed' }],
    ]);
    expect(fake.state.threads[0]!.status).toBe('fixed');
  });

  it('creates the summary as a closed thread, then edits that comment in place and deletes duplicates', async () => {
    const { fake, platform } = await setup();
    const first = `${summaryMarker('html')}\n## loom\n1 finding`;
    await platform.upsertSummary(first);
    expect(fake.requests[0]!.body).toEqual({
      comments: [{ parentCommentId: 0, commentType: 'text', content: first }],
      status: 'closed',
      properties: { 'loom.summary': { $type: 'System.String', $value: '1' } },
    });
    const existing = await platform.listExisting();
    expect(existing.summary).toEqual({ id: '100:1', body: first });

    const second = `${summaryMarker('html')}\n## loom\nno findings`;
    await platform.upsertSummary(second, existing.summary);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `${PR}/threads/100/comments/1`, body: { content: second } });
    expect(fake.state.threads.map((t) => [t.id, t.status, t.comments[0]!.content])).toEqual([[100, 'closed', second]]);

    seedThread(fake.state, { content: `${summaryMarker('html')}\nduplicate` }); // 101
    await platform.deleteSummaries(['101:1', '999:1']);
    expect(fake.requests.slice(-2).map((r) => `${r.method} ${r.path.replace(PR, '…')}`)).toEqual(['DELETE …/threads/101/comments/1', 'DELETE …/threads/999/comments/1']);
    expect(fake.state.threads.map((t) => [t.id, t.isDeleted])).toEqual([
      [100, false],
      [101, true],
    ]);
  });

  it('explains a 403: map System.AccessToken and grant Contribute to pull requests', async () => {
    const { fake, platform } = await setup();
    fake.failNext({ method: 'GET' }, { status: 403, json: { message: "TF401027: You need the Git 'PullRequestContribute' permission to perform this action." } });
    const error = await platform.getPullRequest().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformHttpError);
    expect((error as PlatformHttpError).status).toBe(403);
    expect((error as PlatformHttpError).message).toBe(
      `GET /fabrikam/Fabrikam%20Fiber/_apis/git/repositories/3411ebc1-d5aa-464f-9615-0b527bc66719/pullRequests/22: 403 TF401027: You need the Git 'PullRequestContribute' permission to perform this action. To fix: ${AZURE_AUTH_HINT}`,
    );
    expect(AZURE_AUTH_HINT).toContain('`env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)`');
    expect(AZURE_AUTH_HINT).toContain("'Contribute to pull requests' on the repository");
  });

  it('throws rather than rejects when posting is not allowed at all', async () => {
    const { fake, platform } = await setup();
    fake.failNext({ method: 'POST' }, { status: 401, json: { message: 'TF400813: not authorized' } });
    await expect(platform.postInline([comment('src/a.ts', 1), comment('src/a.ts', 2)], { headSha: 'h' })).rejects.toMatchObject({ status: 401 });
    expect(fake.state.threads).toEqual([]);
  });

  it('waits out a 429 for as long as retry-after says, then posts once', async () => {
    const { fake, platform, waits } = await setup();
    fake.failNext({ method: 'POST' }, { status: 429, json: { message: 'TF400733: request was blocked' }, headers: { 'retry-after': '7' } });
    expect(await platform.postInline([comment('src/a.ts', 1)], { headSha: 'h' })).toEqual({ rejected: [] });
    expect(waits).toEqual([7000]);
    expect(calls(fake).filter((c) => c.startsWith('POST'))).toEqual(['POST …/threads', 'POST …/threads']);
    expect(fake.state.threads).toHaveLength(1);
  });
});
