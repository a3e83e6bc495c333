/**
 * A fake Gitea / Forgejo REST API (`/api/v1`) on 127.0.0.1 (random port), backed by in-memory state.
 *
 *   const gt = await startFakeGitea({ token: 't', flavor: 'forgejo', diff: { 'src/a.ts': { new: [1, 2] } } });
 *   // ci.apiUrl = gt.url (ends in /api/v1), ci.repo = `${gt.owner}/${gt.repo}`, ci.prNumber = gt.index
 *   gt.requests            every request: method, path (without /api/v1), query, definition (the swagger body
 *                          definition the body should match), headers, body
 *   gt.state               { pullRequest, issueComments, reviews, reviewComments }; seed with the add* helpers
 *   gt.failNext(method, /regex on the path/, status, body?, headers?)   answer the next matching request with an error
 *   gt.close()
 *
 * Behaviour copied from Gitea: `Authorization: token X` (401 otherwise, when `token` is set); the issue-comments
 * list ignores `page`/`limit` and returns everything (Gitea's handler does not paginate it; set
 * `paginateIssueComments` to page it anyway), the reviews list pages with `page`/`limit` (default 30, max 50) and
 * sets `x-total-count`; review comments report the new line as `position` and the old one as `original_position`;
 * `extra_lines_count` is kept only by the forgejo flavor. Assumed, not verified on a live instance: a review with a
 * comment off the diff (`diff` option) fails as a whole with 422 and creates nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSpecSchema } from './fake-github.ts';
import { empty, findRoute, json, startFakeServer, urlTarget, type FakeRequest, type PathRoute, type Reply } from './fake-server.ts';

export interface GtUser {
  id: number;
  login: string;
}

export interface GtComment {
  id: number;
  body: string;
  user: GtUser;
  created_at: string;
  updated_at: string;
}

export interface GtReview {
  id: number;
  body: string;
  state: string;
  commit_id: string;
  user: GtUser;
}

export interface GtReviewComment {
  id: number;
  pull_request_review_id: number;
  path: string;
  body: string;
  /** New-side line, 0 when on the old side. */
  position: number;
  /** Old-side line, 0 when on the new side. */
  original_position: number;
  extra_lines_count?: number;
  commit_id: string;
  user: GtUser;
  resolver: GtUser | null;
}

export interface GtPullRequest {
  number: number;
  title: string;
  body: string;
  user: GtUser;
  head: { sha: string; ref: string };
  base: { sha: string; ref: string };
  merge_base: string;
}

export interface FakeGiteaState {
  pullRequest: GtPullRequest;
  issueComments: GtComment[];
  reviews: GtReview[];
  reviewComments: GtReviewComment[];
}

/** `path` is without the `/api/v1` prefix. */
export interface GtRecordedRequest extends FakeRequest {
  /** Swagger definition of the JSON body (`CreatePullReviewOptions`, ...), for the routes that take one. */
  definition?: string;
}

export interface FakeGiteaOptions {
  flavor?: 'gitea' | 'forgejo';
  owner?: string;
  repo?: string;
  index?: number;
  token?: string;
  /** The token's user. Default `loom-bot`. */
  login?: string;
  headSha?: string;
  /** Commentable lines per path. Absent: every line is commentable. */
  diff?: Record<string, { new?: number[]; old?: number[] }>;
  paginateIssueComments?: boolean;
}

export interface FakeGitea {
  /** Base URL including `/api/v1`. */
  url: string;
  owner: string;
  repo: string;
  index: number;
  bot: GtUser;
  requests: GtRecordedRequest[];
  state: FakeGiteaState;
  addIssueComment(body: string, user?: GtUser): GtComment;
  addReview(review: Partial<Omit<GtReview, 'id'>>): GtReview;
  addReviewComment(comment: Partial<Omit<GtReviewComment, 'id'>> & { body: string; pull_request_review_id: number }): GtReviewComment;
  failNext(method: string, path: RegExp, status: number, body?: unknown, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export const GT_HUMAN: GtUser = { id: 7, login: 'alice' };
const PREFIX = '/api/v1';

export async function startFakeGitea(opts: FakeGiteaOptions = {}): Promise<FakeGitea> {
  const owner = opts.owner ?? 'acme';
  const repo = opts.repo ?? 'api';
  const index = opts.index ?? 9;
  const forgejo = opts.flavor === 'forgejo';
  const bot: GtUser = { id: 3, login: opts.login ?? 'loom-bot' };
  let lastId = 500;
  const nextId = () => ++lastId;
  const stamp = (id: number) => new Date(Date.UTC(2024, 0, 1) + id * 1000).toISOString();
  const state: FakeGiteaState = {
    pullRequest: {
      number: index,
      title: 'Add retries',
      body: 'Retries failed uploads.',
      user: GT_HUMAN,
      head: { sha: opts.headSha ?? 'd'.repeat(40), ref: 'feature' },
      base: { sha: 'c'.repeat(40), ref: 'main' },
      merge_base: 'e'.repeat(40),
    },
    issueComments: [],
    reviews: [],
    reviewComments: [],
  };

  const addIssueComment = (body: string, user: GtUser = bot): GtComment => {
    const id = nextId();
    const comment = { id, body, user, created_at: stamp(id), updated_at: stamp(id) };
    state.issueComments.push(comment);
    return comment;
  };
  const addReview = (review: Partial<Omit<GtReview, 'id'>>): GtReview => {
    const created: GtReview = { id: nextId(), body: '', state: 'COMMENT', commit_id: state.pullRequest.head.sha, user: bot, ...review };
    state.reviews.push(created);
    return created;
  };
  const addReviewComment = (comment: Partial<Omit<GtReviewComment, 'id'>> & { body: string; pull_request_review_id: number }): GtReviewComment => {
    const created: GtReviewComment = {
      id: nextId(),
      path: 'src/a.ts',
      position: 1,
      original_position: 0,
      commit_id: state.pullRequest.head.sha,
      user: bot,
      resolver: null,
      ...comment,
    };
    state.reviewComments.push(created);
    return created;
  };

  const base = `/repos/${owner}/${repo}`;
  const routes: Route[] = [
    { method: 'GET', path: `${base}/pulls/${index}`, handle: (ctx) => json(200, pullJson(state.pullRequest, owner, repo)) },
    {
      method: 'GET',
      path: `${base}/issues/${index}/comments`,
      handle: (ctx) => {
        const all = state.issueComments.map(commentJson);
        return opts.paginateIssueComments ? ctx.page(all) : json(200, all, { 'x-total-count': String(all.length) });
      },
    },
    {
      method: 'POST',
      path: `${base}/issues/${index}/comments`,
      definition: 'CreateIssueCommentOption',
      handle: (ctx) => {
        if (typeof ctx.body?.body !== 'string') return json(422, apiError('body is required'));
        return json(201, commentJson(addIssueComment(ctx.body.body)));
      },
    },
    {
      method: 'PATCH',
      path: new RegExp(`^${base}/issues/comments/(\\d+)$`),
      definition: 'EditIssueCommentOption',
      handle: (ctx) => {
        const comment = state.issueComments.find((c) => c.id === Number(ctx.params[0]));
        if (!comment) return json(404, apiError('The target couldn\'t be found.'));
        if (comment.user.login !== bot.login) return json(403, apiError('user should have permission to edit comment'));
        comment.body = ctx.body.body;
        comment.updated_at = stamp(nextId());
        return json(200, commentJson(comment));
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^${base}/issues/comments/(\\d+)$`),
      handle: (ctx) => {
        const at = state.issueComments.findIndex((c) => c.id === Number(ctx.params[0]));
        if (at < 0) return json(404, apiError('The target couldn\'t be found.'));
        state.issueComments.splice(at, 1);
        return empty(204);
      },
    },
    { method: 'GET', path: `${base}/pulls/${index}/reviews`, handle: (ctx) => ctx.page(state.reviews.map((r) => reviewJson(r, state.reviewComments))) },
    {
      method: 'GET',
      path: new RegExp(`^${base}/pulls/${index}/reviews/(\\d+)/comments$`),
      handle: (ctx) => {
        const id = Number(ctx.params[0]);
        if (!state.reviews.some((r) => r.id === id)) return json(404, apiError('The target couldn\'t be found.'));
        return json(200, state.reviewComments.filter((c) => c.pull_request_review_id === id).map((c) => reviewCommentJson(c, forgejo)));
      },
    },
    {
      method: 'POST',
      path: `${base}/pulls/${index}/reviews`,
      definition: 'CreatePullReviewOptions',
      handle: (ctx) => {
        const body = ctx.body ?? {};
        const comments: any[] = Array.isArray(body.comments) ? body.comments : [];
        if (!['APPROVED', 'PENDING', 'COMMENT', 'REQUEST_CHANGES', 'REQUEST_REVIEW', undefined].includes(body.event)) return json(422, apiError(`unknown event ${body.event}`));
        for (const c of comments) {
          const error = anchorError(c, opts.diff);
          if (error) return json(422, apiError(error));
        }
        const review = addReview({ body: body.body ?? '', state: body.event ?? 'PENDING', commit_id: body.commit_id ?? state.pullRequest.head.sha });
        for (const c of comments) {
          addReviewComment({
            pull_request_review_id: review.id,
            path: c.path,
            body: c.body,
            position: c.new_position ?? 0,
            original_position: c.old_position ?? 0,
            ...(forgejo && c.extra_lines_count !== undefined ? { extra_lines_count: c.extra_lines_count } : {}),
            commit_id: review.commit_id,
          });
        }
        return json(200, reviewJson(review, state.reviewComments));
      },
    },
  ];

  const server = await startFakeServer<GtRecordedRequest>(
    (recorded, ctx) => {
      if (opts.token !== undefined && ctx.req.headers.authorization !== `token ${opts.token}`) return json(401, apiError('token is required'));
      if (!ctx.url.pathname.startsWith(PREFIX)) return json(404, apiError('not found'));
      const found = findRoute(routes, recorded.method, recorded.path);
      if (!found) return json(404, apiError('not found'));
      if (found.route.definition) recorded.definition = found.route.definition;
      return found.route.handle({
        params: found.params,
        body: recorded.body,
        page: (items) => {
          const limit = Math.min(50, Math.max(1, Number(ctx.url.searchParams.get('limit') ?? 30) || 30));
          const page = Math.max(1, Number(ctx.url.searchParams.get('page') ?? 1) || 1);
          return json(200, items.slice((page - 1) * limit, page * limit), { 'x-total-count': String(items.length) });
        },
      });
    },
    {
      target: urlTarget((pathname) => (pathname.startsWith(PREFIX) ? pathname.slice(PREFIX.length) : pathname)),
      jsonType: 'application/json;charset=utf-8',
      errorJson: (error) => apiError(`fake Gitea failed: ${String(error)}`),
    },
  );

  return {
    url: `${server.url}${PREFIX}`,
    owner,
    repo,
    index,
    bot,
    requests: server.requests,
    state,
    addIssueComment,
    addReview,
    addReviewComment,
    failNext: (method, path, status, body, headers = {}) =>
      server.fail((r) => r.method === method && path.test(r.path), json(status, body ?? apiError(`fake failure ${status}`), headers)),
    close: server.close,
  };
}

interface RouteContext {
  params: string[];
  body: any;
  page(items: unknown[]): Reply;
}

interface Route extends PathRoute {
  definition?: string;
  handle(ctx: RouteContext): Reply;
}

function anchorError(c: any, diff: FakeGiteaOptions['diff']): string | undefined {
  if (typeof c?.path !== 'string' || typeof c.body !== 'string') return 'path and body are required';
  const onNew = (c.new_position ?? 0) > 0;
  const line = onNew ? c.new_position : c.old_position;
  if (!(line > 0)) return `no line for ${c.path}`;
  if (!diff) return undefined;
  const lines = (onNew ? diff[c.path]?.new : diff[c.path]?.old) ?? [];
  if (!lines.includes(line)) return `line ${line} of ${c.path} is not part of the diff`;
  const end = line + (c.extra_lines_count ?? 0);
  if (!lines.includes(end)) return `line ${end} of ${c.path} is not part of the diff`;
  return undefined;
}

function apiError(message: string) {
  return { message, url: 'https://gitea.example/api/swagger' };
}

function userJson(user: GtUser) {
  return { id: user.id, login: user.login, full_name: '', email: `${user.login}@noreply.example` };
}

function pullJson(pr: GtPullRequest, owner: string, repo: string) {
  return {
    id: 1000 + pr.number,
    number: pr.number,
    state: 'open',
    title: pr.title,
    body: pr.body,
    user: userJson(pr.user),
    html_url: `https://gitea.example/${owner}/${repo}/pulls/${pr.number}`,
    head: { sha: pr.head.sha, ref: pr.head.ref, label: pr.head.ref },
    base: { sha: pr.base.sha, ref: pr.base.ref, label: pr.base.ref },
    merge_base: pr.merge_base,
  };
}

function commentJson(c: GtComment) {
  return { id: c.id, body: c.body, user: userJson(c.user), created_at: c.created_at, updated_at: c.updated_at, html_url: `https://gitea.example/c/${c.id}` };
}

function reviewJson(r: GtReview, comments: GtReviewComment[]) {
  return {
    id: r.id,
    body: r.body,
    state: r.state,
    commit_id: r.commit_id,
    user: userJson(r.user),
    comments_count: comments.filter((c) => c.pull_request_review_id === r.id).length,
    stale: false,
    official: false,
    dismissed: false,
  };
}

function reviewCommentJson(c: GtReviewComment, forgejo: boolean) {
  return {
    id: c.id,
    pull_request_review_id: c.pull_request_review_id,
    path: c.path,
    body: c.body,
    position: c.position,
    original_position: c.original_position,
    ...(forgejo ? { extra_lines_count: c.extra_lines_count ?? 0 } : {}),
    commit_id: c.commit_id,
    original_commit_id: c.commit_id,
    user: userJson(c.user),
    resolver: c.resolver ? userJson(c.resolver) : null,
    diff_hunk: '@@ -1 +1 @@',
  };
}

const here = dirname(fileURLToPath(import.meta.url));
export const GITEA_SPEC_PATH = resolve(here, '../../../shared/specs/gitea/swagger.v1.json');
export const FORGEJO_SPEC_PATH = resolve(here, '../../../shared/specs/forgejo/swagger.v1.json');
export const hasGiteaSpecs = existsSync(GITEA_SPEC_PATH) && existsSync(FORGEJO_SPEC_PATH);

const specs = new Map<string, unknown>();

/** Errors (empty when valid) of `body` against a swagger definition of the Gitea or Forgejo spec, objects closed. */
export function validateGiteaBody(flavor: 'gitea' | 'forgejo', definition: string, body: unknown): string[] {
  const path = flavor === 'gitea' ? GITEA_SPEC_PATH : FORGEJO_SPEC_PATH;
  let spec = specs.get(path) as any;
  if (!spec) {
    spec = JSON.parse(readFileSync(path, 'utf8'));
    specs.set(path, spec);
  }
  const schema = spec.definitions?.[definition];
  if (!schema) return [`no definition ${definition} in the ${flavor} spec`];
  return compileSpecSchema(spec, { $ref: `#/definitions/${definition}` }, `${flavor} ${definition}`)(body);
}
