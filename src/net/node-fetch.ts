import { exchange, type ExchangeReply } from './exchange.ts';

/**
 * `fetch` for JSON APIs over loom's own HTTP/1.1 client (exchange.ts, http1.ts), with keep-alive sockets.
 *
 * Why not the global fetch: undici compiles its HTTP parser (WebAssembly) on the first request, and a process that
 * exits soon after waits for that compile (about 80 ms here, in every run), and each request costs a few ms of
 * main-thread time more.
 *
 * It keeps fetch's contract where callers look: it resolves once the whole body is in (the APIs loom calls answer
 * with small JSON); a connection that fails before an answer rejects with `TypeError('fetch failed', { cause })`;
 * one cut while the body arrives resolves with a body whose read throws `TypeError('terminated', { cause })`; an
 * aborted signal rejects with the signal's reason. Bodies other than strings and bytes (streams, forms) and
 * non-HTTP URLs go to the global fetch.
 */
export const nodeFetch: typeof fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
  const body = init?.body ?? undefined;
  if (url === undefined || !/^https?:/i.test(url) || (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))) {
    return fetch(input, init);
  }
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => {
    headers[name] = value;
  });
  const reply = await exchange(new URL(url), {
    headers,
    body: body as string | Uint8Array | null | undefined,
    ...(init?.method ? { method: init.method } : {}),
    ...(init?.signal ? { signal: init.signal } : {}),
    ...(init?.redirect ? { redirect: init.redirect } : {}),
  });
  return toResponse(reply);
};

const NULL_BODY = new Set([101, 204, 205, 304]);

function toResponse(reply: ExchangeReply): Response {
  const headers = new Headers();
  for (const [name, value] of reply.headers) headers.append(name, value);
  const failure = reply.bodyError;
  const body = failure
    ? new ReadableStream<Uint8Array>({
        start(controller) {
          controller.error(failure);
        },
      })
    : reply.body;
  const response = new Response(NULL_BODY.has(reply.status) ? null : body, { status: reply.status, statusText: reply.statusText, headers });
  // fetch's Response knows the URL that answered (after redirects); a constructed one does not.
  Object.defineProperty(response, 'url', { value: reply.url.href });
  return response;
}
