import { ChatConnectionError, ChatHttpError } from './chat-endpoint.ts';

/** A server asking for more than this is still retried, after this long: a CI job should not hang for minutes. */
export const MAX_RETRY_AFTER_MS = 60_000;
/** Upper bound of loom's own exponential backoff (when the server gives no retry-after). */
export const MAX_BACKOFF_MS = 8_000;
export const DEFAULT_RETRY_BASE_MS = 500;

/** 429, 5xx, 408/409 and connection failures (timeouts included) are worth another try; the rest will not change. */
export function isRetryable(error: unknown): boolean {
  // A certificate that cannot be checked now cannot be checked in a second either.
  if (error instanceof ChatConnectionError) return !isCertificateCode(connectionDetail(error));
  if (isCutConnection(error)) return true;
  if (error instanceof ChatHttpError) {
    const s = error.status;
    return s === 408 || s === 409 || s === 429 || s >= 500;
  }
  return false;
}

/** Node's codes for a TLS certificate it could not verify (self-signed, unknown issuer, expired, wrong name). */
export function isCertificateCode(code: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_(?:GET|VERIFY)/.test(code);
}

/**
 * What a failed connection says of itself ("ECONNREFUSED", "other side closed", a certificate's code): the code, or
 * else the message, of the deepest of its causes (the socket's error, a cause or two down).
 */
export function connectionDetail(error: ChatConnectionError): string {
  let cause: unknown = error.cause;
  let detail = '';
  for (let depth = 0; cause instanceof Error && depth < 4; depth++) {
    const code = (cause as { code?: unknown }).code;
    detail = typeof code === 'string' ? code : cause.message;
    cause = cause.cause;
  }
  return detail;
}

export interface RetryWait {
  ms: number;
  /** The server asked for longer than MAX_RETRY_AFTER_MS. */
  capped: boolean;
  /** What the server asked for, before the cap. */
  askedMs?: number;
  /** The wait came from retry-after / retry-after-ms rather than loom's backoff. */
  fromServer: boolean;
}

/**
 * How long to wait before retry number `retry` (0 for the first retry). The server's retry-after-ms or
 * retry-after (seconds or HTTP date) wins; otherwise exponential backoff from `baseMs` with up to 25% jitter,
 * so concurrent calls that failed together do not come back together.
 */
export function retryWait(
  error: unknown,
  retry: number,
  baseMs: number,
  clock: { now: () => number; random: () => number } = { now: Date.now, random: Math.random },
): RetryWait {
  const asked = serverWaitMs(error, clock.now());
  if (asked !== undefined) {
    return asked > MAX_RETRY_AFTER_MS
      ? { ms: MAX_RETRY_AFTER_MS, capped: true, askedMs: asked, fromServer: true }
      : { ms: asked, capped: false, askedMs: asked, fromServer: true };
  }
  const backoff = Math.min(baseMs * 2 ** retry, MAX_BACKOFF_MS);
  return { ms: Math.round(backoff * (1 - clock.random() * 0.25)), capped: false, fromServer: false };
}

function serverWaitMs(error: unknown, now: number): number | undefined {
  if (!(error instanceof ChatHttpError)) return undefined;
  const ms = error.headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value)) return Math.max(0, value);
  }
  const after = error.headers.get('retry-after');
  if (after === null || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * A connection that closed while the answer's body was being read: undici throws `TypeError: terminated`
 * (cause UND_ERR_SOCKET or ECONNRESET), and loom's own client the same. It is as retryable as a refused connection.
 */
export function isCutConnection(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return error.message === 'terminated' || code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}
