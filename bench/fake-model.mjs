// A minimal OpenAI-compatible chat endpoint on 127.0.0.1 that answers `{"findings":[]}` after a fixed delay.
// It only records request bodies, as the bytes that came: decoding and counting their tokens happen after a run,
// so the server's own work never slows the run it measures (it shares the machine with loom). Only where timing
// is not measured, `admit` (given each body as text) may answer an error instead: bench/context-limit.mjs refuses
// requests over a context window with it.
import { createServer } from 'node:http';

const ANSWER = '{"findings":[]}';

/** A chat message's text: its content, or the text parts of a content array. */
export function messageText(message) {
  if (typeof message.content === 'string') return message.content;
  if (Array.isArray(message.content)) return message.content.map((p) => p.text ?? '').join('');
  return '';
}

/** Tokens of a request's response format: servers that enforce a json_schema through the prompt count it as input. */
export function formatTokens(body, count) {
  return body.response_format ? count(JSON.stringify(body.response_format)) : 0;
}

/**
 * Tokens a request is billed for, as OpenAI bills chat input: the messages' content (`contentTokens`), 3 more per
 * message, 3 for the reply, and the response format (`format`).
 */
export function billedTokens(contentTokens, messages, format) {
  return contentTokens + 3 * messages + 3 + format;
}

export async function startFakeModel({ admit } = {}) {
  let delayMs = 0;
  let seq = 0;
  /** Raw JSON bodies (bytes) of chat completion requests, in arrival order. */
  const requests = [];

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } }));
        return;
      }
      const body = Buffer.concat(chunks);
      requests.push(body);
      const refusal = admit?.(body.toString('utf8'));
      if (refusal) {
        res.writeHead(refusal.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(refusal.json));
        return;
      }
      const reply = () => {
        const json = JSON.stringify({
          id: `chatcmpl-bench-${++seq}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: 'bench',
          choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
          // No prompt count: the bench counts real prompt tokens from `requests` afterwards, and a guess from the
          // body's length would not be one (loom reads a server's prompt count, see promptCut in pipelines/run.ts).
          usage: { prompt_tokens: 0, completion_tokens: 5, total_tokens: 5 },
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      };
      if (delayMs > 0) setTimeout(reply, delayMs);
      else reply();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    setDelay(ms) {
      delayMs = ms;
    },
    /** Forgets recorded requests; returns them as text. */
    take() {
      return requests.splice(0, requests.length).map((body) => body.toString('utf8'));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
