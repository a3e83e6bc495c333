/**
 * The node:http plumbing the fake platform APIs share (fake-github, fake-gitlab, fake-azure, fake-bitbucket,
 * fake-gitea): a server on 127.0.0.1 at a random port that reads and parses each request body, records every
 * request in arrival order, answers queued faults before the platform sees the request, and writes the replies.
 * Each fake keeps only its platform's routes and state.
 *
 *   const server = await startFakeServer((req, ctx) => (req.path === '/x' ? json(200, { ok: true }) : empty(404)));
 *   server.url             http://127.0.0.1:PORT
 *   server.requests        every request: method, path, query, headers, body (faulted ones too)
 *   server.fail((req) => req.method === 'POST', { status: 500, json: { message: 'boom' } }, 2)
 *   await server.close()
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  /** Path without the query string, as the server's `target` reads it. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed request body (see the server's `parseBody`); `undefined` when empty. */
  body: any;
}

/** `json` is sent as JSON with the server's `jsonType`; otherwise `text` as is, without a content type; otherwise nothing. */
export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export const json = (status: number, data: unknown, headers?: Record<string, string>): Reply => ({ status, json: data, headers });
export const text = (status: number, body: string, headers?: Record<string, string>): Reply => ({ status, text: body, headers });
export const empty = (status: number): Reply => ({ status });

export interface HandlerContext {
  /** The server's origin, `http://127.0.0.1:PORT`. */
  origin: string;
  /** The request target parsed against `origin` (parsed on first use). */
  readonly url: URL;
  /** The request as node:http gave it; its body is already read. */
  req: IncomingMessage;
}

/** Answers a request no queued fault took. A throw is answered with 500 and the server's `errorJson`. */
export type Handler<R extends FakeRequest> = (req: R, ctx: HandlerContext) => Reply;

export interface FakeServerOptions {
  /** How the recorded path and query are read from the request target. Default `urlTarget()`. */
  target?: (rawUrl: string) => { path: string; query: Record<string, string> };
  /** Default `parseBody`: JSON, else the raw text. */
  parseBody?: (raw: string) => unknown;
  /** Content type of `json` replies. Default `application/json; charset=utf-8`. */
  jsonType?: string;
  /** The JSON body of the 500 that answers a handler that threw. Default `{ message: String(error) }`. */
  errorJson?: (error: unknown) => unknown;
  /** `close()` rejects when node:http reports an error (a second close); by default it resolves anyway. */
  strictClose?: boolean;
}

export interface FakeServer<R extends FakeRequest> {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Every request received, in arrival order, including faulted and refused ones. */
  requests: R[];
  /**
   * The next `times` requests (at least one) that `match`, checked in the order faults were queued, get `reply`
   * instead of reaching the handler.
   */
  fail(match: (req: R) => boolean, reply: Reply, times?: number): void;
  /** Closes the server and every open connection. */
  close(): Promise<void>;
}

export async function startFakeServer<R extends FakeRequest = FakeRequest>(handler: Handler<R>, opts: FakeServerOptions = {}): Promise<FakeServer<R>> {
  const target = opts.target ?? urlTarget();
  const parse = opts.parseBody ?? parseBody;
  const jsonType = opts.jsonType ?? 'application/json; charset=utf-8';
  const errorJson = opts.errorJson ?? ((error: unknown) => ({ message: String(error) }));
  const requests: R[] = [];
  const faults: { match: (req: R) => boolean; reply: Reply; times: number }[] = [];
  let origin = '';

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const rawUrl = req.url ?? '/';
      const { path, query } = target(rawUrl);
      const recorded = { method: req.method ?? 'GET', path, query, headers: { ...req.headers }, body: parse(raw) } as R;
      requests.push(recorded);
      const fault = faults.find((f) => f.match(recorded));
      if (fault) {
        if (--fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
        return send(res, fault.reply, jsonType);
      }
      let url: URL | undefined;
      const ctx: HandlerContext = {
        origin,
        get url() {
          return (url ??= new URL(rawUrl, origin));
        },
        req,
      };
      send(res, handler(recorded, ctx), jsonType);
    })().catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) send(res, { status: 500, json: errorJson(error) }, jsonType);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    fail: (match, reply, times = 1) => void faults.push({ match, reply, times }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error && opts.strictClose ? reject(error) : resolve()));
      }),
  };
}

/** The path (URL pathname as sent, then `mapPath`) and the search params of a request target. */
export function urlTarget(mapPath: (pathname: string) => string = (pathname) => pathname): (rawUrl: string) => { path: string; query: Record<string, string> } {
  return (rawUrl) => {
    const url = new URL(rawUrl, 'http://127.0.0.1');
    return { path: mapPath(url.pathname), query: Object.fromEntries(url.searchParams) };
  };
}

/** The target split at its `?` without URL parsing: percent-encoding and dot segments stay as sent. */
export function rawTarget(rawUrl: string): { path: string; query: Record<string, string> } {
  const [path = '/', search = ''] = rawUrl.split('?');
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

/** JSON when it parses, else the raw text; `undefined` when empty. */
export function parseBody(raw: string): any {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** JSON only, `undefined` when empty: a body that is not JSON throws, so the server answers 500. */
export function parseJsonBody(raw: string): any {
  return raw ? JSON.parse(raw) : undefined;
}

/** What a queued fault can match on. */
export interface RequestMatch {
  method?: string;
  /** A pattern for the recorded path, or a string it must contain (`'includes'`) or end with (`'endsWith'`). */
  path?: string | RegExp;
  body?: (body: any) => boolean;
}

export function requestMatches(match: RequestMatch, req: FakeRequest, stringPath: 'includes' | 'endsWith' = 'includes'): boolean {
  if (match.method && match.method !== req.method) return false;
  if (typeof match.path === 'string' && !(stringPath === 'endsWith' ? req.path.endsWith(match.path) : req.path.includes(match.path))) return false;
  if (match.path instanceof RegExp && !match.path.test(req.path)) return false;
  return !match.body || match.body(req.body);
}

export interface PathRoute {
  method: string;
  /** The whole path, or a pattern whose groups become `params`. */
  path: string | RegExp;
}

/** The first route for the method whose path matches, with the pattern's groups. */
export function findRoute<T extends PathRoute>(routes: readonly T[], method: string, path: string): { route: T; params: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = typeof route.path === 'string' ? (route.path === path ? [] : undefined) : route.path.exec(path)?.slice(1);
    if (params) return { route, params };
  }
  return undefined;
}

function send(res: ServerResponse, reply: Reply, jsonType: string): void {
  const headers = reply.headers ?? {};
  if (reply.json !== undefined) {
    res.writeHead(reply.status, { 'content-type': jsonType, ...headers });
    res.end(JSON.stringify(reply.json));
    return;
  }
  res.writeHead(reply.status, headers);
  res.end(reply.text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
