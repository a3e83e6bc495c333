import { afterEach, describe, expect, it } from 'vitest';
import { askForFindings, LlmCallError, ReplyParseError } from '../../src/llm/ask-findings.ts';
import { FINDINGS_JSON_SCHEMA } from '../../src/llm/reply.ts';
import { type FakeOpenAi, type Handler, findingsReply, startOpenAiServer } from '../helpers/openai-server.ts';
import { KEY, testClient } from './support.ts';

const servers: FakeOpenAi[] = [];
async function serve(handler: Handler): Promise<FakeOpenAi> {
  const server = await startOpenAiServer(handler);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const prompt = { system: 'You are a reviewer.', user: 'Diff:\n12 + eval(input)' };
const finding = { file: 'src/run.ts', line: 12, severity: 'high', title: 'eval of user input', body: 'Never eval input.' };

describe('askForFindings', () => {
  it('asks with the findings schema and returns parsed findings in one call', async () => {
    const server = await serve(() => ({ ...findingsReply([finding, { file: 'src/run.ts', title: 'no line', body: 'x' }]), usage: { prompt_tokens: 100, completion_tokens: 20 } }));
    const { llm } = testClient(server.url);

    const result = await askForFindings(llm, prompt);

    expect(result).toEqual({
      findings: [{ file: 'src/run.ts', line: 12, side: 'new', severity: 'blocker', title: 'eval of user input', body: 'Never eval input.' }],
      dropped: ['finding 2 (src/run.ts): no valid "line" (got nothing)'],
      usage: { promptTokens: 100, completionTokens: 20 },
      calls: 1,
      firstPromptTokens: 100,
    });
    expect(server.requests[0]!.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'loom_findings', schema: FINDINGS_JSON_SCHEMA, strict: false } });
  });

  it('accepts {"findings": []} as nothing found', async () => {
    const server = await serve(() => ({ content: '{"findings": []}' }));
    const { llm } = testClient(server.url);
    expect(await askForFindings(llm, prompt)).toEqual({ findings: [], dropped: [], usage: expect.any(Object), calls: 1, firstPromptTokens: expect.any(Number) });
  });

  it('asks once more with the parse error after an unparseable answer, and sums usage', async () => {
    const server = await serve((_req, i) =>
      i === 0
        ? { content: 'The change looks risky but overall fine.', usage: { prompt_tokens: 100, completion_tokens: 10 } }
        : { ...findingsReply([finding]), usage: { prompt_tokens: 130, completion_tokens: 30 } },
    );
    const { llm } = testClient(server.url);

    const result = await askForFindings(llm, prompt);

    expect(result.calls).toBe(2);
    expect(result.usage).toEqual({ promptTokens: 230, completionTokens: 40 });
    // What the server read of the prompt as loom built it: the first call's count, not the sum or the mean.
    expect(result.firstPromptTokens).toBe(100);
    expect(result.findings.map((f) => f.title)).toEqual(['eval of user input']);
    expect(server.requests).toHaveLength(2);
    const messages = server.requests[1]!.body.messages as { role: string; content: string }[];
    expect(messages.slice(0, 3)).toEqual([
      { role: 'system', content: prompt.system },
      { role: 'user', content: prompt.user },
      { role: 'assistant', content: 'The change looks risky but overall fine.' },
    ]);
    expect(messages[3]!.role).toBe('user');
    expect(messages[3]!.content).toContain('Your answer could not be parsed: the answer contains no JSON.');
    expect(messages[3]!.content).toContain('Answer [] when there is nothing to report.');
    expect(server.requests[1]!.body.response_format).toBeDefined();
  });

  it('sends a placeholder for an empty first answer', async () => {
    const server = await serve((_req, i) => (i === 0 ? { content: '' } : { content: '[]' }));
    const { llm } = testClient(server.url);
    await askForFindings(llm, prompt);
    expect(server.requests[1]!.body.messages[2]).toEqual({ role: 'assistant', content: '(empty answer)' });
    expect(server.requests[1]!.body.messages[3].content).toContain('the answer was empty');
  });

  it('throws ReplyParseError after two unparseable answers, quoting the second (redacted)', async () => {
    const second = `Sorry, I cannot comply. My key is ${KEY}. ${'z'.repeat(300)}`;
    const server = await serve((_req, i) => ({ content: i === 0 ? 'LGTM' : second, usage: { prompt_tokens: 5, completion_tokens: 1 } }));
    const { llm } = testClient(server.url);

    const error = await askForFindings(llm, prompt).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ReplyParseError);
    const parseError = error as ReplyParseError;
    const shown = second.replace(KEY, 'sk-t****').slice(0, 200);
    expect(parseError.message).toBe(
      `default (gpt-test): the answer could not be parsed as findings JSON (the answer contains no JSON), also after asking again: ${JSON.stringify(shown)}`,
    );
    expect(parseError.message).not.toContain(KEY);
    expect(parseError.code).toBe('llm-failed');
    expect(parseError.calls).toBe(2);
    expect(parseError.usage).toEqual({ promptTokens: 10, completionTokens: 2 });
    expect(server.requests).toHaveLength(2);
  });

  it('lets an HTTP failure propagate as LlmCallError', async () => {
    const server = await serve(() => ({ status: 500, json: { error: { message: 'model crashed' } } }));
    const { llm } = testClient(server.url, { model: { max_retries: 1 } });
    const error = await askForFindings(llm, prompt).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LlmCallError);
    expect((error as LlmCallError).status).toBe(500);
    expect((error as LlmCallError).message).toBe(`model gpt-test at ${server.url}: 500 model crashed (gave up after 2 attempts)`);
  });

  it('still works when the endpoint refuses response_format', async () => {
    const server = await serve((req) =>
      req.body.response_format ? { status: 400, json: { error: { message: 'response_format is not supported by this backend' } } } : findingsReply([finding]),
    );
    const { llm } = testClient(server.url);
    const result = await askForFindings(llm, prompt);
    expect(result.calls).toBe(1);
    expect(result.findings).toHaveLength(1);
    expect(server.requests.map((r) => 'response_format' in r.body)).toEqual([true, false]);
  });
});
