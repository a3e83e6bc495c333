import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { LoomError } from '../../src/errors.ts';
import { buildFinding } from '../../src/findings/build.ts';
import { indexDiff } from '../../src/findings/diff-index.ts';
import { createLogger } from '../../src/log.ts';
import { createGitLabPlatform, gitlabHost } from '../../src/platforms/gitlab.ts';
import { textPosition } from '../../src/platforms/gitlab-position.ts';
import { anchorFor } from '../../src/platforms/inline.ts';
import { PlatformHttpError } from '../../src/platforms/http.ts';
import { fingerprintMarker, summaryMarker } from '../../src/platforms/markers.ts';
import type { Anchor, CiContext, InlineComment, Platform } from '../../src/platforms/types.ts';
import { BAD_POSITION_MESSAGE, FAKE_SHAS, type FakeGitLab, type FakeGitLabState, startFakeGitLab } from '../helpers/fake-gitlab.ts';
import { fileDiff } from '../helpers/file-diff.ts';
import { makeFinding } from '../helpers/make-report.ts';

const servers: FakeGitLab[] = [];
async function fake(init?: Partial<FakeGitLabState>): Promise<FakeGitLab> {
  const gl = await startFakeGitLab(init);
  servers.push(gl);
  return gl;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const PATH = 'src/parser.ts';
const PROJECT = '/api/v4/projects/group%2Fsub%2Fproj/merge_requests/7';
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const REFS = { base_sha: FAKE_SHAS.base, start_sha: FAKE_SHAS.start, head_sha: FAKE_SHAS.head };

/** The lines of GitLab's diff of PATH, as (old, new) pairs: the fake refuses positions on any other line. */
// Lines 30-36: one hunk, where the lines added before old line 31 carry 31 in GitLab's line codes, those after it 32.
const DIFF_LINES: { old?: number; new?: number; code?: [number, number] }[] = [
  { new: 12 },
  { old: 15, new: 18 },
  { old: 20 },
  ...[30, 31, 32, 33].map((n) => ({ new: n, code: [31, n] as [number, number] })),
  { old: 31, new: 34, code: [31, 34] },
  { new: 35, code: [32, 35] },
  { new: 36, code: [32, 36] },
];

const ANCHORS = {
  added: { path: PATH, oldPath: PATH, side: 'new', line: 12, newLine: 12 },
  deleted: { path: PATH, oldPath: PATH, side: 'old', line: 20, oldLine: 20 },
  context: { path: PATH, oldPath: PATH, side: 'new', line: 18, oldLine: 15, newLine: 18 },
  range: { path: PATH, oldPath: PATH, side: 'new', line: 33, newLine: 33, startLine: 30, startNewLine: 30, counters: { old: 31, new: 33 }, startCounters: { old: 31, new: 30 } },
  rangeFromContext: { path: PATH, oldPath: PATH, side: 'new', line: 36, newLine: 36, startLine: 34, startOldLine: 31, startNewLine: 34, counters: { old: 32, new: 36 }, startCounters: { old: 31, new: 34 } },
} satisfies Record<string, Anchor>;

function setup(gl: FakeGitLab, opts: { ci?: Partial<CiContext>; token?: string } = {}) {
  const lines: string[] = [];
  const waits: number[] = [];
  const log = createLogger({ level: 'verbose', write: (line) => lines.push(line) });
  const ci: CiContext = {
    ci: 'gitlab-ci',
    platform: 'gitlab',
    isPullRequest: true,
    prNumber: 7,
    repo: 'group/sub/proj',
    apiUrl: gl.apiUrl,
    headSha: FAKE_SHAS.head,
    tokenVar: 'LOOM_GITLAB_TOKEN',
    ...opts.ci,
  };
  const token = opts.token ?? gl.state.token;
  const platform = createGitLabPlatform({ ci, token, log, sleep: async (ms) => void waits.push(ms) });
  return { platform, waits, lines };
}

function comment(anchor: Anchor, title = `Finding at ${anchor.side}:${anchor.line}`): InlineComment {
  const finding = makeFinding({ path: anchor.path, line: anchor.line, side: anchor.side, title });
  return { finding, anchor, body: `**${title}**\n\n${fingerprintMarker(finding.fingerprint, 'html')}` };
}

const posts = (gl: FakeGitLab, suffix: string) => gl.requests.filter((r) => r.method === 'POST' && r.path === `${PROJECT}${suffix}`);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

/** A first run: five inline comments (one of each kind) and a summary. */
async function firstRun(gl: FakeGitLab, platform: Platform) {
  const comments = Object.values(ANCHORS).map((a) => comment(a));
  const result = await platform.postInline(comments, { headSha: FAKE_SHAS.head });
  await platform.upsertSummary(`${summaryMarker('html')}\n## loom\n\nRun 1`);
  return { comments, result };
}

describe('createGitLabPlatform: first run', () => {
  it('describes itself as GitLab wants', async () => {
    const { platform } = setup(await fake());
    expect([platform.id, platform.maxBodyChars, platform.suggestionStyle, platform.markerStyle, platform.canResolve]).toEqual(['gitlab', 999_000, 'gitlab', 'html', true]);
  });

  it('reads the merge request: title, description, author, url, head, target tip and merge base', async () => {
    const gl = await fake();
    const { platform } = setup(gl);
    expect(await platform.getPullRequest()).toEqual({
      title: 'Add the parser',
      description: 'Parses things.',
      author: 'alice',
      url: `${gl.url}/group/sub/proj/-/merge_requests/7`,
      headSha: FAKE_SHAS.head,
      baseSha: FAKE_SHAS.start,
      mergeBase: FAKE_SHAS.base,
    });
    expect(gl.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${PROJECT}`]);
    expect(gl.requests[0]!.headers['private-token']).toBe(gl.state.token);
  });

  it('posts one discussion per comment with exactly the position GitLab needs for each kind of line, then the summary', async () => {
    const gl = await fake({ diffLines: { [PATH]: DIFF_LINES } });
    const { platform } = setup(gl);
    expect(await platform.listExisting()).toEqual({ extraSummaries: [], inline: [] });

    const { comments, result } = await firstRun(gl, platform);

    expect(result).toEqual({ rejected: [] });
    const sent = posts(gl, '/discussions');
    expect(sent.map((r) => r.body.body)).toEqual(comments.map((c) => c.body));
    expect(sent.every((r) => r.headers['content-type'] === 'application/json')).toBe(true);
    const base = { position_type: 'text', ...REFS, old_path: PATH, new_path: PATH };
    expect(sent.map((r) => r.body.position)).toEqual([
      { ...base, new_line: 12 },
      { ...base, old_line: 20 },
      { ...base, old_line: 15, new_line: 18 },
      {
        ...base,
        new_line: 33,
        line_range: {
          start: { line_code: `${sha1(PATH)}_31_30`, type: 'new', new_line: 30 },
          end: { line_code: `${sha1(PATH)}_31_33`, type: 'new', new_line: 33 },
        },
      },
      {
        ...base,
        new_line: 36,
        line_range: {
          start: { line_code: `${sha1(PATH)}_31_34`, type: 'old', old_line: 31, new_line: 34 },
          end: { line_code: `${sha1(PATH)}_32_36`, type: 'new', new_line: 36 },
        },
      },
    ]);
    expect(sent[3]!.body.position.line_range.start.line_code).toMatch(/^[0-9a-f]{40}_31_30$/);
    expect(posts(gl, '/notes').map((r) => r.body)).toEqual([{ body: `${summaryMarker('html')}\n## loom\n\nRun 1` }]);
    expect(gl.state.discussions.map((d) => d.notes[0]!.type)).toEqual(['DiffNote', 'DiffNote', 'DiffNote', 'DiffNote', 'DiffNote', null]);
  });

  it('sends both paths of a renamed file and keeps a path with & intact (JSON, not form fields)', async () => {
    const gl = await fake();
    const { platform } = setup(gl);
    const renamed = { path: 'src/new name.ts', oldPath: 'src/old name.ts', side: 'new', line: 4, oldLine: 4, newLine: 4 } satisfies Anchor;
    const ampersand = { path: 'docs/a&b=c.md', oldPath: 'docs/a&b=c.md', side: 'new', line: 2, newLine: 2 } satisfies Anchor;

    expect(await platform.postInline([comment(renamed), comment(ampersand)], { headSha: FAKE_SHAS.head })).toEqual({ rejected: [] });

    expect(posts(gl, '/discussions').map((r) => r.body.position)).toEqual([
      { position_type: 'text', ...REFS, old_path: 'src/old name.ts', new_path: 'src/new name.ts', old_line: 4, new_line: 4 },
      { position_type: 'text', ...REFS, old_path: 'docs/a&b=c.md', new_path: 'docs/a&b=c.md', new_line: 2 },
    ]);
  });
});

describe('createGitLabPlatform: re-runs', () => {
  it('finds the summary and its threads again by marker: edits the summary in place and lists fingerprints with discussion ids', async () => {
    const gl = await fake({ diffLines: { [PATH]: DIFF_LINES } });
    const { comments } = await firstRun(gl, setup(gl).platform);
    const postsBefore = gl.requests.filter((r) => r.method === 'POST').length;
    const threads = gl.state.discussions.filter((d) => !d.individual_note);
    const summaryNote = gl.state.discussions.find((d) => d.individual_note)!.notes[0]!;

    const { platform } = setup(gl);
    const existing = await platform.listExisting();

    expect(existing).toEqual({
      summary: { id: String(summaryNote.id), body: `${summaryMarker('html')}\n## loom\n\nRun 1` },
      extraSummaries: [],
      inline: comments.map((c, i) => ({ id: String(threads[i]!.notes[0]!.id), threadId: threads[i]!.id, fingerprint: c.finding.fingerprint, resolved: false })),
    });
    await platform.upsertSummary(`Run 2 ${summaryMarker('html')}`, existing.summary);

    const edit = gl.requests.at(-1)!;
    expect([edit.method, edit.path, edit.body]).toEqual(['PUT', `${PROJECT}/notes/${summaryNote.id}`, { body: `Run 2 ${summaryMarker('html')}` }]);
    expect(gl.requests.filter((r) => r.method === 'POST')).toHaveLength(postsBefore);
    expect(gl.notes().map((n) => n.body.startsWith('Run 2'))).toEqual([false, false, false, false, false, true]);
  });

  it('pages through more than 100 notes and discussions via x-next-page, ignoring system notes, other authors and non-threads', async () => {
    const gl = await fake();
    const human = { id: 9, username: 'alice' };
    for (let i = 0; i < 60; i++) gl.addNote(`added ${i} commits`, { system: true });
    gl.addNote(`quoting loom: ${summaryMarker('html')}`, { author: human });
    for (let i = 0; i < 60; i++) gl.addNote(`comment ${i}`, { author: human });
    const summary = gl.addNote(`${summaryMarker('html')}\nfirst summary`);
    gl.addDiscussion(`not a summary ${summaryMarker('html')}`, { position: { new_line: 1 } });
    const older = gl.addDiscussion(`old finding ${fingerprintMarker('0123456789abcdef', 'html')}`, { position: { new_line: 3 }, resolved: true });
    gl.addDiscussion(`forged ${fingerprintMarker('fedcba9876543210', 'html')}`, { position: { new_line: 4 }, author: human });
    const general = gl.addDiscussion(`downgraded ${fingerprintMarker('aaaaaaaabbbbbbbb', 'html')}`);
    gl.addNote(`plain note with ${fingerprintMarker('cccccccccccccccc', 'html')}`);
    const duplicate = gl.addNote(`${summaryMarker('html')}\nsecond summary`);

    const existing = await setup(gl).platform.listExisting();

    expect(existing).toEqual({
      summary: { id: String(summary.id), body: `${summaryMarker('html')}\nfirst summary` },
      extraSummaries: [String(duplicate.id)],
      inline: [
        { id: String(older.notes[0]!.id), threadId: older.id, fingerprint: '0123456789abcdef', resolved: true },
        { id: String(general.notes[0]!.id), threadId: general.id, fingerprint: 'aaaaaaaabbbbbbbb', resolved: false },
      ],
    });
    const lists = gl.requests.filter((r) => r.method === 'GET').map((r) => [r.path, r.query]);
    expect(lists).toEqual([
      ['/api/v4/user', {}],
      [`${PROJECT}/notes`, { per_page: '100', page: '1', sort: 'asc', order_by: 'created_at' }],
      [`${PROJECT}/notes`, { per_page: '100', page: '2', sort: 'asc', order_by: 'created_at' }],
      [`${PROJECT}/discussions`, { per_page: '100', page: '1' }],
      [`${PROJECT}/discussions`, { per_page: '100', page: '2' }],
    ]);
  });

  it('resolves gone threads with PUT resolved=true, skipping ones deleted since', async () => {
    const gl = await fake({ diffLines: { [PATH]: DIFF_LINES } });
    await firstRun(gl, setup(gl).platform);
    const { platform } = setup(gl);
    const existing = await platform.listExisting();
    const gone = [existing.inline[0]!, existing.inline[2]!, { id: '1', threadId: 'deadbeef', fingerprint: '0000000000000000', resolved: false }];

    await platform.resolve(gone);

    const puts = gl.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => [r.path, r.query])).toEqual(gone.map((c) => [`${PROJECT}/discussions/${c.threadId}`, { resolved: 'true' }]));
    expect((await platform.listExisting()).inline.map((c) => c.resolved)).toEqual([true, false, true, false, false]);
  });

  it('posts a new summary when the old one was deleted, and deletes duplicate summaries (already gone is fine)', async () => {
    const gl = await fake();
    const extra = gl.addNote(`dup ${summaryMarker('html')}`);
    const { platform } = setup(gl);

    await platform.upsertSummary('new summary', { id: '999999' });
    await platform.deleteSummaries([String(extra.id), '999998']);

    expect(gl.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT ${PROJECT}/notes/999999`,
      `POST ${PROJECT}/notes`,
      `DELETE ${PROJECT}/notes/${extra.id}`,
      `DELETE ${PROJECT}/notes/999998`,
    ]);
    expect(gl.notes().map((n) => n.body)).toEqual(['new summary']);
  });
});

describe('createGitLabPlatform: refusals and limits', () => {
  it('returns a comment GitLab refuses (400) in rejected with its message and posts the others', async () => {
    const gl = await fake({ diffLines: { [PATH]: DIFF_LINES } });
    const { platform } = setup(gl);
    const notInDiff = comment({ path: PATH, oldPath: PATH, side: 'new', line: 13, newLine: 13 });
    const contextWithOneSide = comment({ path: PATH, oldPath: PATH, side: 'new', line: 18 });
    const good = [comment(ANCHORS.added), comment(ANCHORS.deleted), comment(ANCHORS.range)];

    const result = await platform.postInline([good[0]!, notInDiff, good[1]!, contextWithOneSide, good[2]!], { headSha: FAKE_SHAS.head });

    expect(result).toEqual({
      rejected: [
        { comment: notInDiff, reason: BAD_POSITION_MESSAGE },
        { comment: contextWithOneSide, reason: BAD_POSITION_MESSAGE },
      ],
    });
    expect(posts(gl, '/discussions')).toHaveLength(5);
    expect(gl.state.discussions.map((d) => d.notes[0]!.body)).toEqual(good.map((c) => c.body));
  });

  it('waits out a 429 for its retry-after and posts the comment once', async () => {
    const gl = await fake();
    const { platform, waits } = setup(gl);
    gl.failNext({ method: 'POST', path: '/discussions' }, { status: 429, json: { message: 'Retry later' }, headers: { 'retry-after': '7' } });

    expect(await platform.postInline([comment(ANCHORS.added), comment(ANCHORS.deleted)], { headSha: FAKE_SHAS.head })).toEqual({ rejected: [] });

    expect(waits).toEqual([7000]);
    expect(posts(gl, '/discussions')).toHaveLength(3);
    expect(gl.state.discussions).toHaveLength(2);
  });

  it('gives up on a retry-after beyond a minute without waiting', async () => {
    const gl = await fake();
    const { platform, waits } = setup(gl);
    gl.failNext({ method: 'GET' }, { status: 429, json: { message: 'Retry later' }, headers: { 'retry-after': '120' } });

    const error = await rejection(platform.getPullRequest());

    expect(error).toBeInstanceOf(PlatformHttpError);
    expect([(error as PlatformHttpError).status, error.message]).toEqual([429, `GET ${PROJECT}: 429 Retry later`]);
    expect(waits).toEqual([]);
  });

  it('retries a 5xx on GET but never on POST (the note may exist): that comment is rejected, the rest posted', async () => {
    const gl = await fake();
    const { platform, waits } = setup(gl);
    gl.failNext({ method: 'GET' }, { status: 503, text: 'unavailable' });
    gl.failNext({ method: 'POST', path: '/discussions' }, { status: 502, text: '<html>Bad Gateway</html>' });
    const first = comment(ANCHORS.added);

    const result = await platform.postInline([first, comment(ANCHORS.deleted)], { headSha: FAKE_SHAS.head });

    expect(result).toEqual({ rejected: [{ comment: first, reason: '<html>Bad Gateway</html>' }] });
    expect(waits).toEqual([1000]);
    expect(posts(gl, '/discussions')).toHaveLength(2);
  });

  it('retries an unreachable GitLab for reads only, then names the host without the token', async () => {
    const gl = await fake();
    await gl.close();
    servers.splice(servers.indexOf(gl), 1);
    const { platform, waits } = setup(gl);

    const read = await rejection(platform.getPullRequest());
    const write = await rejection(platform.upsertSummary('s'));

    expect(read).toBeInstanceOf(LoomError);
    expect(read).toMatchObject({ code: 'platform-http' });
    expect(read.message).toMatch(new RegExp(`^GET ${PROJECT}: .+ \\(is GitLab at ${gl.url} reachable\\?\\)$`));
    expect(write.message).toMatch(new RegExp(`^POST ${PROJECT}/notes: `));
    expect(waits).toEqual([1000, 2000, 4000]);
    expect([read.message, write.message].some((m) => m.includes(gl.state.token))).toBe(false);
  });

  it('a read-only token (403) fails the batch with a PlatformHttpError naming LOOM_GITLAB_TOKEN and the api scope', async () => {
    const gl = await fake();
    gl.state.readOnly = true;
    const { platform } = setup(gl, { ci: { tokenVar: 'CI_JOB_TOKEN' } });

    const error = await rejection(platform.postInline([comment(ANCHORS.added), comment(ANCHORS.deleted)], { headSha: FAKE_SHAS.head }));
    const summaryError = await rejection(platform.upsertSummary('summary'));

    expect(error).toBeInstanceOf(PlatformHttpError);
    expect(error).toMatchObject({ status: 403, method: 'POST', endpoint: `${PROJECT}/discussions`, code: 'platform-auth' });
    expect(error.message).toBe(
      `POST ${PROJECT}/discussions: 403 GitLab refused the token in CI_JOB_TOKEN (HTTP 403): it lacks the api scope or the Reporter role. ` +
        'CI_JOB_TOKEN cannot post merge request notes: create a project access token with the api scope (Reporter or higher) ' +
        'and store it as a masked CI/CD variable LOOM_GITLAB_TOKEN. GitLab said: 403 Forbidden',
    );
    expect(summaryError).toMatchObject({ status: 403, method: 'POST', endpoint: `${PROJECT}/notes` });
    expect(summaryError.message).toContain('LOOM_GITLAB_TOKEN');
    expect(posts(gl, '/discussions')).toHaveLength(1);
  });

  it('never puts the token in an error message or a rejection reason', async () => {
    const gl = await fake();
    const wrong = 'glpat-WRONG-secret-77aa99';
    const denied = await rejection(setup(gl, { token: wrong }).platform.getPullRequest());
    expect(denied).toMatchObject({ status: 401 });
    expect(denied.message).toContain('GitLab did not accept the token in LOOM_GITLAB_TOKEN (HTTP 401');
    expect(denied.message).toContain('LOOM_GITLAB_TOKEN');

    const { platform } = setup(gl);
    const token = gl.state.token;
    gl.failNext({ method: 'POST', path: '/discussions' }, { status: 400, json: { message: `bad token ${token} in request` } });
    gl.failNext({ method: 'GET', path: '/user' }, { status: 401, json: { error: 'invalid_token', error_description: `Token ${token} was revoked` } });
    const echoed = await platform.postInline([comment(ANCHORS.added)], { headSha: FAKE_SHAS.head });
    const revoked = await rejection(platform.listExisting());

    const texts = [denied.message, echoed.rejected[0]!.reason, revoked.message];
    expect(texts.filter((t) => t.includes(token) || t.includes(wrong))).toEqual([]);
    expect(echoed.rejected[0]!.reason).toBe('bad token glpa**** in request');
    expect(revoked.message).toContain('GitLab said: Token glpa**** was revoked');
  });
});

describe('createGitLabPlatform: diff versions', () => {
  it('asks again once, after a short wait, when diff_refs is not computed yet', async () => {
    const gl = await fake();
    const { platform, waits } = setup(gl);
    gl.failNext({ method: 'GET', path: PROJECT }, { status: 200, json: { ...gl.state.mergeRequest, diff_refs: null } });

    expect((await platform.getPullRequest()).mergeBase).toBe(FAKE_SHAS.base);

    expect(waits).toEqual([3000]);
    expect(gl.requests.map((r) => r.path)).toEqual([PROJECT, PROJECT]);
  });

  it('after a push during the run, anchors on the diff version loom reviewed and warns', async () => {
    const NEW = 'd'.repeat(40);
    const gl = await fake();
    gl.state.mergeRequest.sha = NEW;
    gl.state.mergeRequest.diff_refs = { base_sha: FAKE_SHAS.base, start_sha: 'e'.repeat(40), head_sha: NEW };
    gl.state.versions.unshift({ id: 2, head_commit_sha: NEW, base_commit_sha: FAKE_SHAS.base, start_commit_sha: 'e'.repeat(40), created_at: '', state: 'collected' });
    const { platform, lines } = setup(gl);

    expect(await platform.postInline([comment(ANCHORS.context)], { headSha: FAKE_SHAS.head })).toEqual({ rejected: [] });

    expect(posts(gl, '/discussions').map((r) => r.body.position)).toEqual([{ position_type: 'text', ...REFS, old_path: PATH, new_path: PATH, old_line: 15, new_line: 18 }]);
    expect(gl.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${PROJECT}`, `GET ${PROJECT}/versions`, `POST ${PROJECT}/discussions`]);
    expect(lines).toEqual(['warning: !7 received new commits during the review (head is now dddddddd, loom reviewed aaaaaaaa): anchoring inline comments on the reviewed version of the diff\n']);
  });

  it('rejects every comment, posting none, when no diff version has the reviewed head', async () => {
    const gl = await fake();
    const { platform } = setup(gl);
    const comments = [comment(ANCHORS.added), comment(ANCHORS.deleted)];
    const reason = '!7 received new commits during the review (head is now aaaaaaaa, loom reviewed ffffffff)';

    expect(await platform.postInline(comments, { headSha: 'f'.repeat(40) })).toEqual({ rejected: comments.map((c) => ({ comment: c, reason })) });

    expect(posts(gl, '/discussions')).toEqual([]);
  });
});

describe('createGitLabPlatform: project and instance', () => {
  it('URL-encodes a project path, takes a numeric id as is, and does not encode an encoded path twice', async () => {
    for (const [repo, segment] of [
      ['group/sub/proj', 'group%2Fsub%2Fproj'],
      ['group%2Fsub%2Fproj', 'group%2Fsub%2Fproj'],
      ['123', '123'],
    ]) {
      const gl = await fake();
      const { platform } = setup(gl, { ci: { repo } });
      await platform.listExisting();
      await platform.upsertSummary('s');
      expect(gl.requests.map((r) => r.path.replace(/\/(notes|discussions)$/, ''))).toEqual([
        '/api/v4/user',
        `/api/v4/projects/${segment}/merge_requests/7`,
        `/api/v4/projects/${segment}/merge_requests/7`,
        `/api/v4/projects/${segment}/merge_requests/7`,
      ]);
    }
  });

  it('derives the host from CI_API_V4_URL and refuses a URL without /api/v4 or a missing iid', async () => {
    expect(gitlabHost('https://gitlab.example.com/api/v4')).toBe('https://gitlab.example.com');
    expect(gitlabHost('https://example.com/gitlab/api/v4/')).toBe('https://example.com/gitlab');
    const gl = await fake();
    for (const ci of [{ apiUrl: gl.url }, { prNumber: undefined }] satisfies Partial<CiContext>[]) {
      let error: unknown;
      try {
        setup(gl, { ci });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LoomError);
      expect((error as LoomError).code).toBe('usage');
    }
  });
});

describe('textPosition: line codes', () => {
  const refs = { base_sha: FAKE_SHAS.base, start_sha: FAKE_SHAS.start, head_sha: FAKE_SHAS.head };
  const codes = (position: ReturnType<typeof textPosition>) => [position.line_range?.start.line_code, position.line_range?.end.line_code].map((c) => c?.replace(/^[0-9a-f]{40}_/, ''));

  it("numbers a range's ends as GitLab's diff parser numbers its lines, from the local diff", () => {
    const index = indexDiff([fileDiff(PATH, [{ oldStart: 10, newStart: 10, lines: [' ctx10', '-old11', '+new11', '+new12', ' ctx13', '+new14'] }])]);
    const anchor = (line: number, endLine: number) => anchorFor(buildFinding({ path: PATH, line, endLine, side: 'new', severity: 'info', pipeline: 'review', ruleId: 'review', title: 'T', body: 'B' }, index), index)!;
    // Added lines 11-12 come after old line 11 was removed: GitLab gives them the old counter 12.
    expect(codes(textPosition(anchor(11, 12), refs))).toEqual(['12_11', '12_12']);
    // From a context line (old 12, new 13) to the line added after it (old counter 13).
    expect(codes(textPosition(anchor(13, 14), refs))).toEqual(['12_13', '13_14']);
  });

  it('falls back to 0 for the missing side where the lines cannot be counted (an elided file)', () => {
    const position = textPosition({ path: PATH, oldPath: PATH, side: 'new', line: 3, newLine: 3, startLine: 1, startNewLine: 1 }, refs);
    expect(codes(position)).toEqual(['0_1', '0_3']);
  });
});
