import type { MergeRequests } from '@gitbeaker/rest';
import { LoomError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { isTimeout, MAX_RATE_LIMIT_WAIT_MS, noAnswerIn, PlatformHttpError, PLATFORM_TIMEOUT_MS, retryWait } from './http.ts';

type GitbeakerOptions = ConstructorParameters<typeof MergeRequests>[0];
/** What gitbeaker resources take as `requesterFn`: builds the object their RequestHelper calls get/post/... on. */
export type GitbeakerRequesterFn = NonNullable<GitbeakerOptions['requesterFn']>;
type Requester = ReturnType<GitbeakerRequesterFn>;
type RequestOptions = NonNullable<Parameters<Requester['get']>[1]>;
interface Formatted {
  body: unknown;
  headers: Record<string, string>;
  status: number;
}

export interface GitLabRequesterOptions {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  log: Logger;
  /** The variable the token came from, named in 401/403 messages (never its value). */
  tokenVar?: string;
  maxRetries?: number;
  /** Per attempt, so a long retry-after wait does not eat into the next attempt's time. */
  timeoutMs?: number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/**
 * gitbeaker's own requester calls the global fetch, retries 429 up to ten times with sub-millisecond waits while
 * ignoring retry-after, and retries 502 on POST (which can double-post a comment). This one keeps gitbeaker's
 * resources and endpoint building but runs on the injected fetch and sleep, honours retry-after up to a minute,
 * retries 5xx only for idempotent methods, and throws PlatformHttpError with the token redacted.
 */
export function createGitLabRequester(opts: GitLabRequesterOptions): GitbeakerRequesterFn {
  const maxRetries = opts.maxRetries ?? 3;
  const timeoutMs = opts.timeoutMs ?? PLATFORM_TIMEOUT_MS;
  return (service) => {
    const base = service.url.endsWith('/') ? service.url : `${service.url}/`;
    const send =
      (method: string) =>
      async (endpoint: string, options: RequestOptions = {}): Promise<Formatted> => {
        const url = new URL(endpoint, base);
        for (const [key, value] of Object.entries(options.searchParams ?? {})) {
          if (value !== undefined && value !== null) url.searchParams.set(snakeCase(key), String(value));
        }
        const headers: Record<string, string> = { accept: 'application/json', ...service.headers };
        for (const [name, value] of Object.entries(service.authHeaders)) headers[name] = await value();
        if (options.sudo !== undefined) headers.sudo = String(options.sudo);
        let body: string | FormData | undefined;
        if (options.body instanceof FormData) body = options.body;
        else if (options.body && Object.keys(options.body).length > 0) {
          body = JSON.stringify(snakeKeys(options.body));
          headers['content-type'] = 'application/json';
        }
        return request(method, url, { headers, ...(body !== undefined && { body }), ...(options.signal && { signal: options.signal }) });
      };
    return { get: send('GET'), post: send('POST'), put: send('PUT'), patch: send('PATCH'), delete: send('DELETE') } as unknown as Requester;
  };

  async function request(method: string, url: URL, init: { headers: Record<string, string>; body?: string | FormData; signal?: AbortSignal }): Promise<Formatted> {
    const endpoint = url.pathname;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await opts.fetch(url, { method, ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        // A POST that failed in flight may still have created the note, so only idempotent calls are retried.
        if (attempt < maxRetries && IDEMPOTENT.has(method) && !isTimeout(error)) {
          await opts.sleep(backoff(attempt));
          continue;
        }
        const why = isTimeout(error) ? noAnswerIn(timeoutMs) : opts.log.redact(error instanceof Error ? error.message : String(error));
        throw new LoomError('platform-http', `${method} ${endpoint}: ${why} (is GitLab at ${url.origin} reachable?)`, { cause: error });
      }
      if (response.ok) return { body: await parseBody(response), headers: Object.fromEntries(response.headers.entries()), status: response.status };
      const wait = retryWait(response, attempt);
      const retryable = response.status === 429 || (response.status >= 500 && IDEMPOTENT.has(method));
      if (retryable && attempt < maxRetries && wait <= MAX_RATE_LIMIT_WAIT_MS) {
        opts.log.debug(`${method} ${endpoint}: ${response.status}, retrying in ${Math.ceil(wait / 1000)} s`);
        await response.body?.cancel();
        await opts.sleep(wait);
        continue;
      }
      const said = opts.log.redact(errorText(await response.text().catch(() => '')));
      const detail = response.status === 401 || response.status === 403 ? `${gitlabAuthHint(response.status, opts.tokenVar)} GitLab said: ${said}` : said;
      throw new PlatformHttpError({ status: response.status, method, endpoint, detail });
    }
  }
}

/** Why a token was refused and what to do about it: the one GitLab setup step users regularly miss. */
export function gitlabAuthHint(status: number, tokenVar?: string): string {
  const source = tokenVar ? ` in ${tokenVar}` : '';
  const what =
    status === 401
      ? `GitLab did not accept the token${source} (HTTP 401: invalid, expired or revoked).`
      : `GitLab refused the token${source} (HTTP 403): it lacks the api scope or the Reporter role.`;
  return `${what} CI_JOB_TOKEN cannot post merge request notes: create a project access token with the api scope (Reporter or higher) and store it as a masked CI/CD variable LOOM_GITLAB_TOKEN.`;
}

async function parseBody(response: Response): Promise<unknown> {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return (response.headers.get('content-type') ?? '').includes('json') ? {} : '';
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** GitLab errors are `{"message": "..."}` or `{"message": {field: [...]}}`; OAuth ones `{"error", "error_description"}`. */
function errorText(text: string): string {
  try {
    const json: unknown = JSON.parse(text);
    if (json && typeof json === 'object') {
      const { message, error_description: description, error } = json as Record<string, unknown>;
      const value = message ?? description ?? error;
      if (value !== undefined) return (typeof value === 'string' ? value : JSON.stringify(value)).slice(0, 500);
    }
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 300) || '(no body)';
}

function backoff(attempt: number): number {
  return Math.min(1000 * 2 ** attempt, 8000);
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** gitbeaker passes its own options camelCase (perPage, orderBy); payloads loom builds are snake_case already. */
function snakeKeys(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [snakeCase(k), v]));
}
