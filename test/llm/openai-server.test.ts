import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOpenAi, type Handler, findingsReply, startOpenAiServer } from '../helpers/openai-server.ts';

const servers: FakeOpenAi[] = [];
async function serve(handler: Handler): Promise<FakeOpenAi> {
  const server = await startOpenAiServer(handler);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const sdkFor = (server: FakeOpenAi) => new OpenAI({ baseURL: server.url, apiKey: 'sk-fake-server-test', maxRetries: 0, organization: null, project: null });
const messages = [
  { role: 'system' as const, content: 'abcdefgh' }, // 8 chars
  { role: 'user' as const, content: 'abcdefghi' }, // 9 chars
];

describe('startOpenAiServer', () => {
  it('listens on 127.0.0.1 with a /v1 base url', async () => {
    const server = await serve(() => ({ content: 'x' }));
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it('answers a chat.completion the real SDK reads, with usage derived from prompt characters', async () => {
    const server = await serve(() => ({ content: 'hello there' }));
    const completion = await sdkFor(server).chat.completions.create({ model: 'm1', messages });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('m1');
    expect(completion.id).toMatch(/^chatcmpl-fake-\d+$/);
    expect(completion.choices).toEqual([{ index: 0, message: { role: 'assistant', content: 'hello there', refusal: null }, logprobs: null, finish_reason: 'stop' }]);
    // ceil(17 / 4) and ceil(11 / 4)
    expect(completion.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  it('records method, path, headers and parsed body, and counts completions for the handler', async () => {
    const seen: number[] = [];
    const server = await serve((_req, index) => {
      seen.push(index);
      return { content: String(index) };
    });
    const sdk = sdkFor(server);
    await sdk.chat.completions.create({ model: 'm', messages });
    const second = await sdk.chat.completions.create({ model: 'm', messages });
    expect(second.choices[0]!.message.content).toBe('1');
    expect(seen).toEqual([0, 1]);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: { model: 'm', messages } });
    expect(server.requests[0]!.headers['authorization']).toBe('Bearer sk-fake-server-test');
  });

  it('streams SSE chunks ending with [DONE] when the request asks for stream:true', async () => {
    const content = 'a streamed answer that is longer than one sixteen-character chunk';
    const server = await serve(() => ({ content, usage: { prompt_tokens: 7, completion_tokens: 9 } }));
    const stream = await sdkFor(server).chat.completions.create({ model: 'm', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let chunks = 0;
    let usage: unknown;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(content);
    expect(chunks).toBe(2 + Math.ceil(content.length / 16) + 1);
    expect(usage).toEqual({ prompt_tokens: 7, completion_tokens: 9, total_tokens: 16 });
  });

  it('ends an SSE body with data: [DONE]', async () => {
    const server = await serve(() => ({ content: 'x', stream: true }));
    const res = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages }) });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const body = await res.text();
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('sends raw replies with their status, headers and body', async () => {
    const server = await serve((_req, i) =>
      i === 0 ? { status: 429, json: { error: { message: 'slow' } }, headers: { 'retry-after': '3' } } : { status: 503, text: 'down' },
    );
    const first = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: '{}' });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(await first.json()).toEqual({ error: { message: 'slow' } });
    const second = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: '{}' });
    expect([second.status, await second.text()]).toEqual([503, 'down']);
  });

  it('drops the connection on { destroy: true }', async () => {
    const server = await serve(() => ({ destroy: true }));
    await expect(fetch(`${server.url}/chat/completions`, { method: 'POST', body: '{}' })).rejects.toThrow('fetch failed');
    expect(server.requests).toHaveLength(1);
  });

  it('answers 404 elsewhere, records it, and does not call the handler', async () => {
    let calls = 0;
    const server = await serve(() => {
      calls++;
      return { content: 'x' };
    });
    const res = await fetch(`${server.url}/models`);
    expect(res.status).toBe(404);
    expect(calls).toBe(0);
    expect(server.requests).toEqual([{ method: 'GET', path: '/v1/models', headers: expect.any(Object), body: undefined }]);
  });

  it('turns a throwing handler into a visible 500', async () => {
    const server = await serve(() => {
      throw new Error('bad script');
    });
    const res = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { message: 'fake server handler threw: Error: bad script', type: 'server_error' } });
  });

  it('swaps handlers with setHandler', async () => {
    const server = await serve(() => ({ content: 'one' }));
    server.setHandler(() => ({ content: 'two' }));
    const completion = await sdkFor(server).chat.completions.create({ model: 'm', messages });
    expect(completion.choices[0]!.message.content).toBe('two');
  });

  it('findingsReply answers with the JSON array as content', async () => {
    const findings = [{ file: 'a.ts', line: 1, title: 't', body: 'b' }];
    expect(findingsReply(findings)).toEqual({ content: JSON.stringify(findings) });
  });

  it('closes even while a delayed reply is pending', async () => {
    const server = await startOpenAiServer(() => ({ content: 'late', delayMs: 600_000 }));
    const pending = fetch(`${server.url}/chat/completions`, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    while (server.requests.length === 0) await new Promise((r) => setImmediate(r));
    await server.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});
