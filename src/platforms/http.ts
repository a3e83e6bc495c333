import { LoomError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** A platform API answered with an error status. `status` drives the fallbacks (403 read-only token, 422 bad anchor). */
export class PlatformHttpError extends LoomError {
  readonly status: number;
  readonly method: string;
  readonly endpoint: string;
  /** The API's error text, truncated and redacted. */
  readonly detail: string;
  constructor(opts: { status: number; method: string; endpoint: string; detail: string }) {
    super(opts.status === 401 || opts.status === 403 ? 'platform-auth' : 'platform-http', `${opts.method} ${opts.endpoint}: ${opts.status} ${opts.detail}`);
    this.name = 'PlatformHttpError';
    this.status = opts.status;
    this.method = opts.method;
    this.endpoint = opts.endpoint;
    this.detail = opts.detail;
  }
}

export interface HttpResponse<T> {
  data: T;
  headers: Headers;
  status: number;
}

export interface HttpClient {
  /** `path` is appended to the base URL unless it is absolute (pagination `next` links). */
  request<T>(method: string, path: string, opts?: { query?: Record<string, string | number | undefined>; body?: unknown; headers?: Record<string, string> }): Promise<HttpResponse<T>>;
}

/** The longest loom waits for a rate limit to reset before giving up on a call. */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;
/**
 * How long one attempt at a platform call may take. Without it a server that accepts the connection and never
 * answers held the job for node's own limit, five minutes per attempt, with retries on top. Not retried: a server
 * that did not answer once is unlikely to now, and a POST that timed out may still have created the comment.
 */
export const PLATFORM_TIMEOUT_MS = 60_000;

/** Whether a fetch failed because its signal fired (its time ran out), not because the network did. */
export function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** What a timed-out call says, after `METHOD endpoint: `. */
export function noAnswerIn(ms: number): string {
  return `no answer in ${ms / 1000} s`;
}
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH']);

/**
 * The small typed fetch client shared by the Azure DevOps, Bitbucket and Gitea adapters. Retries 429 (any
 * method) and 5xx (idempotent methods only: a POST that timed out may still have created the comment) with
 * retry-after / x-ratelimit-reset honoured up to a minute.
 */
export function createHttp(opts: {
  baseUrl: string;
  headers: Record<string, string>;
  log: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  maxRetries?: number;
  /** Appended to 401/403 errors: what the user must change (map the token, grant a permission, ...). */
  authHint?: string;
  /** Per attempt (PLATFORM_TIMEOUT_MS by default). */
  timeoutMs?: number;
}): HttpClient {
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxRetries = opts.maxRetries ?? 3;
  const timeoutMs = opts.timeoutMs ?? PLATFORM_TIMEOUT_MS;
  const base = opts.baseUrl.replace(/\/+$/, '');
  return {
    async request<T>(method: string, path: string, req: Parameters<HttpClient['request']>[2] = {}) {
      const url = new URL(/^https?:\/\//.test(path) ? path : `${base}${path.startsWith('/') ? '' : '/'}${path}`);
      for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
      const endpoint = `${url.pathname}`;
      for (let attempt = 0; ; attempt++) {
        let response: Response;
        try {
          response = await doFetch(url, {
            method,
            headers: { accept: 'application/json', ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers, ...req.headers },
            ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
            signal: AbortSignal.timeout(timeoutMs),
          });
        } catch (error) {
          if (attempt < maxRetries && IDEMPOTENT.has(method) && !isTimeout(error)) {
            await sleep(backoff(attempt));
            continue;
          }
          const why = isTimeout(error) ? noAnswerIn(timeoutMs) : opts.log.redact(error instanceof Error ? error.message : String(error));
          throw new LoomError('platform-http', `${method} ${endpoint}: ${why} (is the API at ${base} reachable?)`, { cause: error });
        }
        if (response.ok) {
          const text = await response.text();
          return { data: (text ? JSON.parse(text) : undefined) as T, headers: response.headers, status: response.status };
        }
        const wait = retryWait(response, attempt);
        const retryable = response.status === 429 || (response.status >= 500 && IDEMPOTENT.has(method)) || isRateLimited403(response);
        if (retryable && attempt < maxRetries && wait <= MAX_RATE_LIMIT_WAIT_MS) {
          opts.log.debug(`${method} ${endpoint}: ${response.status}, retrying in ${Math.ceil(wait / 1000)} s`);
          await response.body?.cancel();
          await sleep(wait);
          continue;
        }
        let detail = opts.log.redact(errorDetail(await response.text().catch(() => '')));
        if (opts.authHint && (response.status === 401 || response.status === 403)) detail = `${detail.replace(/[.\s]+$/, '')}. To fix: ${opts.authHint}`;
        throw new PlatformHttpError({ status: response.status, method, endpoint, detail });
      }
    },
  };
}

function backoff(attempt: number): number {
  return Math.min(1000 * 2 ** attempt, 8000);
}

/** retry-after (seconds or an HTTP date), else x-ratelimit-reset (epoch seconds), else exponential backoff. */
export function retryWait(response: Response, attempt: number, now = Date.now()): number {
  const after = response.headers.get('retry-after');
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = Number(response.headers.get('x-ratelimit-reset'));
  if (reset > 0 && response.headers.get('x-ratelimit-remaining') === '0') return Math.max(0, reset * 1000 - now);
  return backoff(attempt);
}

function isRateLimited403(response: Response): boolean {
  return response.status === 403 && (response.headers.get('x-ratelimit-remaining') === '0' || response.headers.has('retry-after'));
}

/** The message field of the usual JSON error shapes, else the start of the text. */
function errorDetail(text: string): string {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const error = json.error as Record<string, unknown> | string | undefined;
    const message = json.message ?? (typeof error === 'object' ? error?.message : error) ?? json.errors;
    if (message !== undefined) return (typeof message === 'string' ? message : JSON.stringify(message)).slice(0, 500);
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 300) || '(no body)';
}

/**
 * A failure that concerns one comment (a position the platform will not take, a server error on that POST),
 * as opposed to auth and rate limiting, which concern every comment and are thrown: one odd comment never
 * costs the rest.
 */
export function refusesOnlyThisComment(error: unknown): error is PlatformHttpError {
  return error instanceof PlatformHttpError && ![401, 403, 429].includes(error.status);
}

/** Awaits a request whose listed failure statuses mean "nothing left to do" (already deleted, already resolved). */
export async function settled(request: Promise<unknown>, statuses: readonly number[]): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (!(error instanceof PlatformHttpError && statuses.includes(error.status))) throw error;
  }
}
