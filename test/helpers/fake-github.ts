/**
 * A fake GitHub REST API on 127.0.0.1 (random port), backed by in-memory state, for adapter and end-to-end tests.
 *
 *   const gh = await startFakeGitHub({ token: 'ghs_x', diff: { 'src/a.ts': { RIGHT: [1, 2, 3] } } });
 *   // ci.apiUrl = gh.url, ci.repo = `${gh.owner}/${gh.repo}`, ci.prNumber = gh.number
 *   gh.requests            every request in arrival order: method, path, query, operation (the OpenAPI path), headers, body
 *   gh.state               { pullRequest, issueComments, reviews, reviewComments }: read it, or seed it (add* helpers)
 *   gh.failNext(method, /regex on the path/, status, body?, headers?)   answer the next matching request with an error
 *   gh.close()
 *
 * Behaviour it copies from GitHub: `per_page` (default 30, max 100) and `page` with `Link` headers; token auth
 * (401 "Bad credentials" when `token` is set and the request's differs); a review whose comment is not on a
 * commentable line of `diff` fails as a whole with 422 "Line could not be resolved" (nothing is created); a review
 * without `event` stays PENDING, and a new review while a PENDING one exists fails with 422 "User can only have
 * one pending review per pull request"; only PENDING reviews can be deleted; bodies over 65,536 characters are
 * refused. Pending reviews of other users are hidden, as on GitHub.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { empty, findRoute, json, startFakeServer, type FakeRequest, type PathRoute, type Reply } from './fake-server.ts';

export interface GhUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

export interface GhIssueComment {
  id: number;
  body: string;
  user: GhUser;
  created_at: string;
  updated_at: string;
}

export interface GhReview {
  id: number;
  user: GhUser;
  body: string;
  state: 'PENDING' | 'COMMENTED' | 'APPROVED' | 'CHANGES_REQUESTED';
  commit_id: string;
}

export interface GhReviewComment {
  id: number;
  pull_request_review_id: number;
  path: string;
  body: string;
  line: number;
  side: 'LEFT' | 'RIGHT';
  start_line: number | null;
  start_side: 'LEFT' | 'RIGHT' | null;
  commit_id: string;
  user: GhUser;
  created_at: string;
}

export interface GhPullRequest {
  number: number;
  title: string;
  body: string | null;
  user: GhUser;
  head: { sha: string; ref: string };
  base: { sha: string; ref: string };
}

export interface FakeGitHubState {
  pullRequest: GhPullRequest;
  issueComments: GhIssueComment[];
  reviews: GhReview[];
  reviewComments: GhReviewComment[];
}

export interface RecordedRequest extends FakeRequest {
  /** The OpenAPI path template the request matched (`/repos/{owner}/{repo}/pulls/{pull_number}/reviews`), if any. */
  operation?: string;
}

export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  number?: number;
  /** When set, requests must carry it (`token X` or `Bearer X`). */
  token?: string;
  /** The token's user, author of everything the adapter creates. Default `github-actions[bot]`. */
  login?: string;
  headSha?: string;
  baseSha?: string;
  /** Commentable lines per path and side. Absent: every line is commentable. */
  diff?: Record<string, { RIGHT?: number[]; LEFT?: number[] }>;
}

export interface FakeGitHub {
  url: string;
  owner: string;
  repo: string;
  number: number;
  bot: GhUser;
  requests: RecordedRequest[];
  state: FakeGitHubState;
  addIssueComment(body: string, user?: GhUser): GhIssueComment;
  addReview(review: Partial<Omit<GhReview, 'id'>>): GhReview;
  addReviewComment(comment: Partial<Omit<GhReviewComment, 'id'>> & { body: string }): GhReviewComment;
  /** The next request matching method and path gets `status` with `body` (default `{ message }`) and `headers`. */
  failNext(method: string, path: RegExp, status: number, body?: unknown, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export const HUMAN: GhUser = { login: 'octocat', id: 583231, type: 'User' };

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const owner = opts.owner ?? 'acme';
  const repo = opts.repo ?? 'api';
  const number = opts.number ?? 42;
  const bot: GhUser = { login: opts.login ?? 'github-actions[bot]', id: 41898282, type: opts.login ? 'User' : 'Bot' };
  let lastId = 1000;
  const nextId = () => ++lastId;
  const stamp = (id: number) => new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString();
  const state: FakeGitHubState = {
    pullRequest: {
      number,
      title: 'Add retries',
      body: 'Retries failed uploads.',
      user: HUMAN,
      head: { sha: opts.headSha ?? 'b'.repeat(40), ref: 'feature' },
      base: { sha: opts.baseSha ?? 'a'.repeat(40), ref: 'main' },
    },
    issueComments: [],
    reviews: [],
    reviewComments: [],
  };

  const addIssueComment = (body: string, user: GhUser = bot): GhIssueComment => {
    const id = nextId();
    const comment = { id, body, user, created_at: stamp(id), updated_at: stamp(id) };
    state.issueComments.push(comment);
    return comment;
  };
  const addReview = (review: Partial<Omit<GhReview, 'id'>>): GhReview => {
    const created: GhReview = { id: nextId(), user: bot, body: '', state: 'COMMENTED', commit_id: state.pullRequest.head.sha, ...review };
    state.reviews.push(created);
    return created;
  };
  const addReviewComment = (comment: Partial<Omit<GhReviewComment, 'id'>> & { body: string }): GhReviewComment => {
    const id = nextId();
    const created: GhReviewComment = {
      id,
      pull_request_review_id: 0,
      path: 'src/a.ts',
      line: 1,
      side: 'RIGHT',
      start_line: null,
      start_side: null,
      commit_id: state.pullRequest.head.sha,
      user: bot,
      created_at: stamp(id),
      ...comment,
    };
    state.reviewComments.push(created);
    return created;
  };

  const base = `/repos/${owner}/${repo}`;
  const routes: Route[] = [
    {
      method: 'GET',
      path: `${base}/pulls/${number}`,
      operation: '/repos/{owner}/{repo}/pulls/{pull_number}',
      handle: (ctx) => json(200, pullJson(state.pullRequest, ctx.origin, owner, repo)),
    },
    {
      method: 'GET',
      path: `${base}/issues/${number}/comments`,
      operation: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      handle: (ctx) => ctx.page(state.issueComments.map(issueCommentJson)),
    },
    {
      method: 'POST',
      path: `${base}/issues/${number}/comments`,
      operation: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      handle: (ctx) => {
        const error = bodyError(ctx.body?.body);
        if (error) return json(422, validationFailed('IssueComment', 'body', error));
        return json(201, issueCommentJson(addIssueComment(ctx.body.body)));
      },
    },
    {
      method: 'PATCH',
      path: new RegExp(`^${base}/issues/comments/(\\d+)$`),
      operation: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
      handle: (ctx) => {
        const comment = state.issueComments.find((c) => c.id === Number(ctx.params[0]));
        if (!comment) return json(404, notFound());
        if (comment.user.login !== bot.login) return json(403, { message: 'Resource not accessible by integration' });
        const error = bodyError(ctx.body?.body);
        if (error) return json(422, validationFailed('IssueComment', 'body', error));
        comment.body = ctx.body.body;
        comment.updated_at = stamp(nextId());
        return json(200, issueCommentJson(comment));
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^${base}/issues/comments/(\\d+)$`),
      operation: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
      handle: (ctx) => {
        const index = state.issueComments.findIndex((c) => c.id === Number(ctx.params[0]));
        if (index < 0) return json(404, notFound());
        state.issueComments.splice(index, 1);
        return empty(204);
      },
    },
    {
      method: 'GET',
      path: `${base}/pulls/${number}/comments`,
      operation: '/repos/{owner}/{repo}/pulls/{pull_number}/comments',
      handle: (ctx) => ctx.page(state.reviewComments.map(reviewCommentJson)),
    },
    {
      method: 'GET',
      path: `${base}/pulls/${number}/reviews`,
      operation: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      handle: (ctx) => ctx.page(state.reviews.filter((r) => r.state !== 'PENDING' || r.user.login === bot.login).map(reviewJson)),
    },
    {
      method: 'POST',
      path: `${base}/pulls/${number}/reviews`,
      operation: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      handle: (ctx) => {
        const body = ctx.body ?? {};
        if (state.reviews.some((r) => r.state === 'PENDING' && r.user.login === bot.login)) {
          return json(422, unprocessable('User can only have one pending review per pull request'));
        }
        const comments: any[] = Array.isArray(body.comments) ? body.comments : [];
        for (const c of comments) {
          const error = anchorError(c, opts.diff) ?? bodyError(c.body);
          if (error) return json(422, unprocessable(error));
        }
        if (body.body !== undefined && bodyError(body.body)) return json(422, unprocessable(bodyError(body.body)!));
        const review = addReview({
          body: body.body ?? '',
          state: body.event === undefined ? 'PENDING' : body.event === 'COMMENT' ? 'COMMENTED' : body.event === 'APPROVE' ? 'APPROVED' : 'CHANGES_REQUESTED',
          commit_id: body.commit_id ?? state.pullRequest.head.sha,
        });
        for (const c of comments) {
          addReviewComment({
            pull_request_review_id: review.id,
            path: c.path,
            body: c.body,
            line: c.line,
            side: c.side ?? 'RIGHT',
            start_line: c.start_line ?? null,
            start_side: c.start_line !== undefined ? (c.start_side ?? c.side ?? 'RIGHT') : null,
            commit_id: review.commit_id,
          });
        }
        return json(200, reviewJson(review));
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^${base}/pulls/${number}/reviews/(\\d+)$`),
      operation: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}',
      handle: (ctx) => {
        const review = state.reviews.find((r) => r.id === Number(ctx.params[0]));
        if (!review || (review.state === 'PENDING' && review.user.login !== bot.login)) return json(404, notFound());
        if (review.state !== 'PENDING') return json(422, unprocessable('Can not delete a non-pending pull request review'));
        state.reviews.splice(state.reviews.indexOf(review), 1);
        state.reviewComments = state.reviewComments.filter((c) => c.pull_request_review_id !== review.id);
        return json(200, reviewJson(review));
      },
    },
  ];

  const server = await startFakeServer<RecordedRequest>(
    (recorded, ctx) => {
      const { req } = ctx;
      const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
      if (opts.token !== undefined && !authorised(req.headers.authorization, opts.token)) {
        return json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
      }
      const found = findRoute(routes, recorded.method, recorded.path);
      if (!found) return json(404, notFound());
      recorded.operation = found.route.operation;
      return found.route.handle({ params: found.params, body: recorded.body, origin, page: (items) => pageReply(origin, ctx.url, items) });
    },
    { errorJson: (error) => ({ message: `fake GitHub failed: ${String(error)}` }) },
  );

  return {
    url: server.url,
    owner,
    repo,
    number,
    bot,
    requests: server.requests,
    state,
    addIssueComment,
    addReview,
    addReviewComment,
    failNext: (method, path, status, body, headers = {}) =>
      server.fail((r) => r.method === method && path.test(r.path), json(status, body ?? { message: `fake failure ${status}` }, headers)),
    close: server.close,
  };
}

interface RouteContext {
  params: string[];
  body: any;
  origin: string;
  page(items: unknown[]): Reply;
}

interface Route extends PathRoute {
  operation: string;
  handle(ctx: RouteContext): Reply;
}

function authorised(header: string | undefined, token: string): boolean {
  return header === `token ${token}` || header === `Bearer ${token}` || header === `bearer ${token}`;
}

/** GitHub pages with per_page (1..100, default 30) and page, and links the rest in a `Link` header. */
function pageReply(origin: string, url: URL, items: unknown[]): Reply {
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number, rel: string) => {
    const next = new URL(url.pathname, origin);
    for (const [k, v] of url.searchParams) if (k !== 'page') next.searchParams.set(k, v);
    next.searchParams.set('page', String(p));
    return `<${next.href}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return json(200, items.slice((page - 1) * perPage, page * perPage), links.length ? { link: links.join(', ') } : {});
}

function anchorError(c: any, diff: FakeGitHubOptions['diff']): string | undefined {
  if (typeof c?.path !== 'string') return 'Path could not be resolved';
  if (typeof c.line !== 'number') return 'Line could not be resolved';
  if (!diff) return undefined;
  const file = diff[c.path];
  if (!file) return 'Path could not be resolved';
  const lines = (side: unknown) => (side === 'LEFT' ? file.LEFT : file.RIGHT) ?? [];
  if (!lines(c.side).includes(c.line)) return 'Line could not be resolved';
  if (c.start_line !== undefined && !lines(c.start_side ?? c.side).includes(c.start_line)) return 'Start line could not be resolved';
  return undefined;
}

function bodyError(body: unknown): string | undefined {
  if (typeof body !== 'string' || body.length === 0) return "Body can't be blank";
  if (body.length > 65_536) return 'Body is too long (maximum is 65536 characters)';
  return undefined;
}

function unprocessable(message: string) {
  return { message: 'Unprocessable Entity', errors: [message], documentation_url: 'https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request', status: '422' };
}

function validationFailed(resource: string, field: string, message: string) {
  return { message: 'Validation Failed', errors: [{ resource, code: 'custom', field, message }], documentation_url: 'https://docs.github.com/rest', status: '422' };
}

function notFound() {
  return { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' };
}

function userJson(user: GhUser) {
  return { login: user.login, id: user.id, type: user.type, site_admin: false };
}

function pullJson(pr: GhPullRequest, origin: string, owner: string, repo: string) {
  return {
    number: pr.number,
    state: 'open',
    title: pr.title,
    body: pr.body,
    user: userJson(pr.user),
    html_url: `https://github.com/${owner}/${repo}/pull/${pr.number}`,
    url: `${origin}/repos/${owner}/${repo}/pulls/${pr.number}`,
    head: { sha: pr.head.sha, ref: pr.head.ref, label: `${owner}:${pr.head.ref}` },
    base: { sha: pr.base.sha, ref: pr.base.ref, label: `${owner}:${pr.base.ref}` },
  };
}

function issueCommentJson(c: GhIssueComment) {
  return { id: c.id, node_id: `IC_${c.id}`, body: c.body, user: userJson(c.user), created_at: c.created_at, updated_at: c.updated_at, html_url: `https://github.com/c/${c.id}` };
}

function reviewJson(r: GhReview) {
  return { id: r.id, node_id: `PRR_${r.id}`, user: userJson(r.user), body: r.body, state: r.state, commit_id: r.commit_id, html_url: `https://github.com/r/${r.id}` };
}

function reviewCommentJson(c: GhReviewComment) {
  return {
    id: c.id,
    node_id: `PRRC_${c.id}`,
    pull_request_review_id: c.pull_request_review_id,
    path: c.path,
    body: c.body,
    line: c.line,
    original_line: c.line,
    side: c.side,
    start_line: c.start_line,
    start_side: c.start_side,
    commit_id: c.commit_id,
    original_commit_id: c.commit_id,
    user: userJson(c.user),
    created_at: c.created_at,
    updated_at: c.created_at,
    html_url: `https://github.com/rc/${c.id}`,
  };
}

/** GitHub's OpenAPI description in the shared reference folder next to the repo; absent on most machines. */
export const GITHUB_SPEC_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/specs/github/api.github.com.json');
export const hasGitHubSpec = existsSync(GITHUB_SPEC_PATH);

let githubSpec: any;

/**
 * Errors (empty when valid) of `body` against the JSON request body schema of `method operation` in GitHub's
 * OpenAPI description. Objects are closed (no properties beyond those the spec lists), so a misspelt field fails.
 */
export function validateGitHubBody(method: string, operation: string, body: unknown): string[] {
  githubSpec ??= JSON.parse(readFileSync(GITHUB_SPEC_PATH, 'utf8'));
  const op = githubSpec.paths?.[operation]?.[method.toLowerCase()];
  const schema = op?.requestBody?.content?.['application/json']?.schema;
  if (!schema) return [`no JSON request body schema for ${method} ${operation}`];
  return compileSpecSchema(githubSpec, schema, `github ${method} ${operation}`)(body);
}

// Both packages are CommonJS with `exports.default`; under NodeNext the default import is `module.exports`.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
const compiled = new Map<string, ValidateFunction>();

/**
 * Compiles a schema taken from an OpenAPI 3 or Swagger 2 document: local `$ref`s are inlined (Ajv cannot reach
 * into a document it was not given) and every plain object schema is closed with `additionalProperties: false`,
 * since the specs leave objects open and a misspelt field would otherwise pass. Cached by `key`.
 * Also used by fake-gitea.ts.
 */
export function compileSpecSchema(document: any, schema: unknown, key: string): (value: unknown) => string[] {
  let validate = compiled.get(key);
  if (!validate) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    // Swagger's integer formats; the type check already covers what matters.
    for (const format of ['int32', 'int64', 'uint64']) ajv.addFormat(format, { type: 'number', validate: Number.isInteger });
    validate = ajv.compile(inline(document, schema, 0) as object);
    compiled.set(key, validate);
  }
  const v = validate;
  return (value) => (v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'} ${JSON.stringify(e.params)}`));
}

function inline(document: any, node: unknown, depth: number): unknown {
  if (depth > 40) throw new Error('schema $ref nesting too deep');
  if (Array.isArray(node)) return node.map((n) => inline(document, n, depth));
  if (!node || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  if (typeof obj.$ref === 'string') {
    const target = obj.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<any>((at, part) => at?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);
    if (target === undefined) throw new Error(`unresolved $ref ${obj.$ref}`);
    return inline(document, target, depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    // Example values and vendor extensions are not schemas; `properties` maps names to schemas.
    if (k === 'example' || k === 'examples' || k.startsWith('x-')) continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, inline(document, s, depth)])) : inline(document, v, depth);
  }
  const combined = 'allOf' in out || 'anyOf' in out || 'oneOf' in out;
  if (out.properties && !combined && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}
