import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTokenCounter, type TokenCounter } from '../../src/tokens/counter.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { codeLine } from '../units/plan-helpers.ts';

// The built CLI counts tokens in a worker thread (count-worker.ts) while it scans the diff and prepares prompts,
// with several requests to that thread in flight at once. This runs it on a diff too big for the byte bound and
// checks, as a model server with a context limit would (the response format counted too), that no request is over the limit, that every changed
// line is covered, and that the process finishes its work (an idle wait must never let node exit early).

const CONTEXT_WINDOW = 6_000;
const MAX_TOKENS = 800;
const KEY = 'sk-test-budget-0123456789abcdef';

let server: FakeOpenAi;
let repo: TestRepo;
let o200k: TokenCounter;

beforeAll(async () => {
  server = await startOpenAiServer(() => ({ content: '{"findings":[]}' }));
  o200k = await createTokenCounter({ model: 'gpt-4o' });
});
afterAll(() => server.close());
afterEach(() => {
  repo?.remove();
  server.requests.length = 0;
});

const lines = (n: number, salt: number) => Array.from({ length: n }, (_, i) => `${codeLine(salt * 1000 + i)}`).join('\n') + '\n';

describe('loom review on a diff many times the context window (built CLI, counting thread)', () => {
  it('keeps every request within the window and reviews every changed line, in each pipeline', async () => {
    const base: Record<string, string> = {};
    const head: Record<string, string> = {};
    for (let f = 0; f < 40; f++) {
      base[`src/m${f}.ts`] = lines(80, f);
      head[`src/m${f}.ts`] = lines(80, f).replace(/return/g, 'return void');
    }
    head['src/big.ts'] = lines(1500, 99);
    head['docs/日本語.md'] = '日本語のテキスト、レビューしてください。\n'.repeat(200);
    repo = makeRepo(base);
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write({
      ...head,
      '.loom/config.yaml': `models:
  default:
    base_url: ${server.url}
    api_key_env: OPENAI_API_KEY
    model: gpt-4o
    max_tokens: ${MAX_TOKENS}
    context_window: ${CONTEXT_WINDOW}
    max_retries: 0
pipelines:
  - name: review
    template: review
  - name: security
    template: security
concurrency: 4
cache:
  enabled: false
limits:
  max_calls: 10000
`,
    });
    repo.commit('feature');

    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json', '--quiet'], { cwd: repo.dir, env: { OPENAI_API_KEY: KEY } });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    const calls = server.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(calls.length).toBeGreaterThan(20);
    for (const call of calls) {
      // As a server that enforces the findings schema through the prompt (OpenAI's structured outputs) counts it.
      const prompt = call.body.messages.reduce((n: number, m: { content: string }) => n + o200k.count(m.content) + 3, 3) + o200k.count(JSON.stringify(call.body.response_format));
      expect(prompt + MAX_TOKENS).toBeLessThanOrEqual(CONTEXT_WINDOW);
    }
    expect(report.coverage).toMatchObject({ linesNotReviewed: 0, linesSkipped: 0 });
    expect(report.coverage.linesReviewed + report.coverage.linesSummarised).toBe(report.coverage.linesChanged);
    expect(report.pipelines.find((p: { name: string }) => p.name === 'review').calls).toBe(calls.length / 2);
  });
});
