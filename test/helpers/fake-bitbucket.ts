import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSpecDefinitions, type FailMatch, type FailReply, type RecordedRequest } from './fake-azure.ts';
import { json, parseJsonBody, requestMatches, startFakeServer, urlTarget } from './fake-server.ts';

export type { FailMatch, FailReply, RecordedRequest } from './fake-azure.ts';

/**
 * A fake Bitbucket Cloud REST 2.0 API for one pull request, backed by in-memory comments. Speaks the endpoints
 * loom uses (pull request, merge base, comments with `next`-link paging and `q=deleted=false`, resolve), checks
 * the bearer token, and records every request.
 */

export interface FakeBitbucketComment {
  type: 'pullrequest_comment';
  id: number;
  created_on: string;
  updated_on: string;
  content: { type: 'rendered'; raw: string; markup: 'markdown'; html: string };
  user: { type: 'user'; display_name: string; uuid: string };
  deleted: boolean;
  inline?: { path: string; from: number | null; to: number | null; start_from?: number | null; start_to?: number | null };
  parent?: { id: number };
  resolution?: { type: 'comment_resolution'; user: { display_name: string }; created_on: string };
  pending: boolean;
}

export interface FakeBitbucketState {
  token: string;
  workspace: string;
  slug: string;
  pullRequest: { id: number; title: string; description: string; author: string; sourceHash: string; destinationHash: string };
  /** What GET …/merge-base answers; undefined answers 404. */
  mergeBase?: string;
  comments: FakeBitbucketComment[];
  nextCommentId: number;
}

export interface FakeBitbucket {
  /** The API base, like https://api.bitbucket.org/2.0: `http://127.0.0.1:PORT/2.0`. */
  url: string;
  requests: RecordedRequest[];
  state: FakeBitbucketState;
  close(): Promise<void>;
  /** The next `times` requests that match are answered with `reply` instead of being served. */
  failNext(match: FailMatch, reply: FailReply, times?: number): void;
}

const BOT = { type: 'user' as const, display_name: 'loom-bot', uuid: '{5c1b6a1e-0000-4000-8000-000000000002}' };

/** Seeds a comment as an earlier run (or a person) left it; returns it so a test can refer to its id. */
export function seedComment(
  state: FakeBitbucketState,
  init: { raw: string; inline?: { path: string; to?: number; from?: number }; parent?: number; deleted?: boolean; resolved?: boolean },
): FakeBitbucketComment {
  const comment = makeComment(state, init.raw, init.inline);
  if (init.parent !== undefined) comment.parent = { id: init.parent };
  if (init.deleted) comment.deleted = true;
  if (init.resolved) comment.resolution = { type: 'comment_resolution', user: { display_name: 'Reviewer' }, created_on: comment.created_on };
  state.comments.push(comment);
  return comment;
}

export async function startFakeBitbucket(overrides: Partial<FakeBitbucketState> = {}): Promise<FakeBitbucket> {
  const state: FakeBitbucketState = {
    token: 'bitbucket-access-token',
    workspace: 'acme',
    slug: 'api',
    pullRequest: { id: 5, title: 'Add retries', description: 'Retries the flaky call.', author: 'Ada Lovelace', sourceHash: 'b1b2b3b4b5b6', destinationHash: 'd1d2d3d4d5d6' },
    mergeBase: 'c'.repeat(40),
    comments: [],
    nextCommentId: 1000,
    ...overrides,
  };
  const server = await startFakeServer(
    (recorded, { req, origin, url }) => {
      if (req.headers.authorization !== `Bearer ${state.token}`) return json(401, errorJson('Access token expired. Use your refresh token to obtain a new access token.'));
      return serve(state, recorded, `${origin}${url.pathname}`);
    },
    { target: urlTarget(decodeURIComponent), parseBody: parseJsonBody, errorJson: (error) => errorJson(`fake bitbucket failed: ${String(error)}`) },
  );

  return {
    url: `${server.url}/2.0`,
    requests: server.requests,
    state,
    failNext: (match, reply, times = 1) =>
      server.fail((r) => requestMatches(match, r), json(reply.status, reply.json ?? errorJson(`injected ${reply.status}`), reply.headers), times),
    close: server.close,
  };
}

function serve(state: FakeBitbucketState, req: RecordedRequest, selfUrl: string): { status: number; json?: unknown } {
  const repo = `/2.0/repositories/${state.workspace}/${state.slug}`;
  if (req.method === 'GET' && req.path.startsWith(`${repo}/merge-base/`)) {
    return state.mergeBase ? { status: 200, json: { type: 'commit', hash: state.mergeBase } } : notFound(req);
  }
  const prefix = `${repo}/pullrequests/${state.pullRequest.id}`;
  if (req.path !== prefix && !req.path.startsWith(`${prefix}/`)) return notFound(req);
  const rest = req.path.slice(prefix.length).split('/').filter(Boolean);
  const route = `${req.method} /${rest.map((s) => (/^\d+$/.test(s) ? ':id' : s)).join('/')}`;
  const comment = rest[1] === undefined ? undefined : state.comments.find((c) => c.id === Number(rest[1]) && !c.deleted);
  switch (route) {
    case 'GET /':
      return { status: 200, json: pullRequestJson(state) };
    case 'GET /comments':
      return commentsPage(state, req, selfUrl);
    case 'POST /comments':
      return createComment(state, req.body);
    case 'PUT /comments/:id':
      if (!comment) return notFound(req);
      if (typeof req.body?.content?.raw !== 'string') return badRequest('content.raw is required');
      comment.content = rendered(req.body.content.raw);
      return { status: 200, json: comment };
    case 'DELETE /comments/:id':
      if (!comment) return notFound(req);
      comment.deleted = true;
      return { status: 204 };
    case 'POST /comments/:id/resolve':
      if (!comment) return notFound(req);
      if (comment.resolution) return { status: 409, json: errorJson('Comment is already resolved') };
      comment.resolution = { type: 'comment_resolution', user: { display_name: BOT.display_name }, created_on: comment.created_on };
      return { status: 200, json: comment.resolution };
    default:
      return notFound(req);
  }
}

function pullRequestJson(state: FakeBitbucketState) {
  const pr = state.pullRequest;
  const html = `https://bitbucket.org/${state.workspace}/${state.slug}/pull-requests/${pr.id}`;
  return {
    type: 'pullrequest',
    id: pr.id,
    title: pr.title,
    description: pr.description,
    state: 'OPEN',
    author: { type: 'user', display_name: pr.author },
    source: { branch: { name: 'feature' }, commit: { type: 'commit', hash: pr.sourceHash } },
    destination: { branch: { name: 'main' }, commit: { type: 'commit', hash: pr.destinationHash } },
    links: { html: { href: html } },
  };
}

/** `pagelen` defaults to 10 and is capped at 100; `next` is an absolute URL carrying the original query. */
function commentsPage(state: FakeBitbucketState, req: RecordedRequest, selfUrl: string): { status: number; json?: unknown } {
  const q = req.query.q;
  if (q !== undefined && q !== 'deleted=false') return badRequest(`the fake only understands q=deleted=false, not ${q}`);
  const pagelen = Math.min(Number(req.query.pagelen ?? 10), 100);
  const page = Number(req.query.page ?? 1);
  const all = state.comments.filter((c) => q === undefined || !c.deleted);
  const values = all.slice((page - 1) * pagelen, page * pagelen);
  const next = new URL(selfUrl);
  for (const [k, v] of Object.entries({ ...req.query, page: String(page + 1) })) next.searchParams.set(k, v);
  return {
    status: 200,
    json: { pagelen, page, size: all.length, values, ...(page * pagelen < all.length && { next: next.toString() }) },
  };
}

function createComment(state: FakeBitbucketState, body: any): { status: number; json?: unknown } {
  if (typeof body?.content?.raw !== 'string') return badRequest('content.raw is required');
  const inline = body.inline;
  if (inline !== undefined) {
    const lines = ['from', 'to', 'start_from', 'start_to'].filter((k) => inline[k] !== undefined);
    if (typeof inline.path !== 'string' || (inline.to === undefined && inline.from === undefined) || lines.some((k) => !(Number.isInteger(inline[k]) && inline[k] >= 1))) {
      return badRequest('Invalid inline comment');
    }
  }
  const comment = makeComment(state, body.content.raw, inline);
  state.comments.push(comment);
  return { status: 201, json: comment };
}

function makeComment(state: FakeBitbucketState, raw: string, inline?: { path: string; to?: number; from?: number; start_to?: number; start_from?: number }): FakeBitbucketComment {
  const id = state.nextCommentId++;
  const date = new Date(Date.UTC(2026, 0, 1) + id * 60_000).toISOString();
  return {
    type: 'pullrequest_comment',
    id,
    created_on: date,
    updated_on: date,
    content: rendered(raw),
    user: BOT,
    deleted: false,
    ...(inline && {
      inline: {
        path: inline.path,
        from: inline.from ?? null,
        to: inline.to ?? null,
        ...(inline.start_from !== undefined && { start_from: inline.start_from }),
        ...(inline.start_to !== undefined && { start_to: inline.start_to }),
      },
    }),
    pending: false,
  };
}

function rendered(raw: string): FakeBitbucketComment['content'] {
  return { type: 'rendered', raw, markup: 'markdown', html: `<p>${raw.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>` };
}

function errorJson(message: string) {
  return { type: 'error', error: { message } };
}

function notFound(req: RecordedRequest) {
  return { status: 404, json: errorJson(`fake bitbucket: no route for ${req.method} ${req.path}`) };
}

function badRequest(message: string) {
  return { status: 400, json: errorJson(message) };
}

/** The Bitbucket Cloud OpenAPI 3 description in the shared reference folder next to the repo; absent on most machines. */
export const BITBUCKET_SPEC_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/specs/bitbucket-cloud/swagger.v3.json');
export const hasBitbucketSpec = existsSync(BITBUCKET_SPEC_PATH);

let bitbucketSchemas: Record<string, any> | undefined;

/**
 * Errors (empty when valid) of `body` against a schema of the Bitbucket spec (`pullrequest_comment`, ...).
 * `type` is dropped from `required`: the spec requires it on every object because it is the discriminator of
 * responses, while Bitbucket's own request examples leave it out.
 */
export function validateBitbucketBody(schema: string, body: unknown): string[] {
  bitbucketSchemas ??= JSON.parse(readFileSync(BITBUCKET_SPEC_PATH, 'utf8').replace(/^\uFEFF/, '')).components.schemas as Record<string, any>;
  return compileSpecDefinitions(bitbucketSchemas, { pointer: '#/components/schemas/', name: schema, optional: ['type'] })(body);
}
