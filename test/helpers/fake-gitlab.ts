import { createHash } from 'node:crypto';
import { rawTarget, requestMatches, startFakeServer, type FakeRequest, type Reply } from './fake-server.ts';

/**
 * A fake GitLab REST v4 on 127.0.0.1 (random port) for one project and one merge request, backed by in-memory
 * discussions. It checks what real GitLab checks and tests rely on: the PRIVATE-TOKEN (or Bearer) header, the
 * project id or URL-encoded full path (`group%2Fsub%2Fproj`; a raw slash is a 404), position SHAs against the
 * MR's diff versions, the added/deleted/context line rule against `state.diffLines`, and `line_range` line codes.
 * Lists paginate like GitLab (per_page ≤ 100, x-next-page and Link headers).
 *
 * Usage: `const gl = await startFakeGitLab({ project: { id: 5, path: 'group/sub/proj' } })`, then point the
 * adapter at `gl.apiUrl` with `gl.state.token`; assert on `gl.requests` and `gl.state.discussions`;
 * `gl.failNext({ method: 'POST', path: /\/discussions$/ }, { status: 429, headers: { 'retry-after': '7' } })`
 * scripts one reply. Call `gl.close()` in afterEach.
 */

export interface FakeUser {
  id: number;
  username: string;
}

export interface FakeDiffRefs {
  base_sha: string;
  start_sha: string;
  head_sha: string;
}

export interface FakeNote {
  id: number;
  type: 'DiffNote' | 'DiscussionNote' | null;
  body: string;
  author: FakeUser;
  system: boolean;
  resolvable: boolean;
  resolved: boolean;
  position?: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface FakeDiscussion {
  id: string;
  individual_note: boolean;
  notes: FakeNote[];
}

export interface FakeVersion {
  id: number;
  head_commit_sha: string;
  base_commit_sha: string;
  start_commit_sha: string;
  created_at: string;
  state: 'collected';
}

export interface FakeGitLabState {
  /** The only token accepted, as `PRIVATE-TOKEN` or `Authorization: Bearer`. */
  token: string;
  /** The token's user: author of everything posted, answer of GET /user. */
  user: FakeUser;
  /** When true, every POST/PUT/DELETE answers 403 (like a token without the api scope). */
  readOnly: boolean;
  project: { id: number; path: string };
  mergeRequest: {
    iid: number;
    title: string;
    description: string | null;
    author: FakeUser;
    web_url: string;
    sha: string;
    /** `null` mimics an MR GitLab has not diffed yet. */
    diff_refs: FakeDiffRefs | null;
  };
  /** Diff versions, newest first (GET …/versions). A position must use the SHAs of one of them or of diff_refs. */
  versions: FakeVersion[];
  /**
   * Per new path, the lines of GitLab's diff as (old, new) pairs; positions on other lines are refused. Unlisted
   * paths accept any line. `code`: the line's counters in GitLab's line code (its diff parser gives a line added the
   * old side's running counter, a line removed the new side's); without it, the pair with 0 for a missing side, as
   * at the start of an added or deleted file.
   */
  diffLines: Record<string, { old?: number; new?: number; code?: [old: number, new: number] }[]>;
  /** Every note lives in a discussion; a plain MR note is an individual_note discussion. Oldest first. */
  discussions: FakeDiscussion[];
}

/**
 * `path` is the path as sent, percent-encoding kept (`/api/v4/projects/group%2Fsub%2Fproj/...`), without the
 * query; `body` the parsed JSON, the raw text when not JSON, undefined when empty.
 */
export type FakeGitLabRequest = FakeRequest;

/** A reply; a string `json` is sent as text, like `text`. */
export type FakeReply = Reply;

export interface FakeGitLab {
  /** Instance root, e.g. http://127.0.0.1:PORT (gitbeaker's `host`). */
  url: string;
  /** `${url}/api/v4`, what CI_API_V4_URL would hold. */
  apiUrl: string;
  /** Every request received, in order, including scripted and refused ones. */
  requests: FakeGitLabRequest[];
  state: FakeGitLabState;
  /** The next `times` requests matching (method and/or path: a RegExp, or a string the path ends with) get `reply` instead. */
  failNext(match: { method?: string; path?: string | RegExp }, reply: FakeReply, times?: number): void;
  /** Seeds a plain MR note (an individual_note discussion); `author` defaults to state.user. */
  addNote(body: string, opts?: { author?: FakeUser; system?: boolean }): FakeNote;
  /** Seeds a thread; with `position` its notes are DiffNotes. */
  addDiscussion(body: string, opts?: { author?: FakeUser; position?: Record<string, unknown>; resolved?: boolean }): FakeDiscussion;
  /** All notes of the MR, oldest first (what GET …/notes?sort=asc lists). */
  notes(): FakeNote[];
  close(): Promise<void>;
}

const API = '/api/v4';
export const FAKE_SHAS = { base: 'b'.repeat(40), start: 'c'.repeat(40), head: 'a'.repeat(40) } as const;
/** GitLab's answer when a position does not map to a diff line. */
export const BAD_POSITION_MESSAGE = '400 Bad request - Note {:line_code=>["can\'t be blank", "must be a valid line code"], :position=>["is incomplete"]}';

export async function startFakeGitLab(init: Partial<FakeGitLabState> = {}): Promise<FakeGitLab> {
  const user = init.user ?? { id: 42, username: 'loom-bot' };
  const project = init.project ?? { id: 123, path: 'group/sub/proj' };
  const state: FakeGitLabState = {
    token: 'glpat-FAKE-token-4f2c9e1b7d',
    user,
    readOnly: false,
    project,
    mergeRequest: {
      iid: 7,
      title: 'Add the parser',
      description: 'Parses things.',
      author: { id: 9, username: 'alice' },
      web_url: '',
      sha: FAKE_SHAS.head,
      diff_refs: { base_sha: FAKE_SHAS.base, start_sha: FAKE_SHAS.start, head_sha: FAKE_SHAS.head },
    },
    versions: [{ id: 1, head_commit_sha: FAKE_SHAS.head, base_commit_sha: FAKE_SHAS.base, start_commit_sha: FAKE_SHAS.start, created_at: stamp(1), state: 'collected' }],
    diffLines: {},
    discussions: [],
    ...init,
  };
  let nextId = 1000;
  let origin = '';

  const newNote = (body: string, fields: Partial<FakeNote>): FakeNote => {
    const id = nextId++;
    return { id, type: null, body, author: state.user, system: false, resolvable: false, resolved: false, created_at: stamp(id), updated_at: stamp(id), ...fields };
  };
  const newDiscussion = (note: FakeNote, individual: boolean): FakeDiscussion => {
    const discussion = { id: createHash('sha1').update(`discussion-${note.id}`).digest('hex'), individual_note: individual, notes: [note] };
    state.discussions.push(discussion);
    return discussion;
  };
  const allNotes = () => state.discussions.flatMap((d) => d.notes).sort((a, b) => a.id - b.id);

  function route(r: FakeGitLabRequest): FakeReply {
    const auth = r.headers['private-token'] ?? String(r.headers.authorization ?? '').replace(/^Bearer /, '');
    if (auth !== state.token) return { status: 401, json: { message: '401 Unauthorized' } };
    if (!r.path.startsWith(`${API}/`)) return notFound();
    const parts = r.path.slice(API.length + 1).split('/');
    if (r.method === 'GET' && parts.length === 1 && parts[0] === 'user') return ok(state.user);
    const [projects, projectId, mrs, iid, ...rest] = parts;
    if (projects !== 'projects' || projectId === undefined) return notFound();
    const decoded = decodeURIComponent(projectId);
    if (decoded !== String(state.project.id) && decoded !== state.project.path) return { status: 404, json: { message: '404 Project Not Found' } };
    if (mrs !== 'merge_requests' || Number(iid) !== state.mergeRequest.iid) return { status: 404, json: { message: '404 Not found' } };
    if (r.method !== 'GET' && state.readOnly) return { status: 403, json: { message: '403 Forbidden' } };
    const key = `${r.method} ${rest.map((p, i) => (i === 1 ? ':id' : p)).join('/')}`;
    switch (key) {
      case 'GET ':
        return ok({ ...state.mergeRequest, project_id: state.project.id, state: 'opened' });
      case 'GET versions':
        return ok(state.versions);
      case 'GET notes': {
        const sorted = allNotes();
        return paginate(r, r.query.sort === 'asc' ? sorted : sorted.reverse());
      }
      case 'POST notes':
        return typeof r.body?.body === 'string' ? created(newDiscussion(newNote(r.body.body, {}), true).notes[0]) : badRequest('body is missing');
      case 'PUT notes/:id':
      case 'DELETE notes/:id':
        return changeNote(r, Number(rest[1]));
      case 'GET discussions':
        return paginate(r, state.discussions);
      case 'POST discussions':
        return createDiscussion(r.body);
      case 'PUT discussions/:id':
        return resolveDiscussion(r, rest[1]!);
      default:
        return notFound();
    }
  }

  function changeNote(r: FakeGitLabRequest, id: number): FakeReply {
    const discussion = state.discussions.find((d) => d.notes.some((n) => n.id === id));
    const note = discussion?.notes.find((n) => n.id === id);
    if (!discussion || !note) return { status: 404, json: { message: '404 Note Not Found' } };
    if (note.author.id !== state.user.id) return { status: 403, json: { message: '403 Forbidden' } };
    if (r.method === 'DELETE') {
      discussion.notes = discussion.notes.filter((n) => n !== note);
      if (discussion.notes.length === 0) state.discussions = state.discussions.filter((d) => d !== discussion);
      return { status: 204 };
    }
    if (typeof r.body?.body !== 'string') return badRequest('body is missing');
    note.body = r.body.body;
    note.updated_at = stamp(nextId++);
    return ok(note);
  }

  function createDiscussion(body: any): FakeReply {
    if (typeof body?.body !== 'string') return badRequest('body is missing');
    if (body.position === undefined) return created(newDiscussion(newNote(body.body, { type: 'DiscussionNote', resolvable: true }), false));
    const refused = checkPosition(body.position);
    if (refused) return badRequest(refused);
    return created(newDiscussion(newNote(body.body, { type: 'DiffNote', resolvable: true, position: body.position }), false));
  }

  function checkPosition(p: any): string | undefined {
    if (p.position_type !== 'text' || !p.old_path || !p.new_path) return BAD_POSITION_MESSAGE;
    const known = [state.mergeRequest.diff_refs, ...state.versions.map((v) => ({ base_sha: v.base_commit_sha, start_sha: v.start_commit_sha, head_sha: v.head_commit_sha }))];
    if (!known.some((k) => k && k.base_sha === p.base_sha && k.start_sha === p.start_sha && k.head_sha === p.head_sha)) return BAD_POSITION_MESSAGE;
    if (!onDiffLine(p.new_path, p.old_line, p.new_line)) return BAD_POSITION_MESSAGE;
    if (p.line_range !== undefined) {
      for (const end of [p.line_range.start, p.line_range.end]) {
        const line = state.diffLines[p.new_path]?.find((l) => l.old === end?.old_line && l.new === end?.new_line);
        const [old, now] = line?.code ?? [end?.old_line ?? 0, end?.new_line ?? 0];
        const code = `${createHash('sha1').update(p.new_path).digest('hex')}_${old}_${now}`;
        if (!end || end.line_code !== code || (end.type !== 'new' && end.type !== 'old') || !onDiffLine(p.new_path, end.old_line, end.new_line)) {
          return '400 Bad request - Note {:position=>["line_range is invalid"]}';
        }
      }
    }
    return undefined;
  }

  function onDiffLine(path: string, oldLine: unknown, newLine: unknown): boolean {
    if (oldLine === undefined && newLine === undefined) return false;
    const lines = state.diffLines[path];
    return !lines || lines.some((l) => l.old === oldLine && l.new === newLine);
  }

  function resolveDiscussion(r: FakeGitLabRequest, id: string): FakeReply {
    const discussion = state.discussions.find((d) => d.id === id);
    if (!discussion) return { status: 404, json: { message: '404 Not found' } };
    const resolved = r.query.resolved ?? String(r.body?.resolved);
    if (resolved !== 'true' && resolved !== 'false') return badRequest('resolved is missing');
    if (!discussion.notes.some((n) => n.resolvable)) return { status: 403, json: { message: '403 Forbidden' } };
    for (const note of discussion.notes) if (note.resolvable) note.resolved = resolved === 'true';
    return ok(discussion);
  }

  function paginate(r: FakeGitLabRequest, items: unknown[]): FakeReply {
    const perPage = Math.min(Math.max(Number(r.query.per_page ?? 20) || 20, 1), 100);
    const page = Math.max(Number(r.query.page ?? 1) || 1, 1);
    const totalPages = Math.max(Math.ceil(items.length / perPage), 1);
    const link = (p: number) => {
      const u = new URL(`${origin}${r.path}`);
      for (const [k, v] of Object.entries(r.query)) u.searchParams.set(k, v);
      u.searchParams.set('page', String(p));
      u.searchParams.set('per_page', String(perPage));
      return u.toString();
    };
    const rels = [...(page > 1 ? [`<${link(page - 1)}>; rel="prev"`] : []), ...(page < totalPages ? [`<${link(page + 1)}>; rel="next"`] : [])];
    rels.push(`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`);
    return {
      status: 200,
      json: items.slice((page - 1) * perPage, page * perPage),
      headers: {
        'x-page': String(page),
        'x-per-page': String(perPage),
        'x-total': String(items.length),
        'x-total-pages': String(totalPages),
        'x-next-page': page < totalPages ? String(page + 1) : '',
        'x-prev-page': page > 1 ? String(page - 1) : '',
        link: rels.join(', '),
      },
    };
  }

  const server = await startFakeServer((r) => asSent(route(r)), { target: rawTarget, jsonType: 'application/json', strictClose: true });
  origin = server.url;
  state.mergeRequest.web_url ||= `${origin}/${state.project.path}/-/merge_requests/${state.mergeRequest.iid}`;

  return {
    url: origin,
    apiUrl: `${origin}${API}`,
    requests: server.requests,
    state,
    failNext(match, reply, times = 1) {
      if (times > 0) server.fail((r) => requestMatches(match, r, 'endsWith'), asSent(reply), times);
    },
    addNote(body, opts = {}) {
      return newDiscussion(newNote(body, { ...(opts.author && { author: opts.author }), system: opts.system ?? false }), true).notes[0]!;
    },
    addDiscussion(body, opts = {}) {
      const note = newNote(body, {
        type: opts.position ? 'DiffNote' : 'DiscussionNote',
        resolvable: true,
        resolved: opts.resolved ?? false,
        ...(opts.author && { author: opts.author }),
        ...(opts.position && { position: opts.position }),
      });
      return newDiscussion(note, false);
    },
    notes: allNotes,
    close: server.close,
  };
}

/** Deterministic timestamps: one second per id. */
function stamp(id: number): string {
  return new Date(Date.UTC(2026, 0, 1) + id * 1000).toISOString();
}

function ok(json: unknown): FakeReply {
  return { status: 200, json };
}

function created(json: unknown): FakeReply {
  return { status: 201, json };
}

function badRequest(message: string): FakeReply {
  return { status: 400, json: { message } };
}

function notFound(): FakeReply {
  return { status: 404, json: { error: '404 Not Found' } };
}

/** What the fake sends for a reply: a string payload as text, without a content type; a missing one as an empty body. */
function asSent(reply: FakeReply): Reply {
  const payload = reply.json ?? reply.text ?? '';
  return typeof payload === 'string' ? { status: reply.status, text: payload, headers: reply.headers } : { status: reply.status, json: payload, headers: reply.headers };
}
