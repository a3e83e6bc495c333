import { describe, expect, it } from 'vitest';
import { ChatConnectionError, ChatHttpError, ChatTimeoutError } from '../../src/llm/chat-endpoint.ts';
import { isRetryable, MAX_BACKOFF_MS, retryWait } from '../../src/llm/retry.ts';

const httpError = (status: number, headers: Record<string, string> = {}) => new ChatHttpError(status, `${status} x`, { headers: new Headers(headers) });
const clock = { now: () => Date.parse('2025-01-01T00:00:00Z'), random: () => 0 };

describe('isRetryable', () => {
  it.each([408, 409, 429, 500, 502, 503, 504])('retries %i', (status) => {
    expect(isRetryable(httpError(status))).toBe(true);
  });
  it.each([400, 401, 403, 404, 422])('does not retry %i', (status) => {
    expect(isRetryable(httpError(status))).toBe(false);
  });
  it('retries connection errors, timeouts and cut answers, not aborts or other errors', () => {
    expect(isRetryable(new ChatConnectionError('reset'))).toBe(true);
    expect(isRetryable(new ChatTimeoutError())).toBe(true);
    expect(isRetryable(new TypeError('terminated'))).toBe(true);
    expect(isRetryable(new DOMException('This operation was aborted', 'AbortError'))).toBe(false);
    expect(isRetryable(new Error('bug'))).toBe(false);
  });
  it('does not retry a connection refused for a certificate that cannot be verified', () => {
    const failed = (code: string) => new ChatConnectionError('connection error', { cause: Object.assign(new Error(code.toLowerCase()), { code }) });
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
      expect(isRetryable(failed(code))).toBe(false);
    }
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE']) expect(isRetryable(failed(code))).toBe(true);
  });
});

describe('retryWait', () => {
  it('takes retry-after seconds, retry-after-ms first, and an HTTP date', () => {
    expect(retryWait(httpError(429, { 'retry-after': '2' }), 0, 500, clock)).toEqual({ ms: 2000, capped: false, askedMs: 2000, fromServer: true });
    expect(retryWait(httpError(429, { 'retry-after': '2', 'retry-after-ms': '150' }), 0, 500, clock).ms).toBe(150);
    expect(retryWait(httpError(503, { 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }), 0, 500, clock).ms).toBe(5000);
    expect(retryWait(httpError(503, { 'retry-after': 'Tue, 31 Dec 2024 00:00:05 GMT' }), 0, 500, clock).ms).toBe(0);
  });

  it('caps what the server asks at 60 s', () => {
    expect(retryWait(httpError(429, { 'retry-after': '120' }), 0, 500, clock)).toEqual({ ms: 60_000, capped: true, askedMs: 120_000, fromServer: true });
  });

  it('backs off exponentially without a header, up to the maximum, with at most 25% jitter', () => {
    expect([0, 1, 2, 3, 10].map((n) => retryWait(httpError(500), n, 500, clock).ms)).toEqual([500, 1000, 2000, 4000, MAX_BACKOFF_MS]);
    expect(retryWait(httpError(500), 0, 500, { ...clock, random: () => 0.999999 }).ms).toBe(375);
    expect(retryWait(new ChatConnectionError('x'), 1, 10, clock)).toEqual({ ms: 20, capped: false, fromServer: false });
  });

  it('ignores an unreadable retry-after', () => {
    expect(retryWait(httpError(429, { 'retry-after': 'soon' }), 0, 100, clock)).toEqual({ ms: 100, capped: false, fromServer: false });
  });
});
