import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseBody } from './fake-server.ts';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; the raw text when it is not JSON; `undefined` when empty. */
  body: any;
}

export type Reply =
  /** Wrapped as a chat.completion, or as SSE chunks when `stream` is set or the request asked for `stream: true`. */
  | { content: string; status?: number; delayMs?: number; stream?: boolean; usage?: { prompt_tokens: number; completion_tokens: number }; finishReason?: string }
  /** Sent as is: an error or anything else a test needs. */
  | { status: number; json?: unknown; text?: string; headers?: Record<string, string>; delayMs?: number }
  /** Drops the connection without answering. */
  | { destroy: true };

/** `index` counts chat-completion requests only (0 for the first), so a handler can script a sequence of replies. */
export type Handler = (req: ReceivedRequest, index: number) => Reply | Promise<Reply>;

export interface FakeOpenAi {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:PORT/v1`. */
  url: string;
  /** Every request received, in arrival order (including ones answered with 404). */
  requests: ReceivedRequest[];
  close(): Promise<void>;
  setHandler(h: Handler): void;
}

const COMPLETIONS_PATH = '/v1/chat/completions';

/** A fake OpenAI-compatible chat completions server on 127.0.0.1 (random port); with `tls`, over HTTPS. */
export async function startOpenAiServer(handler: Handler, opts: { tls?: { key: string; cert: string } } = {}): Promise<FakeOpenAi> {
  let current = handler;
  let completions = 0;
  let seq = 0;
  const requests: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const serve = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const raw = await readBody(req);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const received: ReceivedRequest = { method: req.method ?? 'GET', path, headers: { ...req.headers }, body: parseBody(raw) };
      requests.push(received);
      if (received.method !== 'POST' || path !== COMPLETIONS_PATH) {
        return sendJson(res, 404, { error: { message: `Not found: ${received.method} ${path}`, type: 'invalid_request_error', code: 'not_found' } });
      }
      const index = completions++;
      let reply: Reply;
      try {
        reply = await current(received, index);
      } catch (error) {
        // A throwing handler is a bug in the test: make it visible as a 500 with the message.
        return sendJson(res, 500, { error: { message: `fake server handler threw: ${String(error)}`, type: 'server_error' } });
      }
      if ('destroy' in reply) {
        req.socket.destroy();
        return;
      }
      if (reply.delayMs) await wait(reply.delayMs);
      if (res.destroyed) return;
      if ('content' in reply) {
        const id = `chatcmpl-fake-${++seq}`;
        const model = typeof received.body?.model === 'string' ? received.body.model : 'fake-model';
        const usage = reply.usage ?? { prompt_tokens: Math.ceil(promptChars(received.body) / 4), completion_tokens: Math.ceil(reply.content.length / 4) };
        const forced = reply.stream === true && received.body?.stream !== true;
        if (reply.stream || received.body?.stream === true) {
          const includeUsage = forced || received.body?.stream_options?.include_usage === true;
          return sendStream(res, reply.status ?? 200, { id, model, content: reply.content, usage: includeUsage ? usage : undefined });
        }
        return sendJson(res, reply.status ?? 200, {
          id,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: reply.content, refusal: null }, logprobs: null, finish_reason: reply.finishReason ?? 'stop' }],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        });
      }
      const headers = { ...reply.headers };
      if (reply.json !== undefined) {
        return sendJson(res, reply.status, reply.json, headers);
      }
      res.writeHead(reply.status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(reply.text ?? '');
    })().catch((error: unknown) => {
      // The client may have gone away (aborted, timed out); nothing left to answer.
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: { message: String(error) } });
    });
  };
  const server = opts.tls ? createTlsServer(opts.tls, serve) : createServer(serve);

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/v1`,
    requests,
    setHandler: (h) => {
      current = h;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A reply whose content is the JSON array of `findings`, as the findings contract asks. */
export function findingsReply(findings: object[]): Reply {
  return { content: JSON.stringify(findings) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Characters of every message's text, the basis of the default prompt_tokens. */
function promptChars(body: any): number {
  const messages: unknown[] = Array.isArray(body?.messages) ? body.messages : [];
  let total = 0;
  for (const message of messages) {
    const content = (message as { content?: unknown })?.content;
    if (typeof content === 'string') total += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) if (typeof part?.text === 'string') total += part.text.length;
    }
  }
  return total;
}

function sendJson(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function sendStream(
  res: ServerResponse,
  status: number,
  opts: { id: string; model: string; content: string; usage: { prompt_tokens: number; completion_tokens: number } | undefined },
): void {
  res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: opts.id, object: 'chat.completion.chunk', created, model: opts.model, choices, ...extra })}\n\n`;
  res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
  // Several small pieces, so a client that only reads the first chunk is caught.
  for (let i = 0; i < opts.content.length; i += 16) {
    res.write(chunk([{ index: 0, delta: { content: opts.content.slice(i, i + 16) }, finish_reason: null }]));
  }
  res.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  if (opts.usage) {
    const { prompt_tokens, completion_tokens } = opts.usage;
    res.write(chunk([], { usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens } }));
  }
  res.end('data: [DONE]\n\n');
}
