import { request1, type Http1Body, type Http1Reply } from './http1.ts';

/**
 * One HTTP request and its whole answer over keep-alive sockets (http1.ts), redirects followed as fetch follows
 * them. No WHATWG Headers or Response objects: building those loads undici into the process (~15 ms of compiling
 * on the way to the first model call), and loom's model client needs only status, a few headers and the body text.
 * `nodeFetch` (node-fetch.ts) wraps this for code that wants fetch's shape.
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

async function once(url: URL, method: string, given: Record<string, string>, body: Http1Body | null, signal: AbortSignal | undefined): Promise<ExchangeReply> {
  if (signal?.aborted) throw signal.reason;
  const protocol = url.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError('fetch failed', { cause: new Error(`unsupported protocol ${protocol}`) });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) if (name.toLowerCase() !== 'content-length') headers[name] = value;
  if (body !== undefined && body !== null) headers['content-length'] = String(byteLength(body));
  let reply: Http1Reply;
  try {
    reply = await request1(url, method, headers, body ?? undefined, signal);
  } catch (error) {
    if (signal?.aborted && error === signal.reason) throw error;
    throw new TypeError('fetch failed', { cause: error });
  }
  if (reply.bodyError) return replyOf(url, reply, Buffer.alloc(0), new TypeError('terminated', { cause: reply.bodyError }));
  let encoding: string | undefined;
  for (let i = 0; i + 1 < reply.rawHeaders.length; i += 2) if (reply.rawHeaders[i]!.toLowerCase() === 'content-encoding') encoding = reply.rawHeaders[i + 1];
  try {
    return replyOf(url, reply, await decode(reply.body, encoding));
  } catch (cause) {
    return replyOf(url, reply, Buffer.alloc(0), new TypeError('terminated', { cause }));
  }
}

function byteLength(body: NonNullable<Http1Body>): number {
  if (!Array.isArray(body)) return (body as Uint8Array).byteLength;
  let length = 0;
  for (const part of body as readonly Uint8Array[]) length += part.byteLength;
  return length;
}

function replyOf(url: URL, res: Http1Reply, body: Buffer, bodyError?: TypeError): ExchangeReply {
  const headers: [string, string][] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // The body handed on is decoded and complete: these describe the bytes on the wire, not it.
    if (!bodyError && (name === 'content-encoding' || name === 'content-length' || name === 'transfer-encoding')) continue;
    headers.push([name, raw[i + 1]!]);
  }
  return { status: res.status, statusText: res.statusText, headers, body, ...(bodyError ? { bodyError } : {}), url };
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
