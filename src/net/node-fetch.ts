import http from 'node:http';
import https from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/**
 * `fetch` for JSON APIs over node:http and node:https, with keep-alive sockets.
 *
 * Why not the global fetch: undici compiles its HTTP parser (WebAssembly) on the first request, and a process that
 * exits soon after waits for that compile (about 80 ms here, in every run), and each request costs a few ms of
 * main-thread time more than node:http. loom makes hundreds of calls on a large pull request, all from the same
 * thread that plans the next units.
 *
 * It keeps fetch's contract where callers look: it resolves once the whole body is in (the APIs loom calls answer
 * with small JSON); a connection that fails before an answer rejects with `TypeError('fetch failed', { cause })`;
 * one cut while the body arrives resolves with a body whose read throws `TypeError('terminated', { cause })`; an
 * aborted signal rejects with the signal's reason. Bodies other than strings and bytes (streams, forms) and
 * non-HTTP URLs go to the global fetch.
 */
export const nodeFetch: typeof fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
  const body = init?.body ?? undefined;
  if (url === undefined || !/^https?:/i.test(url) || (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))) {
    return fetch(input, init);
  }
  return follow(new URL(url), init ?? {}, body as string | Uint8Array | null | undefined);
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;

/** Redirects are followed as fetch follows them (`redirect: 'follow'`, its default); 'manual' hands them back. */
async function follow(url: URL, init: RequestInit, body: string | Uint8Array | null | undefined): Promise<Response> {
  for (let hops = 0; ; hops++) {
    const res = await request(url, init, body);
    const location = res.headers.get('location');
    if (!REDIRECTS.has(res.status) || location === null || init.redirect === 'manual') return res;
    if (init.redirect === 'error' || hops >= MAX_REDIRECTS) throw new TypeError('fetch failed', { cause: new Error(`redirect to ${location} refused`) });
    const next = new URL(location, url);
    const method = (init.method ?? 'GET').toUpperCase();
    // 303, and 301/302 after a POST, turn into a GET without a body; 307 and 308 repeat the request as it was.
    const asGet = res.status === 303 ? method !== 'HEAD' : (res.status === 301 || res.status === 302) && method === 'POST';
    const headers = new Headers(init.headers);
    if (asGet) for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) headers.delete(name);
    // Credentials stay with the origin they were meant for.
    if (next.origin !== url.origin) headers.delete('authorization');
    init = { ...init, headers, ...(asGet ? { method: 'GET' } : {}) };
    if (asGet) body = undefined;
    url = next;
  }
}

const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

function request(url: URL, init: RequestInit, body: string | Uint8Array | null | undefined): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  if (body !== undefined && body !== null) headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  const protocol = url.protocol as keyof typeof agents;
  const send = protocol === 'https:' ? https.request : http.request;

  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      req.destroy();
      if (!settled) {
        settled = true;
        reject(signal?.reason);
      }
    };
    const finish = (result: Response | Error, ok: boolean) => {
      signal?.removeEventListener('abort', onAbort);
      if (settled) return;
      settled = true;
      if (ok) resolve(result as Response);
      else reject(result);
    };
    const req = send(url, { method: init.method ?? 'GET', headers, agent: agents[protocol] }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          finish(toResponse(res, decode(Buffer.concat(chunks), res.headers['content-encoding'])), true);
        } catch (error) {
          finish(failedBody(res, error), true);
        }
      });
      // The answer started but the connection was cut: fetch resolves, and reading the body throws.
      res.on('aborted', () => finish(failedBody(res, Object.assign(new Error('other side closed'), { code: 'ECONNRESET' })), true));
      res.on('error', (error) => finish(failedBody(res, error), true));
    });
    req.on('error', (error) => finish(new TypeError('fetch failed', { cause: error }), false));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end(body ?? undefined);
  });
}

const NULL_BODY = new Set([101, 204, 205, 304]);

function toResponse(res: http.IncomingMessage, body: Buffer | ReadableStream<Uint8Array>): Response {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // The body handed on is decoded and complete: these describe the bytes on the wire, not it.
    if (body instanceof Buffer && (name === 'content-encoding' || name === 'content-length' || name === 'transfer-encoding')) continue;
    headers.append(name, raw[i + 1]!);
  }
  return new Response(NULL_BODY.has(status) ? null : body, { status, statusText: res.statusMessage ?? '', headers });
}

function failedBody(res: http.IncomingMessage, cause: unknown): Response {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.error(new TypeError('terminated', { cause }));
    },
  });
  return toResponse(res, stream);
}

function decode(body: Buffer, encoding: string | undefined): Buffer {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case '':
    case 'identity':
      return body;
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(body);
    case 'deflate':
      return inflateSync(body);
    case 'br':
      return brotliDecompressSync(body);
    default:
      throw new Error(`unsupported content-encoding ${encoding}`);
  }
}
