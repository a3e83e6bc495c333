import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { startOpenAiServer, type FakeOpenAi, type ReceivedRequest } from '../helpers/openai-server.ts';
import { runCli } from '../helpers/run-cli.ts';

// The prompt tokens loom reports by its own count, and the token cap that counts the same way, with a server that
// reports no usage at all (as some local servers do).

const config = (baseUrl: string, limits = '', window = 16_000) => `models:
  default:
    base_url: ${baseUrl}
    api_key_env: LOOM_TEST_KEY
    model: gpt-4o
    max_tokens: 2000
    context_window: ${window}
pipelines:
  - name: review
    template: review
  - name: security
    template: security
cache:
  enabled: false
${limits}`;

let server: FakeOpenAi;
let repo: TestRepo | undefined;

beforeAll(async () => {
  server = await startOpenAiServer(() => ({ content: '[]', usage: { prompt_tokens: 0, completion_tokens: 0 } }));
});
afterAll(() => server.close());
afterEach(() => {
  repo?.remove();
  repo = undefined;
  server.requests.length = 0;
});

/** `lines` changed lines of a handler module, about 20 o200k tokens and 85 UTF-8 bytes each. */
function repoWith(lines: number, limits = '', window?: number): TestRepo {
  const r = makeRepo({ 'src/a.js': 'export const a = 1;\n' });
  r.git('checkout', '-q', '-b', 'feature');
  const body = Array.from({ length: lines }, (_, i) => `export function handler${i}(request, response) { return response.send(request.body.value + ${i}); }\n`).join('');
  r.write({ 'src/handlers.js': body, '.loom/config.yaml': config(server.url, limits, window) });
  r.commit('feature');
  return r;
}

/** What the server was sent, in o200k tokens: every message and the response format it was asked for. */
function sentTokens(request: ReceivedRequest): number {
  const messages = request.body.messages as { content: string }[];
  return messages.reduce((n, m) => n + countTokens(m.content), 0) + (request.body.response_format ? countTokens(JSON.stringify(request.body.response_format)) : 0);
}

/** How each built-in template begins: which pipeline a request is for. */
const OPENING: Record<string, string> = {
  review: 'Review this change for correctness',
  security: 'Review this change for security problems',
};

interface Usage {
  name: string;
  calls: number;
  promptTokens: number;
  countedPromptTokens: number;
  tokenizer?: string;
}

describe('prompt tokens by loom\'s count (built CLI)', () => {
  it('reports what each pipeline sent, close to the tokens the server received, when the server reports none', async () => {
    repo = repoWith(1_500);
    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json'], { cwd: repo.dir, env: { LOOM_TEST_KEY: 'k' } });

    expect(result.code).toBe(0);
    const usage = (JSON.parse(result.stdout).pipelines as Usage[]).filter((p) => p.name !== 'builtin');
    const requests = server.requests.filter((r) => r.path === '/v1/chat/completions');
    // Several units per pipeline, so the count is a sum over calls.
    expect(usage.map((p) => p.calls)).toEqual([requests.length / 2, requests.length / 2]);
    expect(requests.length).toBeGreaterThanOrEqual(6);
    for (const pipeline of usage) {
      const received = requests.filter((r) => (r.body.messages as { content: string }[]).some((m) => m.content.startsWith(OPENING[pipeline.name]!)));
      expect(received).toHaveLength(pipeline.calls);
      const sent = received.reduce((n, r) => n + sentTokens(r), 0);
      expect(pipeline.promptTokens).toBe(0);
      expect(pipeline.tokenizer).toBe('o200k_base');
      // Units and templates are counted apart: a token could join differently across a seam (none does here).
      expect(Math.abs(pipeline.countedPromptTokens - sent)).toBeLessThanOrEqual(2 * pipeline.calls);
    }
    const both = usage.reduce((n, p) => n + p.countedPromptTokens, 0);
    const all = requests.reduce((n, r) => n + sentTokens(r), 0);
    expect(Math.abs(both - all)).toBeLessThanOrEqual(2 * requests.length);

    const text = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'text'], { cwd: repo.dir, env: { LOOM_TEST_KEY: 'k' } });
    expect(text.stdout).toMatch(new RegExp(`review \\(gpt-4o\\) +${usage[0]!.calls} calls, 0 failed, ${usage[0]!.countedPromptTokens.toLocaleString('en-US')} prompt tokens sent by loom's count \\(o200k_base\\); reported: 0 prompt \\+ 0 completion`));
  });

  it('caps by tokens, not bytes: a small diff under max_prompt_tokens is reviewed, and one over it is not', async () => {
    // 150 lines: about 3,000 tokens of diff but 14,000 bytes; with two templates the run sends about 7,000 tokens.
    // A window far larger than the diff: where loom once planned by bytes, and so capped this run.
    repo = repoWith(150, 'limits:\n  max_prompt_tokens: 12000\n', 32_000);
    const under = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json'], { cwd: repo.dir, env: { LOOM_TEST_KEY: 'k' } });

    expect(under.code).toBe(0);
    const report = JSON.parse(under.stdout);
    expect(report.failures).toEqual([]);
    expect(report.coverage.linesNotReviewed).toBe(0);
    const counted = (report.pipelines as Usage[]).reduce((n, p) => n + (p.countedPromptTokens ?? 0), 0);
    expect(counted).toBeGreaterThan(5_000);
    expect(counted).toBeLessThanOrEqual(12_000);
    expect(server.requests).toHaveLength(2);

    // The same diff under a cap the first call alone passes: nothing is sent, and the report says why.
    server.requests.length = 0;
    repo.write({ '.loom/config.yaml': config(server.url, 'limits:\n  max_prompt_tokens: 2000\n', 32_000) });
    const over = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json'], { cwd: repo.dir, env: { LOOM_TEST_KEY: 'k' } });
    const capped = JSON.parse(over.stdout);
    expect(server.requests).toHaveLength(0);
    expect(capped.failures.map((f: { reason: string }) => f.reason)).toEqual([
      'not reviewed: limits.max_prompt_tokens (2000) was reached',
      'not reviewed: limits.max_prompt_tokens (2000) was reached',
    ]);
  });
});
