import http from 'node:http';

/**
 * One HTTP request and its whole answer over node:http / node:https with keep-alive sockets, redirects followed as
 * fetch follows them. No WHATWG Headers or Response objects: building those loads undici into the process (~15 ms
 * of compiling on the way to the first model call), and loom's model client needs only status, a few headers and
 * the body text. `nodeFetch` (node-fetch.ts) wraps this for code that wants fetch's shape.
 *
 * Failures keep fetch's semantics: nothing answering rejects with `TypeError('fetch failed', { cause })`, an
 * aborted signal with the signal's reason; an answer cut while its body arrives (or whose encoding is broken)
 * resolves with `bodyError` set to `TypeError('terminated', { cause })`, which is what reading that body throws.
 */
export interface ExchangeRequest {
  method?: string;
  /** Header names in any case; they are sent as given. */
  headers?: Record<string, string>;
  /** A body given in parts is sent as they are, without joining them into one buffer first. */
  body?: string | Uint8Array | readonly Uint8Array[] | null;
  signal?: AbortSignal | null;
  /** fetch's `redirect`: follow (default), manual (hand the 3xx back) or error. */
  redirect?: 'follow' | 'manual' | 'error';
}

export interface ExchangeReply {
  status: number;
  statusText: string;
  /** Lower-cased names and values as they came, repeats kept. Encoding headers are dropped once the body is decoded. */
  headers: [string, string][];
  /** The decoded body; empty when `bodyError` is set. */
  body: Buffer;
  bodyError?: TypeError;
  /** The URL that answered, after redirects. */
  url: URL;
}

/** The first value of a header in a reply, or undefined. */
export function replyHeader(reply: ExchangeReply, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return reply.headers.find(([n]) => n === wanted)?.[1];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;

export async function exchange(url: URL, req: ExchangeRequest): Promise<ExchangeReply> {
  let method = (req.method ?? 'GET').toUpperCase();
  let headers = { ...req.headers };
  // Encoded once: its length and the bytes sent are then one pass over a prompt of 100 KB or more, not two.
  let body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
  for (let hops = 0; ; hops++) {
    const reply = await once(url, method, headers, body, req.signal ?? undefined);
    const location = replyHeader(reply, 'location');
    if (!REDIRECTS.has(reply.status) || location === undefined || req.redirect === 'manual') return reply;
    if (req.redirect === 'error' || hops >= MAX_REDIRECTS) throw new TypeError('fetch failed', { cause: new Error(`redirect to ${location} refused`) });
    const next = new URL(location, url);
    // 303, and 301/302 after a POST, turn into a GET without a body; 307 and 308 repeat the request as it was.
    const asGet = reply.status === 303 ? method !== 'HEAD' : (reply.status === 301 || reply.status === 302) && method === 'POST';
    const dropped = new Set<string>();
    if (asGet) for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) dropped.add(name);
    // Credentials stay with the origin they were meant for.
    if (next.origin !== url.origin) dropped.add('authorization');
    headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !dropped.has(name.toLowerCase())));
    if (asGet) {
      method = 'GET';
      body = undefined;
    }
    url = next;
  }
}

interface Transport {
  request: typeof http.request;
  agent: http.Agent;
}

const plain: Transport = { request: http.request, agent: new http.Agent({ keepAlive: true }) };
// node:https and node:zlib are loaded when first needed (~5 ms at start-up otherwise): a local model is usually
// plain HTTP and answers uncompressed.
let secure: Promise<Transport> | undefined;
const transportFor = (protocol: 'http:' | 'https:'): Transport | Promise<Transport> =>
  protocol === 'http:' ? plain : (secure ??= import('node:https').then((https) => ({ request: https.request, agent: new https.Agent({ keepAlive: true }) })));

async function once(url: URL, method: string, given: Record<string, string>, body: Uint8Array | readonly Uint8Array[] | null | undefined, signal: AbortSignal | undefined): Promise<ExchangeReply> {
  if (signal?.aborted) throw signal.reason;
  const protocol = url.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError('fetch failed', { cause: new Error(`unsupported protocol ${protocol}`) });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) if (name.toLowerCase() !== 'content-length') headers[name] = value;
  if (body !== undefined && body !== null) headers['content-length'] = String(byteLength(body));
  const { request: send, agent } = await transportFor(protocol);
  if (signal?.aborted) throw signal.reason;

  return new Promise<ExchangeReply>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      req.destroy();
      if (!settled) {
        settled = true;
        reject(signal?.reason);
      }
    };
    const finish = (result: ExchangeReply | Error, ok: boolean) => {
      signal?.removeEventListener('abort', onAbort);
      if (settled) return;
      settled = true;
      if (ok) resolve(result as ExchangeReply);
      else reject(result);
    };
    const req = send(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      const failed = (cause: unknown) => finish(replyOf(url, res, Buffer.alloc(0), new TypeError('terminated', { cause })), true);
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        decode(Buffer.concat(chunks), res.headers['content-encoding']).then((decoded) => finish(replyOf(url, res, decoded), true), failed);
      });
      // The answer started but the connection was cut: fetch resolves, and reading the body throws.
      res.on('aborted', () => failed(Object.assign(new Error('other side closed'), { code: 'ECONNRESET' })));
      res.on('error', failed);
    });
    req.on('error', (error) => finish(new TypeError('fetch failed', { cause: error }), false));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (body === undefined || body === null || !Array.isArray(body)) return void req.end(body ?? undefined);
    // Corked, the parts go out in one writev, as a joined buffer would.
    req.cork();
    for (const part of body as readonly Uint8Array[]) req.write(part);
    req.end();
  });
}

function byteLength(body: Uint8Array | readonly Uint8Array[]): number {
  if (!Array.isArray(body)) return (body as Uint8Array).byteLength;
  let length = 0;
  for (const part of body as readonly Uint8Array[]) length += part.byteLength;
  return length;
}

function replyOf(url: URL, res: http.IncomingMessage, body: Buffer, bodyError?: TypeError): ExchangeReply {
  const headers: [string, string][] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // The body handed on is decoded and complete: these describe the bytes on the wire, not it.
    if (!bodyError && (name === 'content-encoding' || name === 'content-length' || name === 'transfer-encoding')) continue;
    headers.push([name, raw[i + 1]!]);
  }
  return { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers, body, ...(bodyError ? { bodyError } : {}), url };
}

async function decode(body: Buffer, encoding: string | undefined): Promise<Buffer> {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case '':
    case 'identity':
      return body;
    case 'gzip':
    case 'x-gzip':
      return (await import('node:zlib')).gunzipSync(body);
    case 'deflate':
      return (await import('node:zlib')).inflateSync(body);
    case 'br':
      return (await import('node:zlib')).brotliDecompressSync(body);
    default:
      throw new Error(`unsupported content-encoding ${encoding}`);
  }
}
