import { afterEach, describe, expect, it } from 'vitest';
import { LoomError } from '../../src/errors.ts';
import { chatCompletionsUrl } from '../../src/llm/chat-endpoint.ts';
import { createLlmClient } from '../../src/llm/client.ts';
import { LlmCallError } from '../../src/llm/errors.ts';
import { type FakeOpenAi, type Handler, startOpenAiServer } from '../helpers/openai-server.ts';
import { captureLog, KEY, modelAt, testClient } from './support.ts';

const servers: FakeOpenAi[] = [];
async function serve(handler: Handler): Promise<FakeOpenAi> {
  const server = await startOpenAiServer(handler);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const ask = { system: 'You review code.', user: 'Review this.' };

async function rejection(promise: Promise<unknown>): Promise<LlmCallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LlmCallError);
  return error as LlmCallError;
}

describe('createLlmClient: requests and answers', () => {
  it('sends the model settings, key and custom headers, and returns text and usage', async () => {
    const server = await serve(() => ({ content: 'hello', usage: { prompt_tokens: 11, completion_tokens: 3 } }));
    const { llm } = testClient(server.url, { model: { headers: { 'x-team': 'loom' }, temperature: 0.2, max_tokens: 900 } });
    expect(llm.name).toBe('default');
    expect(llm.model).toBe('gpt-test');

    const result = await llm.complete(ask);

    expect(result).toEqual({ text: 'hello', usage: { promptTokens: 11, completionTokens: 3 } });
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(req.headers['x-team']).toBe('loom');
    expect(req.body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You review code.' },
        { role: 'user', content: 'Review this.' },
      ],
      stream: false,
      temperature: 0.2,
      max_tokens: 900,
    });
  });

  it('sends response_format json_schema (strict false) when a schema is given', async () => {
    const server = await serve(() => ({ content: '[]' }));
    const { llm } = testClient(server.url);
    await llm.complete({ ...ask, jsonSchema: { name: 'x', schema: { type: 'object' } } });
    expect(server.requests[0]!.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: false } });
  });

  it('appends follow-up turns after the user message', async () => {
    const server = await serve(() => ({ content: 'ok' }));
    const { llm } = testClient(server.url);
    await llm.complete({ ...ask, followUp: [{ role: 'assistant', content: 'prose' }, { role: 'user', content: 'JSON please' }] });
    expect(server.requests[0]!.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('reports usage 0 when the server sends none', async () => {
    const server = await serve(() => ({ status: 200, json: { choices: [{ index: 0, message: { role: 'assistant', content: 'x' }, finish_reason: 'stop' }] } }));
    const { llm } = testClient(server.url);
    expect(await llm.complete(ask)).toEqual({ text: 'x', usage: { promptTokens: 0, completionTokens: 0 } });
  });

  it('assembles an SSE stream the server sends although stream:false was asked', async () => {
    const content = '[{"file": "a.ts", "line": 3, "title": "t", "body": "a body that spans several chunks"}]';
    const server = await serve(() => ({ content, stream: true, usage: { prompt_tokens: 40, completion_tokens: 25 } }));
    const { llm } = testClient(server.url);
    const result = await llm.complete(ask);
    expect(server.requests[0]!.body.stream).toBe(false);
    expect(result).toEqual({ text: content, usage: { promptTokens: 40, completionTokens: 25 } });
  });

  it('fails clearly on a 200 that is not a chat completion', async () => {
    const server = await serve(() => ({ status: 200, json: { hello: 'world' } }));
    const { llm } = testClient(server.url);
    const error = await rejection(llm.complete(ask));
    expect(error.message).toBe(`model gpt-test at ${server.url}: the answer is not a chat completion: {"hello":"world"}`);
  });

  it('asks again after a 200 whose body was cut off, and takes the next answer', async () => {
    const server = await serve((_req, index) => (index === 0 ? { status: 200, text: '{"id":"chatcmpl-1","choi' } : { content: 'whole' }));
    const { llm, waits, lines } = testClient(server.url);
    expect((await llm.complete(ask)).text).toBe('whole');
    expect(server.requests).toHaveLength(2);
    expect(waits).toHaveLength(1);
    expect(lines.some((line) => line.includes('the answer is not a chat completion: {"id":"chatcmpl-1","choi; retry 1/2'))).toBe(true);
  });

  it('retries a gateway error sent with status 200, then reports it with the attempts made', async () => {
    const server = await serve(() => ({ status: 200, json: { error: { message: 'upstream overloaded', code: 502 } } }));
    const { llm } = testClient(server.url);
    const error = await rejection(llm.complete(ask));
    expect(server.requests).toHaveLength(3);
    expect(error.attempts).toBe(3);
    expect(error.message).toBe(`model gpt-test at ${server.url}: the answer is not a chat completion: {"error":{"message":"upstream overloaded","code":502}} (gave up after 3 attempts)`);
  });

  it('retries an empty body and a completion without choices', async () => {
    const server = await serve((_req, index) => (index === 0 ? { status: 200, text: '' } : index === 1 ? { status: 200, json: { id: 'x', choices: [] } } : { content: 'third time' }));
    const { llm } = testClient(server.url);
    expect((await llm.complete(ask)).text).toBe('third time');
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a web page or another API\'s JSON: the base_url is wrong, and every call would get the same', async () => {
    const page = await serve(() => ({ status: 200, text: '<!doctype html><html><body>Open WebUI</body></html>' }));
    const error = await rejection(testClient(page.url).llm.complete(ask));
    expect(page.requests).toHaveLength(1);
    expect(error.message).toBe(`model gpt-test at ${page.url}: the answer is not a chat completion: <!doctype html><html><body>Open WebUI</body></html>`);
    const other = await serve(() => ({ status: 200, json: { hello: 'world' } }));
    await rejection(testClient(other.url).llm.complete(ask));
    expect(other.requests).toHaveLength(1);
  });

  it('warns when the answer was cut off at max_tokens', async () => {
    const server = await serve(() => ({ status: 200, json: { choices: [{ index: 0, message: { role: 'assistant', content: '[{"fi' }, finish_reason: 'length' }] } }));
    const { llm, lines } = testClient(server.url, { model: { max_tokens: 50 } });
    expect((await llm.complete(ask)).text).toBe('[{"fi');
    expect(lines).toContain(`warning: model gpt-test at ${server.url} stopped at max_tokens (50), so the answer may be cut off; raise models.default.max_tokens\n`);
  });

  it('names itself, and lets a configured header replace its own (a gateway that wants its own Authorization)', async () => {
    const server = await serve(() => ({ content: 'ok' }));
    const { llm } = testClient(server.url, { model: { headers: { Authorization: 'Token gateway-7', 'User-Agent': 'team-bot' } } });
    await llm.complete(ask);
    const headers = server.requests[0]!.headers;
    expect(headers['authorization']).toBe('Token gateway-7');
    expect(headers['user-agent']).toBe('team-bot');
    expect(headers['content-type']).toBe('application/json');
  });

  it('sends loom as its user agent by default', async () => {
    const server = await serve(() => ({ content: 'ok' }));
    const { llm } = testClient(server.url);
    await llm.complete(ask);
    expect(server.requests[0]!.headers['user-agent']).toMatch(/^loom\//);
  });

  it('gives up on a call that outlasts timeout_s, retries it, and says so', async () => {
    const server = await serve(() => ({ content: 'late', delayMs: 5_000 }));
    const { llm } = testClient(server.url, { model: { timeout_s: 0.1, max_retries: 1 } });
    const error = await rejection(llm.complete(ask));
    expect(server.requests).toHaveLength(2);
    expect(error.status).toBeUndefined();
    expect(error.message).toBe(`model gpt-test at ${server.url}: timed out after 0.1 s (models.default.timeout_s) (gave up after 2 attempts)`);
  });

  it('rethrows the abort reason when the caller aborts, without retrying', async () => {
    const controller = new AbortController();
    const server = await serve(() => {
      controller.abort(new Error('review cancelled'));
      return { content: 'late', delayMs: 60_000 };
    });
    const { llm } = testClient(server.url);
    await expect(llm.complete({ ...ask, signal: controller.signal })).rejects.toThrow('review cancelled');
    expect(server.requests).toHaveLength(1);
  });
});

describe('chatCompletionsUrl', () => {
  it('appends the path to base_url with or without a trailing slash, and keeps a query on the end', () => {
    expect(chatCompletionsUrl('http://127.0.0.1:11434/v1').href).toBe('http://127.0.0.1:11434/v1/chat/completions');
    expect(chatCompletionsUrl('https://api.example.com/v1/').href).toBe('https://api.example.com/v1/chat/completions');
    expect(chatCompletionsUrl('https://x.openai.azure.com/openai/deployments/d?api-version=2024-10-21').href).toBe(
      'https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21',
    );
  });
});

describe('createLlmClient: retries', () => {
  it('retries a 429 after its retry-after: 0', async () => {
    const server = await serve((_req, i) => (i === 0 ? { status: 429, json: { error: { message: 'Rate limit reached' } }, headers: { 'retry-after': '0' } } : { content: 'done' }));
    const { llm, waits } = testClient(server.url);
    expect((await llm.complete(ask)).text).toBe('done');
    expect(server.requests).toHaveLength(2);
    expect(waits).toEqual([0]);
  });

  it('honours retry-after-ms', async () => {
    const server = await serve((_req, i) => (i === 0 ? { status: 429, json: { error: { message: 'slow down' } }, headers: { 'retry-after-ms': '250' } } : { content: 'done' }));
    const { llm, waits } = testClient(server.url);
    await llm.complete(ask);
    expect(waits).toEqual([250]);
  });

  it('caps a huge retry-after at 60 s and says so in a debug line', async () => {
    const server = await serve((_req, i) => (i === 0 ? { status: 429, json: { error: { message: 'quota' } }, headers: { 'retry-after': '120' } } : { content: 'done' }));
    const { llm, waits, lines } = testClient(server.url);
    await llm.complete(ask);
    expect(waits).toEqual([60_000]);
    expect(lines).toContain(`debug: model gpt-test at ${server.url} asked to wait 120 s before retrying; loom waits at most 60 s\n`);
  });

  it('retries a 500 with exponential backoff from the base', async () => {
    const server = await serve((_req, i) => (i < 2 ? { status: 500, json: { error: { message: 'boom' } } } : { content: 'done' }));
    const { llm, waits } = testClient(server.url);
    expect((await llm.complete(ask)).text).toBe('done');
    expect(server.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
    // base 10 ms, doubled per retry, minus up to 25% jitter
    expect(waits[0]).toBeGreaterThanOrEqual(7);
    expect(waits[0]).toBeLessThanOrEqual(10);
    expect(waits[1]).toBeGreaterThanOrEqual(15);
    expect(waits[1]).toBeLessThanOrEqual(20);
  });

  it('gives up after max_retries + 1 requests on a 500 that never ends', async () => {
    const server = await serve(() => ({ status: 500, json: { error: { message: 'overloaded' } } }));
    const { llm } = testClient(server.url, { model: { max_retries: 2 } });
    const error = await rejection(llm.complete(ask));
    expect(server.requests).toHaveLength(3);
    expect(error.status).toBe(500);
    expect(error.attempts).toBe(3);
    expect(error.code).toBe('llm-failed');
    expect(error.message).toBe(`model gpt-test at ${server.url}: 500 overloaded (gave up after 3 attempts)`);
  });

  it('makes exactly one request with max_retries 0', async () => {
    const server = await serve(() => ({ status: 503, text: 'unavailable' }));
    const { llm } = testClient(server.url, { model: { max_retries: 0 } });
    const error = await rejection(llm.complete(ask));
    expect(server.requests).toHaveLength(1);
    expect(error.message).toBe(`model gpt-test at ${server.url}: 503 unavailable`);
  });

  it('retries a dropped connection', async () => {
    const server = await serve((_req, i) => (i === 0 ? { destroy: true } : { content: 'done' }));
    const { llm } = testClient(server.url);
    expect((await llm.complete(ask)).text).toBe('done');
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 400', async () => {
    const server = await serve(() => ({ status: 400, json: { error: { message: "This model's maximum context length is 8192 tokens", code: 'context_length_exceeded' } } }));
    const { llm } = testClient(server.url, { model: { max_retries: 3 } });
    const error = await rejection(llm.complete({ ...ask, jsonSchema: { name: 'x', schema: {} } }));
    expect(server.requests).toHaveLength(1);
    expect(error.status).toBe(400);
    expect(error.message).toBe(`model gpt-test at ${server.url}: 400 This model's maximum context length is 8192 tokens`);
  });

  it('says the server is not running when the connection is refused', async () => {
    const server = await startOpenAiServer(() => ({ content: 'x' }));
    const url = server.url;
    await server.close();
    const { llm } = testClient(url, { model: { max_retries: 1 } });
    const error = await rejection(llm.complete(ask));
    expect(error.status).toBeUndefined();
    expect(error.message).toBe(`model gpt-test at ${url}: connection failed (ECONNREFUSED): is the server running? (gave up after 2 attempts)`);
  });
});

describe('createLlmClient: parameters the endpoint refuses', () => {
  it('drops a refused response_format, retries, and never sends it again', async () => {
    const server = await serve((req) =>
      req.body.response_format
        ? { status: 400, json: { error: { message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", param: 'response_format', type: 'invalid_request_error' } } }
        : { content: '[]' },
    );
    const { llm, lines } = testClient(server.url);
    const withSchema = { ...ask, jsonSchema: { name: 'findings', schema: { type: 'object' } } };
    expect((await llm.complete(withSchema)).text).toBe('[]');
    expect((await llm.complete(withSchema)).text).toBe('[]');
    expect(server.requests.map((r) => 'response_format' in r.body)).toEqual([true, false, false]);
    expect(lines.some((l) => l.startsWith(`debug: model gpt-test at ${server.url} refused response_format`))).toBe(true);
  });

  it('understands a vLLM-style error body ({"message"}) when dropping response_format', async () => {
    const server = await serve((req) =>
      req.body.response_format ? { status: 400, json: { object: 'error', message: 'guided decoding backend not supported', type: 'BadRequestError', code: 400 } } : { content: '[]' },
    );
    const { llm } = testClient(server.url);
    await llm.complete({ ...ask, jsonSchema: { name: 'f', schema: {} } });
    expect(server.requests.map((r) => 'response_format' in r.body)).toEqual([true, false]);
  });

  it('understands a FastAPI validation body ({"detail": [...]}) when dropping response_format', async () => {
    const server = await serve((req) =>
      req.body.response_format
        ? { status: 422, json: { detail: [{ loc: ['body', 'response_format'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }] } }
        : { content: '[]' },
    );
    const { llm } = testClient(server.url);
    await llm.complete({ ...ask, jsonSchema: { name: 'f', schema: {} } });
    expect(server.requests.map((r) => 'response_format' in r.body)).toEqual([true, false]);
  });

  it('switches to max_completion_tokens when max_tokens is refused, and keeps it', async () => {
    const server = await serve((req) =>
      'max_tokens' in req.body
        ? { status: 400, json: { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", param: 'max_tokens', type: 'invalid_request_error', code: 'unsupported_parameter' } } }
        : { content: 'ok' },
    );
    const { llm } = testClient(server.url, { model: { max_tokens: 1234 } });
    await llm.complete(ask);
    await llm.complete(ask);
    expect(server.requests.map((r) => [r.body.max_tokens, r.body.max_completion_tokens])).toEqual([
      [1234, undefined],
      [undefined, 1234],
      [undefined, 1234],
    ]);
  });

  it('drops a refused temperature, and keeps it dropped', async () => {
    const server = await serve((req) =>
      'temperature' in req.body
        ? { status: 400, json: { error: { message: "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is supported.", param: 'temperature', code: 'unsupported_value' } } }
        : { content: 'ok' },
    );
    const { llm } = testClient(server.url);
    await llm.complete(ask);
    await llm.complete(ask);
    expect(server.requests.map((r) => 'temperature' in r.body)).toEqual([true, false, false]);
  });

  it('adapts to all three, one at a time, like an o-series model behind a strict proxy', async () => {
    const server = await serve((req) => {
      if ('max_tokens' in req.body) return { status: 400, json: { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." } } };
      if ('temperature' in req.body) return { status: 400, json: { error: { message: "Unsupported value: 'temperature' does not support 0 with this model." } } };
      if ('response_format' in req.body) return { status: 400, json: { error: { message: 'response_format is not supported' } } };
      return { content: 'ok' };
    });
    const { llm } = testClient(server.url, { model: { max_retries: 0 } });
    expect((await llm.complete({ ...ask, jsonSchema: { name: 'f', schema: {} } })).text).toBe('ok');
    expect(server.requests).toHaveLength(4);
    expect(server.requests[3]!.body).toEqual({ model: 'gpt-test', messages: expect.any(Array), stream: false, max_completion_tokens: 4000 });
  });

  it('surfaces the second refusal of a parameter it already adapted', async () => {
    const server = await serve(() => ({ status: 400, json: { error: { message: 'max_tokens is not supported' } } }));
    const { llm } = testClient(server.url);
    const error = await rejection(llm.complete(ask));
    expect(server.requests).toHaveLength(2);
    expect(error.message).toBe(`model gpt-test at ${server.url}: 400 max_tokens is not supported`);
  });
});

describe('createLlmClient: API keys and secrets', () => {
  it('refuses to call a public endpoint without a key, naming the variable', () => {
    const { log } = captureLog();
    const call = () => createLlmClient('default', modelAt('https://api.openai.com/v1', { model: 'gpt-4o' }), { env: {}, log });
    expect(call).toThrow(LoomError);
    expect(call).toThrow('set OPENAI_API_KEY (models.default.api_key_env) to call gpt-4o at https://api.openai.com/v1');
    try {
      call();
    } catch (error) {
      expect((error as LoomError).code).toBe('llm-failed');
    }
  });

  it('names the configured variable and model key', () => {
    const { log } = captureLog();
    const model = modelAt('https://llm.example.com/v1', { model: 'm', api_key_env: 'TEAM_LLM_KEY' });
    expect(() => createLlmClient('fast', model, { env: { OPENAI_API_KEY: 'other' }, log })).toThrow('set TEAM_LLM_KEY (models.fast.api_key_env) to call m at https://llm.example.com/v1');
  });

  it('uses a placeholder key for a server on 127.0.0.1', async () => {
    const server = await serve(() => ({ content: 'local' }));
    const { llm } = testClient(server.url, { env: {} });
    expect((await llm.complete(ask)).text).toBe('local');
    expect(server.requests[0]!.headers['authorization']).toBe('Bearer loom-no-key');
  });

  it('never shows the key, even when the server echoes it in a 401', async () => {
    const server = await serve((req) => ({
      status: 401,
      json: { error: { message: `Incorrect API key provided: ${String(req.headers['authorization']).slice(7)}. You can find your API key at https://platform.openai.com/account/api-keys.`, code: 'invalid_api_key' } },
    }));
    const { llm, lines } = testClient(server.url);
    const error = await rejection(llm.complete(ask));
    expect(server.requests[0]!.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(error.status).toBe(401);
    expect(error.message).toBe(
      `model gpt-test at ${server.url}: 401 Incorrect API key provided: sk-t****. You can find your API key at https://platform.openai.com/account/api-keys. (check OPENAI_API_KEY)`,
    );
    expect(error.message).not.toContain(KEY);
    expect(lines.join('')).not.toContain(KEY);
  });

  it('redacts the key from debug lines about retries', async () => {
    const server = await serve((_req, i) => (i === 0 ? { status: 500, json: { error: { message: `upstream rejected ${KEY}` } } } : { content: 'ok' }));
    const { llm, lines } = testClient(server.url);
    await llm.complete(ask);
    expect(lines.some((l) => l.includes('upstream rejected sk-t****'))).toBe(true);
    expect(lines.join('')).not.toContain(KEY);
  });

  it('redacts the key if the model echoes it in its answer', async () => {
    const server = await serve(() => ({ content: `the key is ${KEY}` }));
    const { llm } = testClient(server.url);
    expect((await llm.complete(ask)).text).toBe('the key is sk-t****');
  });

  it('tells a local server user that it wants a key after all', async () => {
    const server = await serve(() => ({ status: 401, json: { error: { message: 'Unauthorized' } } }));
    const { llm } = testClient(server.url, { env: {} });
    const error = await rejection(llm.complete(ask));
    expect(error.message).toBe(`model gpt-test at ${server.url}: 401 Unauthorized (the server wants an API key: set OPENAI_API_KEY)`);
  });

  it('turns an HTML error page into one line', async () => {
    const server = await serve(() => ({ status: 502, text: '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>', headers: { 'content-type': 'text/html' } }));
    const { llm } = testClient(server.url, { model: { max_retries: 0 } });
    const error = await rejection(llm.complete(ask));
    expect(error.message).toBe(`model gpt-test at ${server.url}: 502 502 Bad Gateway Bad Gateway`);
  });
});
