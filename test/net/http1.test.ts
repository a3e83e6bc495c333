import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { exchange } from '../../src/net/exchange.ts';
import { closeIdleSockets, request1 } from '../../src/net/http1.ts';

// A server on 127.0.0.1 that speaks raw bytes, so each test controls exactly what goes over the wire: how an
// answer is framed, where its packets break, when the connection closes.

interface Conversation {
  /** Each request's head and body as received, and the connection it came on (0, 1, ...). */
  requests: { head: string; body: string; connection: number }[];
  connections: number;
}

let server: Server | undefined;

/**
 * Serves `answer(request index, connection index, socket)` for each whole request (a head, then Content-Length
 * bytes of body); `answer` writes to the socket whatever the test needs.
 */
async function serve(answer: (request: number, socket: Socket, connection: number) => void): Promise<{ url: string; seen: Conversation }> {
  const seen: Conversation = { requests: [], connections: 0 };
  server = createServer((socket) => {
    const connection = seen.connections++;
    let buffered = Buffer.alloc(0);
    socket.on('data', (data) => {
      buffered = Buffer.concat([buffered, data]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        seen.requests.push({ head, body: buffered.toString('utf8', end + 4, end + 4 + length), connection });
        buffered = buffered.subarray(end + 4 + length);
        answer(seen.requests.length - 1, socket, connection);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** Writes `text` a few bytes at a time, each piece in its own packet as far as the reader can tell. */
async function dribble(socket: Socket, text: string, size = 3): Promise<void> {
  for (let at = 0; at < text.length; at += size) {
    socket.write(text.slice(at, at + size));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

afterEach(async () => {
  closeIdleSockets();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe('request1', () => {
  it('sends the head, the headers as given and the body parts, and reuses the connection for the next request', async () => {
    const { url, seen } = await serve((i, socket) => socket.write(ok(`answer ${i}`)));
    const parts = [Buffer.from('{"a":'), Buffer.from('"é"}')];
    const first = await request1(new URL(`${url}/v1/chat?x=1`), 'POST', { 'Content-Length': '10', Authorization: 'Bearer k' }, parts);
    const second = await request1(new URL(`${url}/v1/chat`), 'GET', {}, undefined);

    expect([first.status, first.statusText, first.body.toString()]).toEqual([200, 'OK', 'answer 0']);
    expect(first.rawHeaders).toEqual(['content-type', 'text/plain', 'content-length', '8']);
    expect(second.body.toString()).toBe('answer 1');
    expect(seen.requests[0]!.head.split('\r\n')).toEqual(['POST /v1/chat?x=1 HTTP/1.1', `host: ${new URL(url).host}`, 'Content-Length: 10', 'Authorization: Bearer k', 'connection: keep-alive']);
    expect(seen.requests[0]!.body).toBe('{"a":"é"}');
    expect(seen.requests.map((r) => r.connection)).toEqual([0, 0]);
  });

  it('reads a chunked answer that arrives a few bytes at a time, with chunk extensions and trailers', async () => {
    const { url, seen } = await serve((i, socket) => {
      void dribble(socket, `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\nA\r\n (é)012345\r\n0\r\ntrailer: x\r\n\r\n`.replace('(é)', `(${i})`), 2);
    });
    const first = await request1(new URL(url), 'GET', {}, undefined);
    const second = await request1(new URL(url), 'GET', {}, undefined);
    expect(first.body.toString()).toBe('hello, world (0)012345');
    expect(second.body.toString()).toBe('hello, world (1)012345');
    expect(seen.connections).toBe(1);
  });

  it('skips a 100 Continue, reads an answer that ends with the connection, and opens a new one after it', async () => {
    const { url, seen } = await serve((i, socket) => {
      if (i === 0) socket.end('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil the end');
      else socket.write(ok('next'));
    });
    const first = await request1(new URL(url), 'POST', {}, Buffer.from('x'));
    const second = await request1(new URL(url), 'POST', {}, Buffer.from('y'));
    expect([first.status, first.body.toString(), second.body.toString()]).toEqual([200, 'until the end', 'next']);
    expect(seen.requests.map((r) => r.connection)).toEqual([0, 1]);
  });

  it('does not reuse a connection the server says it closes, nor an HTTP/1.0 one', async () => {
    const { url, seen } = await serve((i, socket) => {
      if (i === 0) socket.write(ok('a', 'connection: close\r\n'));
      else if (i === 1) socket.write(ok('b').replace('HTTP/1.1', 'HTTP/1.0'));
      else socket.write(ok('c'));
    });
    for (const want of ['a', 'b', 'c']) expect((await request1(new URL(url), 'GET', {}, undefined)).body.toString()).toBe(want);
    expect(seen.requests.map((r) => r.connection)).toEqual([0, 1, 2]);
  });

  it('sends a request again on a new connection when a kept one closes before any answer, once', async () => {
    const { url, seen } = await serve((i, socket) => {
      // The second request reaches a connection the server is done with: it closes without a word.
      if (i === 1) socket.destroy();
      else socket.write(ok(`answer ${i}`));
    });
    await request1(new URL(url), 'POST', { 'content-length': '3' }, Buffer.from('one'));
    const again = await request1(new URL(url), 'POST', { 'content-length': '3' }, Buffer.from('two'));
    expect(again.body.toString()).toBe('answer 2');
    expect(seen.requests.map((r) => `${r.body}@${r.connection}`)).toEqual(['one@0', 'two@0', 'two@1']);
  });

  it('does not send a request again when a kept connection closes without an answer after a while (the server may have worked on it)', async () => {
    const { url, seen } = await serve((i, socket) => {
      if (i === 1) setTimeout(() => socket.destroy(), 1_200);
      else socket.write(ok(`answer ${i}`));
    });
    await request1(new URL(url), 'POST', { 'content-length': '3' }, Buffer.from('one'));
    await expect(request1(new URL(url), 'POST', { 'content-length': '3' }, Buffer.from('two'))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(seen.requests).toHaveLength(2);
  });

  it('fails, without trying again, when a new connection closes before answering', async () => {
    const { url, seen } = await serve((_i, socket) => socket.destroy());
    await expect(request1(new URL(url), 'POST', {}, Buffer.from('x'))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(seen.requests).toHaveLength(1);
  });

  it('hands back what came of a body cut short, with the failure', async () => {
    const { url } = await serve((_i, socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial'));
    const reply = await request1(new URL(url), 'GET', {}, undefined);
    expect([reply.status, reply.body.toString()]).toEqual([200, 'partial']);
    expect(reply.bodyError).toMatchObject({ code: 'ECONNRESET', message: 'other side closed' });

    const viaExchange = await exchange(new URL(url), {});
    expect(viaExchange.bodyError).toBeInstanceOf(TypeError);
    expect(viaExchange.bodyError?.message).toBe('terminated');
  });

  it('reads no body for HEAD, 204 and 304, whatever their headers say', async () => {
    const { url, seen } = await serve((i, socket) => {
      const status = ['200 OK', '204 No Content', '304 Not Modified'][i % 3];
      socket.write(`HTTP/1.1 ${status}\r\ncontent-length: 12\r\n\r\n`);
    });
    expect((await request1(new URL(url), 'HEAD', {}, undefined)).status).toBe(200);
    expect((await request1(new URL(url), 'GET', {}, undefined)).status).toBe(204);
    expect((await request1(new URL(url), 'GET', {}, undefined)).status).toBe(304);
    expect(seen.connections).toBe(1);
  });

  it('refuses a header that could end the head early, and sends nothing', async () => {
    const { url, seen } = await serve((_i, socket) => socket.write(ok('x')));
    await expect(request1(new URL(url), 'GET', { 'x-model': 'a\r\nx-injected: 1' }, undefined)).rejects.toThrow(/line break/);
    await expect(request1(new URL(url), 'GET', { 'x-model': 'naïve ✓' }, undefined)).rejects.toThrow(/beyond Latin-1/);
    await expect(request1(new URL(url), 'GET', { 'bad name': 'a' }, undefined)).rejects.toThrow(/header name/);
    expect(seen.connections).toBe(0);
  });

  it('rejects an answer that is not HTTP/1.x, or whose Content-Length headers disagree', async () => {
    const { url } = await serve((i, socket) => socket.end(i === 0 ? 'SSH-2.0-OpenSSH\r\n\r\n' : 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab'));
    await expect(request1(new URL(url), 'GET', {}, undefined)).rejects.toThrow(/not an HTTP\/1.x answer/);
    await expect(request1(new URL(url), 'GET', {}, undefined)).rejects.toThrow(/two different Content-Length/);
  });

  it('rejects with the signal reason when aborted while waiting, and closes that connection', async () => {
    const { url, seen } = await serve((i, socket) => {
      if (i > 0) socket.write(ok('later'));
    });
    const controller = new AbortController();
    const pending = request1(new URL(url), 'GET', {}, undefined, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect((await request1(new URL(url), 'GET', {}, undefined)).body.toString()).toBe('later');
    expect(seen.requests.map((r) => r.connection)).toEqual([0, 1]);
  });
});
