import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDiff } from '../../src/diff/parse.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { startOpenAiServer, type FakeOpenAi, type ReceivedRequest } from '../helpers/openai-server.ts';
import { runCli } from '../helpers/run-cli.ts';

// A model with a small window, served by a fake that refuses (as OpenAI does) any request over it: the built CLI
// must cut a large pull request so that no request is refused, and account for every changed line.
const WINDOW = 8_000;
const MAX_TOKENS = 1_000;
const INPUT_LIMIT = WINDOW - MAX_TOKENS;
const DIFF_START = '<<<loom:untrusted diff>>>';
const DIFF_END = '<<<loom:end diff>>>';

const asText = { disallowedSpecial: new Set<string>() };
/** Prompt tokens as OpenAI bills a chat request: each message's content plus 3 per message, plus 3 for the reply. */
function billedTokens(body: { messages: { content: string }[] }): number {
  return body.messages.reduce((n, m) => n + countTokens(m.content, asText) + 3, 3);
}

const code = (i: number, tag: string) => `  const ${tag}${i} = compute(${i}, "${tag} text ${'x'.repeat(i % 40)}"); // ${tag} line ${i}`;
const block = (n: number, tag: string, from = 0) => `${Array.from({ length: n }, (_, i) => code(i + from, tag)).join('\n')}\n`;

/** A pull request with every awkward case: many files, a huge new file, one giant hunk, skipped and binary files, a deletion, a rename. */
function bigPullRequest(): TestRepo {
  const base: Record<string, string | Buffer> = {
    'src/giant.ts': block(1500, 'old'),
    'src/deleted.ts': block(300, 'gone'),
    'src/old-name.ts': block(80, 'moved'),
    'logo.png': Buffer.from([137, 80, 78, 71, 0, 1, 2, 3]),
  };
  for (let i = 0; i < 30; i++) base[`src/mod${i}.ts`] = block(60, `m${i}`);
  const repo = makeRepo(base);
  repo.git('checkout', '-q', '-b', 'feature');
  const head: Record<string, string | Buffer | null> = {
    'src/huge.ts': block(2500, 'huge'),
    // One hunk of 1500 changed lines: split into runs of lines.
    'src/giant.ts': block(1500, 'new'),
    'src/deleted.ts': null,
    'src/old-name.ts': null,
    'src/new-name.ts': `${block(80, 'moved')}// renamed\n`,
    'package-lock.json': `{\n${Array.from({ length: 400 }, (_, i) => `  "dep${i}": "1.0.${i}",`).join('\n')}\n}\n`,
    'dist/app.min.js': `${'var a=1;'.repeat(2000)}\n`,
    'logo.png': Buffer.from([137, 80, 78, 71, 9, 9, 9, 9]),
    'docs/guide.md': `# Guide\n\n${Array.from({ length: 200 }, (_, i) => `Paragraph ${i} of the guide.`).join('\n')}\n`,
  };
  for (let i = 0; i < 30; i++) head[`src/mod${i}.ts`] = `${block(20, `m${i}`)}${block(40, `changed${i}`, 20)}`;
  for (let i = 0; i < 10; i++) head[`test/mod${i}.test.ts`] = block(50, `t${i}`);
  repo.write(head);
  repo.commit('a large pull request');
  return repo;
}

/** `path +line` / `path -line` for each changed line a prompt's diff block shows. */
function shownLines(body: { messages: { content: string }[] }, paths: readonly string[]): string[] {
  const shown: string[] = [];
  for (const { content } of body.messages) {
    const start = content.indexOf(DIFF_START);
    const end = content.indexOf(DIFF_END, start + 1);
    if (start < 0 || end < 0) continue;
    let path: string | undefined;
    for (const line of content.slice(start + DIFF_START.length, end).split('\n')) {
      if (line.startsWith('### ')) path = paths.find((p) => line.startsWith(`### ${p} (`));
      const m = /^\s*(\d+) ([+-]) /.exec(line);
      if (m && path) shown.push(`${path} ${m[2]}${m[1]}`);
    }
  }
  return shown;
}

/** The config both tests review with: one pipeline on `model`, whose window the fake server enforces. */
const configFor = (model: string, url: string) => `models:
  default:
    base_url: ${url}
    api_key_env: LOOM_TEST_KEY
    model: ${model}
    max_tokens: ${MAX_TOKENS}
    context_window: ${WINDOW}
    max_retries: 0
pipelines:
  - name: review
    template: review
concurrency: 4
cache:
  enabled: false
`;

/** Each added line of a file the review did not skip (`path +line`, from git's own diff), with how often `requests` showed it. */
function addedLinesShown(repo: TestRepo, skipped: ReadonlySet<string>, requests: readonly ReceivedRequest[]): { added: string[]; counts: Map<string, number> } {
  const files = parseDiff(repo.git('diff', '--find-renames', 'main...feature') + '\n');
  const counts = new Map<string, number>();
  for (const key of requests.flatMap((r) => shownLines(r.body, files.map((f) => f.path)))) counts.set(key, (counts.get(key) ?? 0) + 1);
  const added = files.filter((f) => !skipped.has(f.path)).flatMap((f) => f.hunks.flatMap((h) => h.lines.filter((l) => l.kind === 'add').map((l) => `${f.path} +${l.newLine}`)));
  return { added, counts };
}

let server: FakeOpenAi;
let repo: TestRepo;
const refused: number[] = [];

beforeAll(async () => {
  server = await startOpenAiServer((req: ReceivedRequest) => {
    const tokens = billedTokens(req.body);
    if (tokens > INPUT_LIMIT) {
      refused.push(tokens);
      return { status: 400, json: { error: { message: `This model's maximum context length is ${WINDOW} tokens. However, you requested ${tokens + MAX_TOKENS} tokens.`, type: 'invalid_request_error', code: 'context_length_exceeded' } } };
    }
    return { content: '[]' };
  });
  repo = bigPullRequest();
});
afterAll(async () => {
  await server.close();
  repo.remove();
});

describe('a large pull request against a model that enforces its context window (built CLI)', () => {
  it('sends no request over the window, and every changed line is reviewed once, summarised or counted as skipped', async () => {
    repo.write({
      '.loom.yaml': configFor('gpt-4o', server.url),
    });
    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json', '--config', '.loom.yaml'], { cwd: repo.dir, env: { LOOM_TEST_KEY: 'k' } });
    expect(result.stderr).not.toMatch(/error|failed/i);
    expect(result.code).toBe(0);
    expect(refused).toEqual([]);

    const report = JSON.parse(result.stdout);
    expect(report.failures).toEqual([]);
    const cov = report.coverage;
    expect(cov.linesReviewed + cov.linesSummarised + cov.linesSkipped + cov.linesNotReviewed).toBe(cov.linesChanged);
    expect(cov.linesNotReviewed).toBe(0);

    // Against git's own diff: every added line of a reviewed file is shown exactly once.
    const files = parseDiff(repo.git('diff', '--find-renames', 'main...feature') + '\n');
    const skipped = new Set<string>(cov.filesSkipped.map((s: { path: string }) => s.path));
    const changed = files.flatMap((f) => f.hunks.flatMap((h) => h.lines.filter((l) => l.kind !== 'context').map((l) => ({ path: f.path, l }))));
    expect(cov.linesChanged).toBe(changed.length);
    const { added, counts } = addedLinesShown(repo, skipped, server.requests.filter((r) => r.path === '/v1/chat/completions'));
    expect(added.length).toBeGreaterThan(5_000);
    expect(added.filter((key) => counts.get(key) !== 1)).toEqual([]);
    expect(server.requests.length).toBeGreaterThan(10);
    // The deleted file is summarised, not shown line by line; skip_paths files are skipped, not sent.
    expect([...counts.keys()].some((s) => s.startsWith('src/deleted.ts '))).toBe(false);
    expect([...skipped]).toEqual(expect.arrayContaining(['package-lock.json', 'dist/app.min.js', 'logo.png']));
  });
});

describe('a model whose tokenizer counts more than loom expects (built CLI)', () => {
  it('reviews every unit it refuses as too long in smaller parts, says so, and still accounts for every changed line', async () => {
    // A model family loom has no tokenizer for: it counts with o200k and a margin of 1.25, and this server's
    // tokenizer counts 1.6 times as many tokens. The units in flight when the first refusal comes back are refused,
    // then reviewed in parts; the refusal says how many tokens the server counted, so later units are split first.
    const RATIO = 1.6;
    const accepted: number[] = [];
    let refusals = 0;
    server.setHandler((req: ReceivedRequest) => {
      const tokens = Math.ceil(billedTokens(req.body) * RATIO);
      if (tokens > INPUT_LIMIT) {
        refusals++;
        return { status: 400, json: { error: { message: `This model's maximum context length is ${WINDOW} tokens. However, you requested ${tokens + MAX_TOKENS} tokens (${tokens} in the messages, ${MAX_TOKENS} in the completion). Please reduce the length of the messages or completion.`, type: 'BadRequestError' } } };
      }
      accepted.push(tokens);
      return { content: '[]' };
    });
    const before = server.requests.length;
    repo.write({
      '.loom-local.yaml': configFor('local-coder', server.url),
    });
    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json', '--config', '.loom-local.yaml'], { cwd: repo.dir, env: { LOOM_TEST_KEY: 'k' } });
    expect(result.code).toBe(0);
    expect(refusals).toBeGreaterThan(0);
    // Only the calls in flight before the first refusal came back (concurrency 4), and the parts of those.
    expect(refusals).toBeLessThanOrEqual(8);
    expect(accepted.every((tokens) => tokens <= INPUT_LIMIT)).toBe(true);
    expect(result.stderr).toMatch(/the model refused unit u\d+ \(\d+ tokens of diff by loom's count\) as too long for its context window; reviewing it in two parts/);

    const report = JSON.parse(result.stdout);
    expect(report.failures).toEqual([]);
    const notice = report.notices.find((n: string) => n.includes('refused a unit as too long'));
    expect(notice).toMatch(new RegExp(`^${refusals} time\\(s\\) the model refused a unit as too long for its context window; the unit was reviewed in smaller parts\\. Once the server had said so, \\d+ more split\\(s\\) were made before sending\\. models\\.default: its server counted up to (\\d+)% more tokens than loom in the same prompt \\(its tokenizer is not the one loom counts with\\): set models\\.default\\.context_window: (\\d+) to avoid the extra calls\\.$`));
    // 1.6 / 1.25, less what loom counts that the server does not see as the messages' tokens.
    const [, more, window] = /up to (\d+)% more .*context_window: (\d+) /.exec(notice)!;
    expect(Number(more)).toBeGreaterThan(15);
    expect(Number(more)).toBeLessThanOrEqual(28);
    // What is left of the window after the answer, scaled back by that ratio (printed rounded to a percent).
    const windowAt = (ratio: number) => MAX_TOKENS + (WINDOW - MAX_TOKENS) / ratio;
    expect(Number(window)).toBeGreaterThanOrEqual(Math.floor(windowAt(1 + (Number(more) + 0.5) / 100)));
    expect(Number(window)).toBeLessThanOrEqual(Math.ceil(windowAt(1 + (Number(more) - 0.5) / 100)));
    const cov = report.coverage;
    expect(cov.linesNotReviewed).toBe(0);
    expect(cov.linesReviewed + cov.linesSummarised + cov.linesSkipped).toBe(cov.linesChanged);

    // Every added line of a reviewed file reached the model exactly once in an answered request.
    const skipped = new Set<string>(cov.filesSkipped.map((s: { path: string }) => s.path));
    const answered = server.requests.slice(before).filter((r) => r.path === '/v1/chat/completions' && Math.ceil(billedTokens(r.body) * RATIO) <= INPUT_LIMIT);
    const { added, counts } = addedLinesShown(repo, skipped, answered);
    expect(added.length).toBeGreaterThan(5_000);
    expect(added.filter((key) => counts.get(key) !== 1)).toEqual([]);
  });
});

describe('a config whose context_window is larger than the model\'s (built CLI)', () => {
  it('reviews every refused unit in parts, splits later units before sending them, and says which context_window to set', async () => {
    const SERVER_WINDOW = 6_000;
    let refusals = 0;
    let answered = 0;
    server.setHandler((req: ReceivedRequest) => {
      const tokens = billedTokens(req.body);
      if (tokens > SERVER_WINDOW - MAX_TOKENS) {
        refusals++;
        return { status: 400, json: { error: { message: `This model's maximum context length is ${SERVER_WINDOW} tokens. However, your messages resulted in ${tokens + MAX_TOKENS} tokens. Please reduce the length of the messages.`, type: 'invalid_request_error', code: 'context_length_exceeded' } } };
      }
      answered++;
      return { content: '[]' };
    });
    repo.write({ '.loom-wide.yaml': configFor('gpt-4o', server.url) });
    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json', '--config', '.loom-wide.yaml'], { cwd: repo.dir, env: { LOOM_TEST_KEY: 'k' } });
    expect(result.code).toBe(0);
    expect(refusals).toBeGreaterThan(0);
    // Only the calls in flight before the first refusal came back (concurrency 4), and the parts of those, can be
    // refused: every later unit over the named window is split before it is sent.
    expect(refusals).toBeLessThanOrEqual(8);
    expect(answered).toBeGreaterThan(4 * refusals);

    const report = JSON.parse(result.stdout);
    expect(report.failures).toEqual([]);
    expect(report.coverage.linesNotReviewed).toBe(0);
    expect(report.notices.join('\n')).toMatch(
      new RegExp(`^${refusals} time\\(s\\) the model refused a unit as too long for its context window; the unit was reviewed in smaller parts\\. Once the server had said so, \\d+ more split\\(s\\) were made before sending\\. models\\.default: its server says its window is ${SERVER_WINDOW} tokens, loom planned for ${WINDOW}: set models\\.default\\.context_window: ${SERVER_WINDOW} to avoid the extra calls\\.$`, 'm'),
    );
  });
});

describe('a server that cuts an overlong prompt instead of refusing it (built CLI)', () => {
  // Ollama's OpenAI endpoint keeps the last num_ctx tokens of a longer prompt, answers from them and reports how
  // many it read: nothing fails, and a review that trusted the answer would claim lines the model never saw.
  it('counts each cut unit as not reviewed, keeps what the model found, and says which context_window to set', async () => {
    // Small enough that every unit is cut to under 60% of its diff: what loom tells from another tokenizer's count
    // (pipelines/run.ts, CUT_SHARE). A unit cut by less goes unnoticed, by design.
    const NUM_CTX = 512;
    let cut = 0;
    server.setHandler((req: ReceivedRequest) => {
      const tokens = billedTokens(req.body);
      if (tokens > NUM_CTX) cut++;
      // A finding on the first added line the prompt shows: the model answers about what it read.
      const user = req.body.messages.map((m: { content: string }) => m.content).join('\n');
      const file = /^### (\S+) \(/m.exec(user)?.[1];
      const line = /^\s*(\d+) \+ /m.exec(user)?.[1];
      const findings = file && line ? [{ file, line: Number(line), title: 'seen before the cut', body: 'x' }] : [];
      return { content: JSON.stringify(findings), usage: { prompt_tokens: Math.min(tokens, NUM_CTX), completion_tokens: 2 } };
    });
    repo.write({ '.loom-cut.yaml': configFor('gpt-4o', server.url) });
    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json', '--config', '.loom-cut.yaml'], { cwd: repo.dir, env: { LOOM_TEST_KEY: 'k' } });

    const report = JSON.parse(result.stdout);
    expect(cut).toBeGreaterThan(0);
    expect(report.failures.length).toBe(cut);
    for (const failure of report.failures) {
      expect(failure.reason).toMatch(/^default: the server read about 512 prompt tokens of a prompt whose diff alone is \d+ by loom's count, and answered without an error: it cut the prompt/);
    }
    expect(report.notices.join('\n')).toMatch(/The server of models\.default read only part of some prompts \(about 512 tokens\) .* Set models\.default\.context_window to at most 512/);
    const cov = report.coverage;
    expect(cov.linesNotReviewed).toBeGreaterThan(0);
    expect(cov.linesReviewed + cov.linesSummarised + cov.linesSkipped + cov.linesNotReviewed).toBe(cov.linesChanged);
    const failedFiles = new Set(report.failures.flatMap((f: { files: string[] }) => f.files));
    const seen = report.findings.filter((f: { title: string }) => f.title === 'seen before the cut');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((f: { path: string }) => !failedFiles.has(f.path))).toEqual([]);
    // Every unit was cut: the review could not be done, and the report still has what the model found.
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/every model call failed \(\d+\); the report above has the built-in checks and what the model found in the parts of prompts it read\./);
    expect(result.stderr).toMatch(/unit u\d+ was not fully reviewed: default: the server read about 512 prompt tokens/);
  });

  it('keeps no answer to a cut prompt in the answer cache: a re-run asks again and still reports the unit', async () => {
    const NUM_CTX = 2_048;
    let calls = 0;
    server.setHandler((req: ReceivedRequest) => {
      calls++;
      return { content: '[]', usage: { prompt_tokens: Math.min(billedTokens(req.body), NUM_CTX), completion_tokens: 2 } };
    });
    repo.write({ '.loom-cached.yaml': configFor('gpt-4o', server.url).replace('cache:\n  enabled: false', 'cache:\n  enabled: true\n  dir: .loom-cache-cut') });
    const run = () => runCli(['review', '--base', 'main', '--dry-run', '--format', 'json', '--config', '.loom-cached.yaml'], { cwd: repo.dir, env: { LOOM_TEST_KEY: 'k' } });
    const first = JSON.parse((await run()).stdout);
    const callsFirst = calls;
    const second = JSON.parse((await run()).stdout);

    expect(first.failures.length).toBeGreaterThan(0);
    expect(second.failures.map((f: { unit: string }) => f.unit)).toEqual(first.failures.map((f: { unit: string }) => f.unit));
    // Only the cut units are asked again; any unit read whole comes from the cache.
    expect(calls - callsFirst).toBe(first.failures.length);
  });

  it('does not take a prompt cache for a cut: a repeated call that counts only what the server had not seen is fine', async () => {
    // Ollama counts only the prompt tokens it had to evaluate: asked again with the parse error, it had seen all but
    // the last two messages. Only the first call of a unit says what the server read of the prompt loom built.
    server.setHandler((req: ReceivedRequest) =>
      req.body.messages.length <= 2
        ? { content: 'Looks fine to me.', usage: { prompt_tokens: billedTokens(req.body), completion_tokens: 4 } }
        : { content: '[]', usage: { prompt_tokens: 300, completion_tokens: 2 } },
    );
    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json', '--config', '.loom-cut.yaml'], { cwd: repo.dir, env: { LOOM_TEST_KEY: 'k' } });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.failures).toEqual([]);
    expect(report.coverage.linesNotReviewed).toBe(0);
  });

  it('takes a server that reports no usage, or a placeholder, at its word', async () => {
    for (const prompt_tokens of [0, 1]) {
      server.setHandler(() => ({ content: '[]', usage: { prompt_tokens, completion_tokens: 0 } }));
      const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json', '--config', '.loom-cut.yaml'], { cwd: repo.dir, env: { LOOM_TEST_KEY: 'k' } });
      expect(result.code, String(prompt_tokens)).toBe(0);
      expect(JSON.parse(result.stdout).failures, String(prompt_tokens)).toEqual([]);
    }
  });
});
