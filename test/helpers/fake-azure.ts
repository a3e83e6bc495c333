import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { json, parseJsonBody, requestMatches, startFakeServer, urlTarget, type FakeRequest, type RequestMatch } from './fake-server.ts';

/**
 * A fake Azure DevOps Git REST API 7.1 for one pull request, backed by in-memory threads. Speaks the endpoints
 * loom uses (pull request, iterations, iteration changes with paging, threads, thread comments), insists on
 * `api-version=7.1` and the bearer token like the real service, and records every request.
 */

/** `path` is decoded, without the query; `body` is parsed JSON, `undefined` when empty. */
export type RecordedRequest = FakeRequest;

/** `path`: a substring of, or a pattern for, the decoded path. */
export type FailMatch = RequestMatch;

export interface FailReply {
  status: number;
  json?: unknown;
  headers?: Record<string, string>;
}

export interface FakeAzureComment {
  id: number;
  parentCommentId: number;
  content: string;
  commentType: string;
  isDeleted: boolean;
  author: { id: string; displayName: string };
  publishedDate: string;
}

export interface FakeAzureThread {
  id: number;
  status: string;
  isDeleted: boolean;
  publishedDate: string;
  comments: FakeAzureComment[];
  threadContext: any;
  pullRequestThreadContext: any;
  properties: Record<string, { $type: string; $value: unknown }>;
}

export interface FakeAzureState {
  token: string;
  organization: string;
  project: string;
  repositoryId: string;
  repositoryName: string;
  /** False to leave `repository.webUrl` out of the pull request, as some older servers do. */
  includeWebUrl: boolean;
  pullRequest: { id: number; title: string; description: string; author: string; sourceCommit: string; targetCommit: string };
  iterations: { id: number; sourceCommit: string; targetCommit: string; commonCommit: string }[];
  /** The latest iteration's changes against the merge base, in the order the API lists them. */
  changes: { path: string; changeTrackingId: number; changeType: string }[];
  threads: FakeAzureThread[];
  nextThreadId: number;
}

export interface FakeAzure {
  /** The collection URI, with its trailing slash: `http://127.0.0.1:PORT/fabrikam/`. */
  url: string;
  requests: RecordedRequest[];
  state: FakeAzureState;
  close(): Promise<void>;
  /** The next `times` requests that match are answered with `reply` instead of being served. */
  failNext(match: FailMatch, reply: FailReply, times?: number): void;
}

const STATUSES = ['unknown', 'active', 'fixed', 'wontFix', 'closed', 'byDesign', 'pending'];
const COMMENT_TYPES = ['unknown', 'text', 'codeChange', 'system'];
const BUILD_IDENTITY = { id: '0b1e2c3d-0000-4000-8000-000000000001', displayName: 'Fabrikam Build Service (fabrikam)' };

/** Seeds a thread as an earlier run (or a person) left it; returns it so a test can refer to its ids. */
export function seedThread(
  state: FakeAzureState,
  init: { content: string; status?: string; isDeleted?: boolean; commentType?: string; properties?: Record<string, string>; filePath?: string },
): FakeAzureThread {
  const id = state.nextThreadId++;
  const thread: FakeAzureThread = {
    id,
    status: init.status ?? 'active',
    isDeleted: init.isDeleted ?? false,
    publishedDate: dateFor(id),
    comments: [
      {
        id: 1,
        parentCommentId: 0,
        content: init.content,
        commentType: init.commentType ?? 'text',
        isDeleted: init.isDeleted ?? false,
        author: BUILD_IDENTITY,
        publishedDate: dateFor(id),
      },
    ],
    threadContext: init.filePath ? { filePath: init.filePath, rightFileStart: { line: 1, offset: 1 }, rightFileEnd: { line: 1, offset: 1 } } : null,
    pullRequestThreadContext: null,
    properties: Object.fromEntries(Object.entries(init.properties ?? {}).map(([k, v]) => [k, { $type: 'System.String', $value: v }])),
  };
  state.threads.push(thread);
  return thread;
}

export async function startFakeAzure(overrides: Partial<FakeAzureState> = {}): Promise<FakeAzure> {
  const state: FakeAzureState = {
    token: 'azure-build-token',
    organization: 'fabrikam',
    project: 'Fabrikam Fiber',
    repositoryId: '3411ebc1-d5aa-464f-9615-0b527bc66719',
    repositoryName: 'fiber-api',
    includeWebUrl: true,
    pullRequest: { id: 22, title: 'Add retries', description: 'Retries the flaky call.', author: 'Normal Paulk', sourceCommit: 'b'.repeat(40), targetCommit: 'f'.repeat(40) },
    iterations: [
      { id: 1, sourceCommit: 'a'.repeat(40), targetCommit: 'f'.repeat(40), commonCommit: 'c'.repeat(40) },
      { id: 2, sourceCommit: 'b'.repeat(40), targetCommit: 'f'.repeat(40), commonCommit: 'd'.repeat(40) },
    ],
    changes: [{ path: '/src/a.ts', changeTrackingId: 1, changeType: 'edit' }],
    threads: [],
    nextThreadId: 100,
    ...overrides,
  };
  const server = await startFakeServer(
    (recorded, { req, origin }) => {
      if (req.headers.authorization !== `Bearer ${state.token}`) return json(401, { message: 'TF400813: The user is not authorized to access this resource.' });
      if (recorded.query['api-version'] !== '7.1') return json(400, { message: 'VssVersionOutOfRangeException: No api-version was supplied for the request.' });
      return serve(state, recorded, origin);
    },
    { target: urlTarget(decodeURIComponent), parseBody: parseJsonBody, errorJson: (error) => ({ message: `fake azure failed: ${String(error)}` }) },
  );

  return {
    url: `${server.url}/${state.organization}/`,
    requests: server.requests,
    state,
    failNext: (match, reply, times = 1) =>
      server.fail((r) => requestMatches(match, r), json(reply.status, reply.json ?? { message: `injected ${reply.status}` }, reply.headers), times),
    close: server.close,
  };
}

function serve(state: FakeAzureState, req: RecordedRequest, origin: string): { status: number; json?: unknown } {
  const prefix = `/${state.organization}/${state.project}/_apis/git/repositories/${state.repositoryId}/pullRequests/${state.pullRequest.id}`;
  if (req.path !== prefix && !req.path.startsWith(`${prefix}/`)) return notFound(req);
  const rest = req.path.slice(prefix.length).split('/').filter(Boolean);
  const route = `${req.method} /${rest.map((s) => (/^\d+$/.test(s) ? ':id' : s)).join('/')}`;
  const apiBase = `${origin}/${state.organization}/_apis/git/repositories/${state.repositoryId}`;
  switch (route) {
    case 'GET /':
      return { status: 200, json: pullRequestJson(state, origin, apiBase) };
    case 'GET /iterations':
      return { status: 200, json: { count: state.iterations.length, value: state.iterations.map(iterationJson) } };
    case 'GET /iterations/:id/changes':
      return changesPage(state, req);
    case 'GET /threads':
      return { status: 200, json: { count: state.threads.length, value: state.threads } };
    case 'POST /threads':
      return createThread(state, req.body);
    case 'PATCH /threads/:id': {
      const thread = state.threads.find((t) => t.id === Number(rest[1]));
      if (!thread) return notFound(req);
      if (req.body?.status !== undefined) {
        const status = enumName(req.body.status, STATUSES);
        if (!status) return badRequest(`invalid status ${JSON.stringify(req.body.status)}`);
        thread.status = status;
      }
      return { status: 200, json: thread };
    }
    case 'PATCH /threads/:id/comments/:id':
    case 'DELETE /threads/:id/comments/:id': {
      const thread = state.threads.find((t) => t.id === Number(rest[1]));
      const comment = thread?.comments.find((c) => c.id === Number(rest[3]));
      if (!thread || !comment || comment.isDeleted) return notFound(req);
      if (req.method === 'DELETE') {
        comment.isDeleted = true;
        thread.isDeleted = thread.comments.every((c) => c.isDeleted);
        return { status: 200 };
      }
      if (typeof req.body?.content !== 'string') return badRequest('content is required');
      comment.content = req.body.content;
      return { status: 200, json: comment };
    }
    default:
      return notFound(req);
  }
}

function pullRequestJson(state: FakeAzureState, origin: string, apiBase: string) {
  const pr = state.pullRequest;
  const webUrl = `${origin}/${state.organization}/${encodeURIComponent(state.project)}/_git/${state.repositoryName}`;
  return {
    pullRequestId: pr.id,
    status: 'active',
    title: pr.title,
    description: pr.description,
    createdBy: { id: 'd6245f20-2af8-44f4-9451-8107cb2767db', displayName: pr.author },
    repository: { id: state.repositoryId, name: state.repositoryName, url: apiBase, ...(state.includeWebUrl && { webUrl }) },
    lastMergeSourceCommit: { commitId: pr.sourceCommit },
    lastMergeTargetCommit: { commitId: pr.targetCommit },
    url: `${apiBase}/pullRequests/${pr.id}`,
  };
}

function iterationJson(it: FakeAzureState['iterations'][number]) {
  return { id: it.id, sourceRefCommit: { commitId: it.sourceCommit }, targetRefCommit: { commitId: it.targetCommit }, commonRefCommit: { commitId: it.commonCommit } };
}

/** `$top` defaults to 100 and is capped at 2000, as the 7.1 description says. */
function changesPage(state: FakeAzureState, req: RecordedRequest): { status: number; json?: unknown } {
  const iteration = Number(req.path.split('/').at(-2));
  const last = Math.max(...state.iterations.map((i) => i.id));
  if (iteration !== last) return badRequest(`the fake only knows the changes of iteration ${last}`);
  const top = Math.min(Number(req.query.$top ?? 100), 2000);
  const skip = Number(req.query.$skip ?? 0);
  const slice = state.changes.slice(skip, skip + top);
  const more = skip + top < state.changes.length;
  return {
    status: 200,
    json: {
      changeEntries: slice.map((c) => ({ changeTrackingId: c.changeTrackingId, changeId: c.changeTrackingId, item: { path: c.path }, changeType: c.changeType })),
      nextSkip: more ? skip + top : 0,
      nextTop: more ? top : 0,
    },
  };
}

function createThread(state: FakeAzureState, body: any): { status: number; json?: unknown } {
  const first = body?.comments?.[0];
  if (typeof first?.content !== 'string') return badRequest('a thread needs a first comment with content');
  const status = enumName(body.status ?? 'active', STATUSES);
  const commentType = enumName(first.commentType ?? 'text', COMMENT_TYPES);
  if (!status || !commentType) return badRequest('invalid status or commentType');
  const ctx = body.threadContext;
  if (ctx) {
    const change = state.changes.find((c) => c.path === ctx.filePath);
    if (!change) return badRequest(`TF401174: The item '${ctx.filePath}' could not be found in the pull request.`);
    if (body.pullRequestThreadContext?.changeTrackingId !== change.changeTrackingId) return badRequest('changeTrackingId does not match the file');
  }
  const id = state.nextThreadId++;
  const thread: FakeAzureThread = {
    id,
    status,
    isDeleted: false,
    publishedDate: dateFor(id),
    comments: [{ id: 1, parentCommentId: 0, content: first.content, commentType, isDeleted: false, author: BUILD_IDENTITY, publishedDate: dateFor(id) }],
    threadContext: ctx ?? null,
    pullRequestThreadContext: body.pullRequestThreadContext ?? null,
    properties: body.properties ?? {},
  };
  state.threads.push(thread);
  return { status: 200, json: thread };
}

/** The service takes an enum by name or by number and always answers with the name. */
function enumName(value: unknown, names: string[]): string | undefined {
  if (typeof value === 'number') return names[value];
  return typeof value === 'string' ? names.find((n) => n.toLowerCase() === value.toLowerCase()) : undefined;
}

function dateFor(id: number): string {
  return new Date(Date.UTC(2026, 0, 1) + id * 60_000).toISOString();
}

function notFound(req: RecordedRequest) {
  return { status: 404, json: { message: `fake azure: no route for ${req.method} ${req.path}` } };
}

function badRequest(message: string) {
  return { status: 400, json: { message, typeKey: 'InvalidArgumentValueException' } };
}

/** The Azure DevOps Git 7.1 description in the shared reference folder next to the repo; absent on most machines. */
export const AZURE_SPEC_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/specs/azure-devops/git-7.1.json');
export const hasAzureSpec = existsSync(AZURE_SPEC_PATH);

let azureDefinitions: Record<string, any> | undefined;

/**
 * Errors (empty when valid) of `body` against a definition of the Azure spec (`GitPullRequestCommentThread`,
 * `Comment`, ...). The property bag stays open: its keys are loom's own.
 */
export function validateAzureBody(definition: string, body: unknown): string[] {
  // The file starts with a UTF-8 byte order mark, which JSON.parse refuses.
  azureDefinitions ??= JSON.parse(readFileSync(AZURE_SPEC_PATH, 'utf8').replace(/^\uFEFF/, '')).definitions as Record<string, any>;
  return compileSpecDefinitions(azureDefinitions, { pointer: '#/definitions/', name: definition, open: ['PropertiesCollection'] })(body);
}

// Both packages are CommonJS with `exports.default`; under NodeNext the default import is `module.exports`.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
const compiledDefinitions = new Map<string, ValidateFunction>();

/**
 * Compiles one named schema of a Swagger 2 `definitions` or OpenAPI 3 `components.schemas` map. Ajv follows the
 * `$ref`s itself (the schemas are recursive, so they cannot be inlined). Every object is closed, because the specs
 * leave them open and a misspelt field would otherwise pass; `allOf` chains are first merged into one object,
 * since closing each part would refuse the other parts' fields. `open` names bags to leave open; `optional`
 * drops names from every `required` list. Also used by fake-bitbucket.ts.
 */
export function compileSpecDefinitions(
  schemas: Record<string, any>,
  opts: { pointer: '#/definitions/' | '#/components/schemas/'; name: string; open?: string[]; optional?: string[] },
): (value: unknown) => string[] {
  const key = `${opts.pointer}${opts.name}|${(opts.open ?? []).join(',')}|${(opts.optional ?? []).join(',')}`;
  let validate = compiledDefinitions.get(key);
  if (!validate) {
    const closed: Record<string, any> = {};
    const merge = (schema: any, seen: string[]): any => {
      if (typeof schema?.$ref === 'string') {
        const name = schema.$ref.slice(opts.pointer.length);
        if (seen.includes(name)) throw new Error(`allOf cycle through ${name}`);
        return merge(schemas[name], [...seen, name]);
      }
      if (!Array.isArray(schema?.allOf)) return schema;
      const parts = [...schema.allOf.map((p: any) => merge(p, seen)), { ...schema, allOf: undefined }];
      return {
        type: 'object',
        properties: Object.assign({}, ...parts.map((p: any) => p?.properties ?? {})),
        required: parts.flatMap((p: any) => p?.required ?? []),
      };
    };
    for (const [name, schema] of Object.entries(schemas)) {
      const merged = merge(schema, [name]);
      const required = (merged.required ?? []).filter((r: string) => !(opts.optional ?? []).includes(r));
      closed[name] =
        merged.properties && !(opts.open ?? []).includes(name)
          ? { ...merged, required, additionalProperties: false }
          : { ...merged, ...(merged.required && { required }) };
    }
    const root = opts.pointer === '#/definitions/' ? { definitions: closed } : { components: { schemas: closed } };
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    // Swagger's numeric formats; the type check already covers what matters.
    for (const format of ['int16', 'int32', 'int64', 'uint64', 'double', 'float']) ajv.addFormat(format, { type: 'number', validate: () => true });
    for (const format of ['uuid', 'byte']) ajv.addFormat(format, true);
    validate = ajv.compile({ $ref: `${opts.pointer}${opts.name}`, ...root });
    compiledDefinitions.set(key, validate);
  }
  const v = validate;
  return (value) => (v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'} ${JSON.stringify(e.params)}`));
}
