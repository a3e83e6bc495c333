import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { exchange } from '../../src/net/exchange.ts';
import { nodeFetch } from '../../src/net/node-fetch.ts';

let server: Server | undefined;

async function serve(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

describe('nodeFetch', () => {
  it('sends method, headers and body, and hands back status, headers and body as fetch does', async () => {
    let seen: { method?: string; auth?: string; type?: string; length?: string; body?: string } = {};
    const url = await serve((req, body, res) => {
      seen = { method: req.method, auth: req.headers.authorization, type: req.headers['content-type'], length: req.headers['content-length'], body };
      res.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-request-id': 'abc' });
      res.end('{"ok":"ünïcode"}');
    });
    const res = await nodeFetch(`${url}/v1/chat`, {
      method: 'POST',
      headers: new Headers({ authorization: 'Bearer k', 'content-type': 'application/json' }),
      body: '{"q":"é"}',
    });
    expect(seen).toEqual({ method: 'POST', auth: 'Bearer k', type: 'application/json', length: String(Buffer.byteLength('{"q":"é"}')), body: '{"q":"é"}' });
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Made');
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-request-id')).toBe('abc');
    expect(await res.json()).toEqual({ ok: 'ünïcode' });
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('decodes a %s body and drops the headers that described the encoded bytes', async (encoding, compress) => {
    const url = await serve((_req, _body, res) => {
      const bytes = compress(Buffer.from('{"findings":[]}'));
      res.writeHead(200, { 'content-encoding': encoding, 'content-length': String(bytes.length) });
      res.end(bytes);
    });
    const res = await nodeFetch(url);
    expect(await res.text()).toBe('{"findings":[]}');
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.headers.get('content-length')).toBeNull();
  });

  it('gives a 204 no body and keeps error statuses as responses, not rejections', async () => {
    const url = await serve((req, _body, res) => {
      if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(429, { 'retry-after': '3' });
        res.end('slow down');
      }
    });
    const empty = await nodeFetch(`${url}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const limited = await nodeFetch(`${url}/limited`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await limited.text()).toBe('slow down');
  });

  it('rejects like fetch when nothing answers: TypeError "fetch failed" with the socket error as cause', async () => {
    const url = await serve(() => undefined);
    server!.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const error = await nodeFetch(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe('fetch failed');
    expect(((error as TypeError).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('resolves when the answer starts, and its body read throws "terminated" when the connection is cut', async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"choices": [');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const res = await nodeFetch(url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    const error = await res.text().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe('terminated');
  });

  it('rejects with the signal reason when aborted before or during the call', async () => {
    const url = await serve(() => undefined);
    const before = new AbortController();
    before.abort(new Error('stop now'));
    await expect(nodeFetch(url, { signal: before.signal })).rejects.toThrow('stop now');

    const during = new AbortController();
    const pending = nodeFetch(url, { signal: during.signal });
    setTimeout(() => during.abort(), 20);
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe('AbortError');
  });

  it('reuses one connection for calls one after another (keep-alive)', async () => {
    const ports = new Set<number>();
    const url = await serve((req, _body, res) => {
      ports.add(req.socket.remotePort!);
      res.end('{}');
    });
    for (let i = 0; i < 5; i++) await (await nodeFetch(url, { method: 'POST', body: '{}' })).text();
    expect(ports.size).toBe(1);
  });
});

describe('exchange', () => {
  it('sends a body given in parts as their bytes one after the other, with their total length, and again on a 307', async () => {
    const seen: string[] = [];
    const url = await serve((req, body, res) => {
      seen.push(`${req.url} ${req.headers['content-length']} ${body}`);
      if (req.url === '/a') res.writeHead(307, { location: '/b' });
      res.end();
    });
    const parts = [Buffer.from('{"q":"'), Buffer.from('é€'), new Uint8Array(0), Buffer.from('"}')];
    const reply = await exchange(new URL(`${url}/a`), { method: 'POST', body: parts });
    expect(reply.status).toBe(200);
    const length = Buffer.byteLength('{"q":"é€"}');
    expect(seen).toEqual([`/a ${length} {"q":"é€"}`, `/b ${length} {"q":"é€"}`]);
  });
});

describe('nodeFetch redirects', () => {
  it('follows them as fetch does: 307 repeats the POST, 303 turns it into a GET, credentials stay on their origin', async () => {
    const seen: string[] = [];
    const url = await serve((req, body, res) => {
      seen.push(`${req.method} ${req.url} ${body} ${req.headers.authorization ?? '-'}`);
      if (req.url === '/v1/a') {
        res.writeHead(307, { location: '/v1/b' });
        res.end();
      } else if (req.url === '/v1/b') {
        res.writeHead(303, { location: `http://localhost:${(server!.address() as AddressInfo).port}/v1/c` });
        res.end();
      } else {
        res.end('done');
      }
    });
    const res = await nodeFetch(`${url}/v1/a`, { method: 'POST', body: 'x', headers: { authorization: 'Bearer k' } });
    expect(await res.text()).toBe('done');
    expect(seen).toEqual(['POST /v1/a x Bearer k', 'POST /v1/b x Bearer k', 'GET /v1/c  -']);
    expect(res.url).toBe(`http://localhost:${(server!.address() as AddressInfo).port}/v1/c`);
  });

  it("hands a redirect back with redirect: 'manual', and stops a loop", async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(302, { location: '/again' });
      res.end();
    });
    expect((await nodeFetch(url, { redirect: 'manual' })).status).toBe(302);
    await expect(nodeFetch(url)).rejects.toThrow('fetch failed');
  });
});
