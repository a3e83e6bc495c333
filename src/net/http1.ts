import net from 'node:net';
import { HEADER_VALUE, HTTP_TOKEN } from './header-syntax.ts';

/**
 * HTTP/1.1 requests over keep-alive sockets, without node:http. A review of a large pull request makes hundreds of
 * calls of 50-100 KB each; node:http's request and response objects and their streams cost ~0.25 ms of main-thread
 * time per call once warm (more while V8 still compiles them), three to four times what writing the request to the
 * socket and reading the answer's bytes costs. exchange.ts builds fetch's behaviour (redirects, decoding) on this.
 *
 * What it speaks: one request at a time per socket; answers with a Content-Length, chunked, or ending when the
 * connection closes; interim 1xx answers skipped; sockets kept per origin while the server allows (Connection,
 * Keep-Alive's timeout) and never holding the process open. A kept socket the server closed before answering (the
 * usual keep-alive race) is retried once on a new connection.
 */
export interface Http1Reply {
  status: number;
  statusText: string;
  /** Names as sent, values trimmed: [name, value, name, value, ...]. */
  rawHeaders: string[];
  body: Buffer;
  /** The connection failed while the body arrived: `body` is what came before. */
  bodyError?: Error;
}

export type Http1Body = Uint8Array | readonly Uint8Array[] | undefined;

export async function request1(url: URL, method: string, headers: Record<string, string>, body: Http1Body, signal?: AbortSignal): Promise<Http1Reply> {
  const head = requestHead(url, method, headers);
  const key = `${url.protocol}//${url.host}`;
  let kept = takeIdle(key);
  for (;;) {
    const socket = kept ?? (await connect(url));
    try {
      return await exchangeOn(socket, key, head, body, method, signal);
    } catch (error) {
      // Sent again, on a new connection, only when a kept one failed at once: a server that closed a request's
      // connection after a while may have worked on it, and the caller's own retries (with their waits) decide.
      if (kept && error instanceof Unanswered && error.afterMs < STALE_WITHIN_MS && !signal?.aborted) {
        kept = undefined;
        continue;
      }
      throw error instanceof Unanswered ? error.cause : error;
    }
  }
}

/** Closes every kept socket (tests; a process that ends needs nothing: kept sockets never hold it open). */
export function closeIdleSockets(): void {
  for (const sockets of idle.values()) for (const socket of sockets) socket.destroy();
  idle.clear();
}

/** A kept socket the server had closed fails within a round trip of the request going out. */
const STALE_WITHIN_MS = 1_000;

/** The connection failed before any byte of an answer came, `afterMs` after the request went out. */
class Unanswered extends Error {
  readonly afterMs: number;

  constructor(cause: unknown, afterMs: number) {
    super('no answer', { cause });
    this.afterMs = afterMs;
  }
}

function requestHead(url: URL, method: string, headers: Record<string, string>): string {
  if (!HTTP_TOKEN.test(method)) throw new TypeError(`invalid HTTP method ${JSON.stringify(method)}`);
  const given = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  let head = `${method} ${url.pathname || '/'}${url.search} HTTP/1.1\r\n`;
  if (!given.has('host')) head += `host: ${url.host}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    // A header that could end the head early would let a configured value inject headers of its own.
    if (!HTTP_TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    if (!HEADER_VALUE.test(value)) throw new TypeError(`invalid value for header ${name}: it holds a line break, another control character or a character beyond Latin-1`);
    head += `${name}: ${value}\r\n`;
  }
  if (!given.has('connection')) head += 'connection: keep-alive\r\n';
  return `${head}\r\n`;
}

type Socket = net.Socket;

/** Sockets kept for the next request, by origin. */
const idle = new Map<string, Socket[]>();
/** What a kept socket listens to while it waits, so it can be taken back off. */
const parked = new WeakMap<Socket, { drop: () => void; timer: NodeJS.Timeout }>();
/** Longest a socket is kept unused: under the 5 s most servers (Node's default among them) keep one open. */
const MAX_IDLE_MS = 4_000;

function takeIdle(key: string): Socket | undefined {
  const sockets = idle.get(key);
  while (sockets && sockets.length > 0) {
    const socket = sockets.pop()!;
    unpark(socket);
    if (!socket.destroyed && socket.readyState === 'open') {
      socket.ref();
      return socket;
    }
  }
  return undefined;
}

/** Stops a kept socket's wait: its idle timer and the listeners that drop it. */
function unpark(socket: Socket): void {
  const park = parked.get(socket);
  if (!park) return;
  clearTimeout(park.timer);
  socket.off('close', park.drop).off('error', park.drop).off('end', park.drop).off('data', park.drop);
  parked.delete(socket);
}

function keep(socket: Socket, key: string, idleMs: number): void {
  let sockets = idle.get(key);
  if (!sockets) idle.set(key, (sockets = []));
  const list = sockets;
  const drop = () => {
    unpark(socket);
    const at = list.indexOf(socket);
    if (at >= 0) list.splice(at, 1);
    // Bytes nobody asked for, or the server closing: the socket is of no further use.
    socket.destroy();
  };
  const timer = setTimeout(drop, idleMs);
  timer.unref();
  socket.on('close', drop).on('error', drop).on('end', drop).on('data', drop);
  parked.set(socket, { drop, timer });
  socket.unref();
  list.push(socket);
}

let tlsModule: Promise<typeof import('node:tls')> | undefined;

async function connect(url: URL): Promise<Socket> {
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // node:tls is loaded when first needed: a local model is usually plain HTTP.
  const socket = secure
    ? (await (tlsModule ??= import('node:tls'))).connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ALPNProtocols: ['http/1.1'] })
    : net.connect({ host, port });
  socket.setNoDelay(true);
  // Each request listens for errors while it runs; one that comes between requests must not crash the process.
  socket.on('error', () => undefined);
  return socket;
}

function exchangeOn(socket: Socket, key: string, head: string, body: Http1Body, method: string, signal: AbortSignal | undefined): Promise<Http1Reply> {
  return new Promise<Http1Reply>((resolve, reject) => {
    const reader = new ReplyReader(method === 'HEAD');
    const sentAt = Date.now();
    let settled = false;
    const finish = (outcome: { reply: Http1Reply } | { error: unknown }) => {
      if (settled) return;
      settled = true;
      socket.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if ('error' in outcome) {
        socket.destroy();
        reject(outcome.error);
        return;
      }
      if (reader.reusable && !socket.destroyed) keep(socket, key, reader.idleMs);
      else socket.destroy();
      resolve(outcome.reply);
    };
    const onData = (data: Buffer) => {
      try {
        reader.feed(data);
      } catch (error) {
        return finish({ error });
      }
      if (reader.done) finish({ reply: reader.reply() });
    };
    const failed = (cause: Error) => {
      const error = cause === CLOSED ? otherSideClosed() : cause;
      // Nothing came: on a kept socket, the server closed it as this request went out (request1 retries).
      if (!reader.started) return finish({ error: new Unanswered(error, Date.now() - sentAt) });
      if (!reader.answered) return finish({ error });
      // An answer whose body runs to the end of the connection is whole when the connection ends.
      if (cause === CLOSED && reader.untilClose) {
        reader.close();
        return finish({ reply: reader.reply() });
      }
      // The answer started and was cut: the caller gets what came, with the failure.
      finish({ reply: { ...reader.reply(), bodyError: error } });
    };
    const onEnd = () => failed(CLOSED);
    const onError = (error: Error) => failed(error);
    const onAbort = () => finish({ error: signal?.reason });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData).on('end', onEnd).on('close', onEnd).on('error', onError);
    // Corked, the head and the body's parts leave in one write.
    socket.cork();
    socket.write(head, 'latin1');
    if (body) for (const part of Array.isArray(body) ? (body as readonly Uint8Array[]) : [body as Uint8Array]) if (part.byteLength > 0) socket.write(part);
    socket.uncork();
  });
}

/** The connection ended before the answer was whole (a marker: the error handed on is otherSideClosed()). */
const CLOSED = new Error('closed');

function otherSideClosed(): Error {
  return Object.assign(new Error('other side closed'), { code: 'ECONNRESET' });
}

/** Answers with a head larger than this are refused: no API loom calls sends one near it. */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

type State = 'head' | 'length' | 'size' | 'data' | 'data-end' | 'trailers' | 'close' | 'done';

/** Reads one answer from the bytes of a connection, as they come. Throws on an answer that is not HTTP/1.x. */
class ReplyReader {
  started = false;
  reusable = false;
  idleMs = MAX_IDLE_MS;
  private state: State = 'head';
  private pending: Buffer | undefined;
  private remaining = 0;
  private status = 0;
  private statusText = '';
  private rawHeaders: string[] = [];
  private readonly chunks: Buffer[] = [];

  private readonly headRequest: boolean;

  constructor(headRequest: boolean) {
    this.headRequest = headRequest;
  }

  /** The answer's head is read. */
  get answered(): boolean {
    return this.state !== 'head';
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** The answer's body ends when the connection closes. */
  get untilClose(): boolean {
    return this.state === 'close';
  }

  close(): void {
    this.state = 'done';
  }

  reply(): Http1Reply {
    return { status: this.status, statusText: this.statusText, rawHeaders: this.rawHeaders, body: this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks) };
  }

  feed(data: Buffer): void {
    this.started = true;
    let buf = this.pending ? Buffer.concat([this.pending, data]) : data;
    this.pending = undefined;
    let at = 0;
    while (at < buf.length || this.state === 'done') {
      switch (this.state) {
        case 'head': {
          const end = buf.indexOf(HEAD_END, at);
          if (end < 0) {
            if (buf.length - at > MAX_HEAD_BYTES) throw new Error('the answer\'s head is too large');
            this.pending = buf.subarray(at);
            return;
          }
          this.readHead(buf.toString('latin1', at, end));
          at = end + HEAD_END.length;
          break;
        }
        case 'length':
        case 'data': {
          const take = Math.min(this.remaining, buf.length - at);
          this.chunks.push(buf.subarray(at, at + take));
          at += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = this.state === 'length' ? 'done' : 'data-end';
          break;
        }
        case 'size': {
          const end = buf.indexOf(CRLF, at);
          if (end < 0) {
            if (buf.length - at > 1024) throw new Error('a chunk size line is too long');
            this.pending = buf.subarray(at);
            return;
          }
          const line = buf.toString('latin1', at, end);
          const size = /^[0-9a-fA-F]+/.exec(line.trim());
          if (!size) throw new Error(`a chunk size line is not a number: ${JSON.stringify(line.slice(0, 40))}`);
          this.remaining = Number.parseInt(size[0], 16);
          at = end + CRLF.length;
          this.state = this.remaining === 0 ? 'trailers' : 'data';
          break;
        }
        case 'data-end': {
          if (buf.length - at < CRLF.length) {
            this.pending = buf.subarray(at);
            return;
          }
          if (buf[at] !== 0x0d || buf[at + 1] !== 0x0a) throw new Error('a chunk does not end with CRLF');
          at += CRLF.length;
          this.state = 'size';
          break;
        }
        case 'trailers': {
          const end = buf.indexOf(CRLF, at);
          if (end < 0) {
            this.pending = buf.subarray(at);
            return;
          }
          // Trailer fields are read past: nothing loom calls sends one it needs.
          if (end === at) this.state = 'done';
          at = end + CRLF.length;
          break;
        }
        case 'close':
          this.chunks.push(buf.subarray(at));
          at = buf.length;
          break;
        case 'done':
          // Bytes after a whole answer: the server is not speaking one answer per request; do not reuse.
          if (at < buf.length) this.reusable = false;
          return;
      }
    }
  }

  private readHead(text: string): void {
    const lines = text.split('\r\n');
    const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!status) throw new Error(`not an HTTP/1.x answer: ${JSON.stringify(lines[0]!.slice(0, 60))}`);
    const code = Number(status[2]);
    const headers: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length > 0) {
        // An obsolete folded line continues the value before it.
        headers[headers.length - 1] += ` ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`a header line without a name: ${JSON.stringify(line.slice(0, 60))}`);
      headers.push(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    // 100 Continue and other interim answers come before the real one.
    if (code >= 100 && code < 200 && code !== 101) return;
    this.status = code;
    this.statusText = status[3] ?? '';
    this.rawHeaders = headers;
    let chunked = false;
    let length: number | undefined;
    let close = status[1] === '0';
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!.toLowerCase();
      const value = headers[i + 1]!.toLowerCase();
      if (name === 'transfer-encoding') chunked = value.split(',').at(-1)!.trim() === 'chunked';
      else if (name === 'content-length') {
        const n = contentLength(value);
        if (length !== undefined && n !== length) throw new Error('the answer has two different Content-Length headers');
        length = n;
      } else if (name === 'connection') {
        const tokens = value.split(',').map((token) => token.trim());
        if (tokens.includes('close')) close = true;
        else if (tokens.includes('keep-alive') && status[1] === '0') close = false;
      } else if (name === 'keep-alive') {
        const timeout = /(?:^|,)\s*timeout=(\d+)/.exec(value);
        if (timeout) this.idleMs = Math.min(MAX_IDLE_MS, Math.max(0, Number(timeout[1]) * 1000 - 1000));
      }
    }
    this.reusable = !close && code !== 101;
    if (this.headRequest || code === 204 || code === 304 || code === 101) this.state = 'done';
    else if (chunked) this.state = 'size';
    else if (length !== undefined) {
      this.remaining = length;
      this.state = length === 0 ? 'done' : 'length';
    } else {
      this.state = 'close';
      this.reusable = false;
    }
  }
}

function contentLength(value: string): number {
  // Repeated in one header as a list, the values must agree.
  const values = new Set(value.split(',').map((v) => v.trim()));
  if (values.size !== 1) throw new Error('the answer\'s Content-Length holds different values');
  const [only] = values;
  if (!/^\d+$/.test(only!)) throw new Error(`the answer's Content-Length is not a number: ${JSON.stringify(only)}`);
  return Number(only);
}
