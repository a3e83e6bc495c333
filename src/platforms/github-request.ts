import type { Octokit } from '@octokit/rest';
import { LoomError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { isTimeout, MAX_RATE_LIMIT_WAIT_MS, noAnswerIn, PlatformHttpError, PLATFORM_TIMEOUT_MS } from './http.ts';

/** What @octokit/request throws (RequestError); read by shape because the class lives in a transitive package. */
interface OctokitErrorShape {
  status: number;
  message: string;
  request?: { method?: string; url?: string };
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
  cause?: unknown;
}

const MAX_RETRIES = 3;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH']);
/** GitHub asks clients to wait at least a minute when a rate-limit answer carries no header saying how long. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * @octokit/rest ships without the retry and throttling plugins, so this hook does both jobs: it retries rate-limit
 * answers (429, and 403s that say they are rate limits) after the wait GitHub asks for, up to a minute, retries 5xx
 * and network failures for idempotent methods, gives each attempt PLATFORM_TIMEOUT_MS (`timeoutMs`) and does not retry
 * one that ran out, and turns every failure into a PlatformHttpError or LoomError whose message is redacted.
 */
export function installGitHubRequestHook(octokit: Pick<Octokit, 'hook'>, opts: { log: Logger; sleep: (ms: number) => Promise<void>; now?: () => number; timeoutMs?: number }): void {
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? PLATFORM_TIMEOUT_MS;
  octokit.hook.wrap('request', async (request, options) => {
    options.headers = { ...options.headers, 'x-github-api-version': '2022-11-28' };
    const method = String(options.method ?? 'GET').toUpperCase();
    const given = options.request?.signal;
    for (let attempt = 0; ; attempt++) {
      // Set on `options` itself: the hooks octokit wraps inside this one were bound to this object, and a copy
      // passed down would be ignored.
      options.request = { ...options.request, signal: given ?? AbortSignal.timeout(timeoutMs) };
      try {
        return await request(options);
      } catch (raw) {
        const error = raw as OctokitErrorShape;
        if (typeof error?.status !== 'number') throw raw;
        if (!error.response && (isTimeout(raw) || isTimeout(error.cause))) {
          throw new LoomError('platform-http', `${method} ${endpointOf(error)}: ${noAnswerIn(timeoutMs)} (is the GitHub API reachable?)`, { cause: raw });
        }
        const wait = retryDelay(error, method, attempt, now());
        if (wait !== undefined && attempt < MAX_RETRIES) {
          opts.log.debug(`${method} ${endpointOf(error)}: ${error.response ? error.status : 'network error'}, retrying in ${Math.ceil(wait / 1000)} s`);
          await opts.sleep(wait);
          continue;
        }
        throw toLoomError(error, method, opts.log);
      }
    }
  });
}

/** How long to wait before retrying, or undefined when the failure is final. */
function retryDelay(error: OctokitErrorShape, method: string, attempt: number, now: number): number | undefined {
  if (!error.response) return IDEMPOTENT.has(method) ? backoff(attempt) : undefined;
  const headers = error.response.headers ?? {};
  if (error.status === 429 || (error.status === 403 && isRateLimit403(headers, error.response.data))) {
    const wait = headerWait(headers, now) ?? DEFAULT_RATE_LIMIT_WAIT_MS;
    return wait <= MAX_RATE_LIMIT_WAIT_MS ? wait : undefined;
  }
  // A POST that failed with 5xx may still have created the review; retrying could post it twice.
  if (error.status >= 500 && IDEMPOTENT.has(method)) return backoff(attempt);
  return undefined;
}

function backoff(attempt: number): number {
  return Math.min(1000 * 2 ** attempt, 8000);
}

/** retry-after (seconds or an HTTP date), else x-ratelimit-reset (epoch seconds) when the budget is spent. */
function headerWait(headers: Record<string, string | undefined>, now: number): number | undefined {
  const after = headers['retry-after'];
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = Number(headers['x-ratelimit-reset']);
  if (headers['x-ratelimit-remaining'] === '0' && reset > 0) return Math.max(0, reset * 1000 - now);
  return undefined;
}

/** A 403 is a rate limit only when GitHub says so; otherwise it is a permission error and must surface. */
function isRateLimit403(headers: Record<string, string | undefined>, data: unknown): boolean {
  if (headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined) return true;
  return /rate limit/i.test(messageOf(data));
}

function toLoomError(error: OctokitErrorShape, method: string, log: Logger): Error {
  const endpoint = endpointOf(error);
  if (!error.response) {
    return new LoomError('platform-http', `${method} ${endpoint}: ${log.redact(error.message)} (is the GitHub API reachable?)`, { cause: error });
  }
  const detail = log.redact(errorDetail(error.response.data) || error.message).slice(0, 500);
  return new PlatformHttpError({ status: error.status, method, endpoint, detail });
}

function endpointOf(error: OctokitErrorShape): string {
  try {
    return new URL(error.request?.url ?? '').pathname;
  } catch {
    return error.request?.url ?? '(unknown endpoint)';
  }
}

function messageOf(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string') return (data as { message: string }).message;
  return '';
}

/**
 * `message` plus the `errors` list, which is where GitHub says which anchor it refused:
 * `Unprocessable Entity: Line could not be resolved`, `Validation Failed: pull_request_review_thread.line must be part of the diff`.
 */
export function errorDetail(data: unknown): string {
  const message = messageOf(data).replace(/\s+/g, ' ').trim();
  const errors = data && typeof data === 'object' ? (data as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors) || errors.length === 0) return message;
  const parts = errors.map((e) => {
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object') {
      const { field, message: m, code } = e as { field?: unknown; message?: unknown; code?: unknown };
      return [field, m ?? code].filter((x) => typeof x === 'string' && x).join(' ') || JSON.stringify(e);
    }
    return String(e);
  });
  return `${message}: ${parts.join('; ')}`;
}
