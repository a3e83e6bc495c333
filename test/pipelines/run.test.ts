import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAnswerCache } from '../../src/cache/answer-cache.ts';
import { ModelConfig, PipelineConfig } from '../../src/config/schema.ts';
import { indexDiff } from '../../src/findings/diff-index.ts';
import { createLlmClient } from '../../src/llm/client.ts';
import { createLogger } from '../../src/log.ts';
import { ReviewStopped, runPipelines, type PreparedPipeline } from '../../src/pipelines/run.ts';
import { coverageOf } from '../../src/review/coverage.ts';
import { applyLimits } from '../../src/review/limits.ts';
import { loadTemplate } from '../../src/prompts/render.ts';
import type { ReviewUnit } from '../../src/units/types.ts';
import { fileDiff } from '../helpers/file-diff.ts';
import { findingsReply, startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';

let server: FakeOpenAi | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const files = Array.from({ length: 6 }, (_, i) => fileDiff(`src/f${i}.ts`, [{ oldStart: 1, newStart: 1, lines: [' a', `+b${i}`, ' c'] }]));
const units: ReviewUnit[] = files.map((f, i) => ({ id: `u${i + 1}`, files: [f] }));
const base = { pr: { title: '', description: '', author: '', base: 'main', head: 'HEAD', url: '' }, guidelines: '' };

async function pipeline(name: string, clients: PreparedPipeline['clients'], over: Partial<PreparedPipeline> = {}): Promise<PreparedPipeline> {
  return {
    config: PipelineConfig.parse({ name, template: 'review', severity: 'warning' }),
    template: await loadTemplate('review'),
    system: await loadTemplate('system'),
    clients,
    units,
    ...over,
  };
}

function client(name: string, url: string, log = createLogger({ level: 'quiet', write: () => {} })) {
  return createLlmClient(name, ModelConfig.parse({ base_url: url, model: `model-${name}`, max_retries: 1 }), { env: {}, log, retryBaseMs: 1, sleep: async () => {} });
}

describe('runPipelines', () => {
  it('never has more calls in flight than the concurrency, and runs them in parallel up to it', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let arrived = 0;
    let waiting: (() => void)[] = [];
    server = await startOpenAiServer(async (req) => {
      inFlight++;
      arrived++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // A gate, not a timer: answers are held until three requests wait at once (or none can follow), so the
      // test proves the calls overlap without depending on how fast this machine is.
      await new Promise<void>((release) => {
        waiting.push(release);
        if (waiting.length === 3 || arrived === 12) {
          for (const r of waiting) r();
          waiting = [];
        }
      });
      inFlight--;
      const path = /### (\S+)/.exec(req.body.messages.at(-1).content)![1]!;
      return findingsReply([{ file: path, line: 2, title: `t ${path}`, body: 'b' }]);
    });
    const log = createLogger({ level: 'quiet', write: () => {} });
    const prepared = [await pipeline('one', [client('a', server.url)]), await pipeline('two', [client('a', server.url)])];

    const result = await runPipelines(prepared, { concurrency: 3, index: indexDiff(files), base, log });

    expect(server.requests).toHaveLength(12);
    expect(maxInFlight).toBe(3);
    expect(result.findings).toHaveLength(12);
    expect(result.findings.every((f) => f.inDiff && f.line === 2 && f.severity === 'warning')).toBe(true);
    expect(result.calls).toEqual({ attempted: 12, failed: 0 });
    expect(result.stats.map((s) => [s.name, s.calls])).toEqual([['one', 6], ['two', 6]]);
  });

  it('records a failed unit as a failure and keeps the others', async () => {
    server = await startOpenAiServer((req) => {
      const content = req.body.messages.at(-1).content as string;
      if (content.includes('src/f3.ts')) return { status: 400, json: { error: { message: 'Invalid request: the model is unavailable' } } };
      return findingsReply([]);
    });
    const lines: string[] = [];
    const log = createLogger({ level: 'normal', write: (l) => lines.push(l) });

    const result = await runPipelines([await pipeline('review', [client('a', server.url, log)])], { concurrency: 2, index: indexDiff(files), base, log });

    expect(result.calls).toEqual({ attempted: 6, failed: 1 });
    expect(result.failures).toEqual([{ pipeline: 'review', unit: 'u4', files: ['src/f3.ts'], reason: expect.stringContaining('the model is unavailable') }]);
    expect(lines.join('')).toContain('unit u4 failed');
  });

  describe('a unit the model refuses as too long for its context window', () => {
    // A server whose tokenizer counts more than loom's: it takes at most MAX_SHOWN changed lines per prompt.
    const MAX_SHOWN = 3;
    const shownIn = (req: { body: { messages: { content: string }[] } }) => [...req.body.messages.at(-1)!.content.matchAll(/^\s*(\d+) ([+-]) (.*)$/gm)].map((m) => m[3]!);
    const tooLong = { status: 400, json: { error: { message: "This model's maximum context length is 8192 tokens. However, you requested 9100 tokens. Please reduce the length of the messages.", type: 'invalid_request_error', code: 'context_length_exceeded' } } };
    const big = [
      fileDiff('src/big.ts', [{ oldStart: 1, newStart: 1, lines: [' a', '-b', '+c', '+d', ' e', '+f', '+g', '+h', '-i', ' j'] }, { oldStart: 40, newStart: 42, lines: ['+k', '+l', ' m'] }]),
      fileDiff('src/small.ts', [{ oldStart: 1, newStart: 1, lines: ['-n', '+o'] }]),
    ];
    const changedTexts = big.flatMap((f) => f.hunks.flatMap((h) => h.lines.filter((l) => l.kind !== 'context').map((l) => l.text)));

    it('is reviewed in parts, each split again while refused: every changed line reaches the model once, nothing fails', async () => {
      const accepted: string[][] = [];
      server = await startOpenAiServer((req) => {
        const shown = shownIn(req);
        if (shown.length > MAX_SHOWN) return tooLong;
        accepted.push(shown);
        return findingsReply(shown.includes('k') ? [{ file: 'src/big.ts', line: 42, title: 'k', body: 'on k' }] : []);
      });
      const lines: string[] = [];
      const log = createLogger({ level: 'normal', write: (l) => lines.push(l) });
      const prepared = await pipeline('review', [client('a', server.url, log)], { units: [{ id: 'u1', files: big, tokens: 900 }] });

      const result = await runPipelines([prepared], { concurrency: 1, index: indexDiff(big), base, log });

      expect(result.failures).toEqual([]);
      expect(accepted.flat().sort()).toEqual([...changedTexts].sort());
      expect(accepted.every((shown) => shown.length <= MAX_SHOWN)).toBe(true);
      expect(result.split).toBeGreaterThanOrEqual(2);
      expect(result.calls).toEqual({ attempted: prepared.units.length, failed: 0 });
      // The parts stand in for the unit, so coverage counts what was answered.
      expect(prepared.units.map((u) => u.id)).not.toContain('u1');
      expect(prepared.units.flatMap((u) => u.files.flatMap((f) => f.hunks.flatMap((h) => h.lines.filter((l) => l.kind !== 'context').map((l) => l.text))))).toEqual(changedTexts);
      expect(result.findings).toEqual([expect.objectContaining({ path: 'src/big.ts', line: 42, inDiff: true })]);
      expect(lines.join('')).toContain('the model refused unit u1 (900 tokens of diff');
      // Each refused request was one call; each answered part one more.
      expect(result.stats[0]!.calls).toBe(server.requests.length);
    });

    it('splits the unit in the pipeline that was refused only, when pipelines share one plan', async () => {
      // `lenient` takes any prompt; `strict` at most MAX_SHOWN changed lines.
      server = await startOpenAiServer((req) => (req.body.model === 'model-strict' && shownIn(req).length > MAX_SHOWN ? tooLong : findingsReply([])));
      const log = createLogger({ level: 'quiet', write: () => {} });
      const shared = [{ id: 'u1', files: big }];
      const prepared = [await pipeline('lenient', [client('lenient', server.url, log)], { units: shared }), await pipeline('strict', [client('strict', server.url, log)], { units: shared })];

      const result = await runPipelines(prepared, { concurrency: 2, index: indexDiff(big), base, log });

      expect(result.failures).toEqual([]);
      expect(prepared[0]!.units.map((u) => u.id)).toEqual(['u1']);
      expect(prepared[1]!.units.length).toBeGreaterThan(1);
      expect(shared.map((u) => u.id)).toEqual(['u1']);
      expect(coverageOf(big, [], prepared, result.failures)).toMatchObject({ linesChanged: changedTexts.length, linesReviewed: changedTexts.length, linesNotReviewed: 0 });
    });

    it('is split only while the calls stay within limits.max_calls; a unit it cannot split for that fails, saying so', async () => {
      server = await startOpenAiServer((req) => (shownIn(req).length > MAX_SHOWN ? tooLong : findingsReply([])));
      const log = createLogger({ level: 'quiet', write: () => {} });
      const prepared = await pipeline('review', [client('a', server.url, log)], { units: [{ id: 'u1', files: big }] });

      const result = await runPipelines([prepared], { concurrency: 1, index: indexDiff(big), base, log, maxCalls: 2 });

      // One split: the unit's call became two, and a part still refused stays whole.
      expect(result.split).toBe(1);
      expect(prepared.units.map((u) => u.id)).toEqual(['u1.1', 'u1.2']);
      expect(result.calls).toEqual({ attempted: 2, failed: 1 });
      expect(result.failures).toEqual([expect.objectContaining({ unit: 'u1.1', reason: expect.stringContaining('would pass limits.max_calls, 2') })]);
    });

    it('a single line still too long fails with the reason; the rest of the unit is reviewed and counted', async () => {
      server = await startOpenAiServer((req) => (shownIn(req).includes('h') || shownIn(req).length > MAX_SHOWN ? tooLong : findingsReply([])));
      const log = createLogger({ level: 'quiet', write: () => {} });
      const prepared = await pipeline('review', [client('a', server.url, log)], { units: [{ id: 'u1', files: big }] });

      const result = await runPipelines([prepared], { concurrency: 2, index: indexDiff(big), base, log });

      expect(result.failures).toHaveLength(1);
      expect(result.failures[0]).toMatchObject({ pipeline: 'review', files: ['src/big.ts'], reason: expect.stringMatching(/maximum context length.*cannot be split further/) });
      const failed = prepared.units.find((u) => u.id === result.failures[0]!.unit)!;
      expect(failed.files[0]!.hunks[0]!.lines.map((l) => l.text)).toEqual(['h']);
      expect(result.calls.failed).toBe(1);
      expect(result.calls.attempted).toBe(prepared.units.length);
      const cov = coverageOf(big, [], [prepared], result.failures);
      expect(cov).toMatchObject({ linesChanged: changedTexts.length, linesReviewed: changedTexts.length - 1, linesNotReviewed: 1 });
    });
  });

  it('counts units split before sending (over a window the server named) against limits.max_calls for streamed units', async () => {
    // The first request is refused naming a 1,500-token window (921 tokens of diff once max_tokens and the margin
    // are taken); every unit after it is 1,200 tokens, so each is split in two before it is sent.
    const refusal = { status: 400, json: { error: { message: "This model's maximum context length is 1500 tokens. However, you requested 9100 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' } } };
    server = await startOpenAiServer((_req, index) => (index === 0 ? refusal : findingsReply([])));
    const log = createLogger({ level: 'quiet', write: () => {} });
    const models = { a: ModelConfig.parse({ base_url: server.url, model: 'model-a', context_window: 8_000, max_tokens: 500 }) };
    const prepared = [await pipeline('review', [client('a', server.url)], { units: [] })];
    // Two lines of the same length each: a unit's halves are 600 tokens apiece by their share of its text.
    const big: ReviewUnit[] = [1, 2, 3, 4].map((n) => ({ id: `u${n}`, files: [fileDiff(`src/g${n}.ts`, [{ oldStart: 1, newStart: 1, lines: ['+x', '+y'] }])], tokens: 1_200 }));
    const requests = (n: number) => vi.waitFor(() => expect(server!.requests.length).toBeGreaterThanOrEqual(n));
    async function* stream() {
      // Each unit is offered once the calls of the one before have been made.
      for (const [i, unit] of big.entries()) {
        if (i > 0) await requests(1 + 2 * i);
        yield unit;
      }
    }

    const result = await runPipelines(prepared, { concurrency: 1, index: indexDiff(files), base, log, models, stream: { units: stream(), limits: { max_calls: 6 } } });

    // u1: refused, then its two halves (one split); u2 and u3: two halves each (two splits before sending); u4 would
    // be a seventh call.
    expect([result.split, result.preSplit]).toEqual([1, 2]);
    expect(result.calls.attempted).toBe(6);
    expect(result.capped).toEqual([expect.objectContaining({ pipeline: 'review', reason: 'not reviewed: limits.max_calls (6) was reached' })]);
    expect(server.requests).toHaveLength(7);
  });

  it('stops on its signal: queued calls are not made, calls in flight are abandoned, answered units stay reviewed', async () => {
    const stop = new AbortController();
    server = await startOpenAiServer((req, index) => {
      const path = /### (\S+)/.exec(req.body.messages.at(-1).content)![1]!;
      if (index < 3) return findingsReply([{ file: path, line: 2, title: `t ${path}`, body: 'b' }]);
      // With two calls at a time, the fifth request comes only once the first three answers are in: stop then.
      if (index === 4) stop.abort(new ReviewStopped('limits.max_minutes (1) was reached'));
      return new Promise<never>(() => {});
    });
    const log = createLogger({ level: 'quiet', write: () => {} });
    const prepared = await pipeline('review', [client('primary', server.url), client('backup', server.url)]);

    const result = await runPipelines([prepared], { concurrency: 2, index: indexDiff(files), base, log, signal: stop.signal });

    expect(result.findings.map((f) => f.path)).toEqual(['src/f0.ts', 'src/f1.ts', 'src/f2.ts']);
    // u4 and u5 were in flight, u6 never started; none of them failed, and no fallback model was asked.
    expect(result.stopped).toEqual(['u4', 'u5', 'u6'].map((unit, i) => ({ pipeline: 'review', unit, files: [`src/f${i + 3}.ts`], reason: 'not reviewed: limits.max_minutes (1) was reached' })));
    expect(result.failures).toEqual([]);
    expect(result.calls).toEqual({ attempted: 5, failed: 0 });
    expect(server.requests.map((r) => r.body.model)).toEqual(Array(5).fill('model-primary'));
    const coverage = coverageOf(files, [], [prepared], result.stopped);
    expect([coverage.linesReviewed, coverage.linesNotReviewed]).toEqual([3, 3]);
  });

  it('after a stop, still takes the answers the cache has, for nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loom-run-cache-'));
    try {
      const cache = createAnswerCache({ dir, enabled: true, cwd: dir });
      const models = { primary: ModelConfig.parse({ base_url: 'http://127.0.0.1:1/v1', model: 'model-primary', max_retries: 1 }) };
      const stop = new AbortController();
      server = await startOpenAiServer((req, index) => {
        const path = /### (\S+)/.exec(req.body.messages.at(-1).content)![1]!;
        if (index === 2) stop.abort(new ReviewStopped('loom was stopped (SIGTERM)'));
        if (index >= 2) return new Promise<never>(() => {});
        return findingsReply([{ file: path, line: 2, title: `t ${path}`, body: 'b' }]);
      });
      const log = createLogger({ level: 'quiet', write: () => {} });
      // A first run answers src/f2.ts (and src/f0.ts): the cache keeps both answers.
      await runPipelines([await pipeline('review', [client('primary', server.url)], { units: [units[2]!, units[0]!] })], { concurrency: 1, index: indexDiff(files), base, log, cache, models });

      // Then f0 (cached), f1 (the stop comes with its call), f2 (cached), f3 (never asked).
      const result = await runPipelines([await pipeline('review', [client('primary', server.url)], { units: units.slice(0, 4) })], { concurrency: 1, index: indexDiff(files), base, log, cache, models, signal: stop.signal });

      expect(result.findings.map((f) => f.path).sort()).toEqual(['src/f0.ts', 'src/f2.ts']);
      expect(result.stopped.map((s) => s.unit)).toEqual(['u2', 'u4']);
      expect(result.stats[0]!.cachedCalls).toBe(2);
      expect(server.requests).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('falls back to the next model when the first one fails', async () => {
    server = await startOpenAiServer((req) => (req.body.model === 'model-primary' ? { status: 503, json: { error: { message: 'overloaded' } } } : findingsReply([{ file: 'src/f0.ts', line: 2, title: 'x', body: 'y' }])));
    const log = createLogger({ level: 'quiet', write: () => {} });
    const prepared = await pipeline('review', [client('primary', server.url), client('backup', server.url)], { units: units.slice(0, 1) });

    const result = await runPipelines([prepared], { concurrency: 1, index: indexDiff(files), base, log });

    expect(result.failures).toEqual([]);
    expect(result.findings).toHaveLength(1);
    expect(server.requests.map((r) => r.body.model)).toEqual(['model-primary', 'model-primary', 'model-backup']);
  });

  it("counts each answered call's prompt by loom's count: a repeat after an unparseable answer again, a failed call not", async () => {
    server = await startOpenAiServer((req, index) => {
      const content = req.body.messages.at(-1).content as string;
      if (content.includes('src/f1.ts')) return { status: 400, json: { error: { message: 'Invalid request: the model is unavailable' } } };
      // The first answer for f2 is prose; the repeat asking for JSON gets JSON.
      if (content.includes('src/f2.ts') && req.body.messages.length === 2) return { content: 'Looks good to me!' };
      return findingsReply([]);
    });
    const log = createLogger({ level: 'quiet', write: () => {} });
    const counted = [0, 1, 2].map((i) => ({ ...units[i]!, tokens: 100 * (i + 1) }));
    const prepared = await pipeline('review', [client('a', server.url)], { units: counted, tokenizer: 'o200k_base' });

    const result = await runPipelines([prepared], { concurrency: 1, index: indexDiff(files), base, log, templateTokens: new Map([['review', 1_000]]) });

    // u1 once (1,100), u2 failed (nothing answered), u3 twice (2 x 1,300).
    expect(result.stats).toEqual([expect.objectContaining({ name: 'review', countedPromptTokens: 1_100 + 2 * 1_300, tokenizer: 'o200k_base', promptTokens: expect.any(Number) })]);
    expect(result.failures.map((f) => f.unit)).toEqual(['u2']);
  });

  it('fails every unit with the reason when the pipeline has no usable model', async () => {
    const log = createLogger({ level: 'quiet', write: () => {} });
    const prepared = await pipeline('review', [], { unavailable: 'set OPENAI_API_KEY', units: units.slice(0, 2) });

    const result = await runPipelines([prepared], { concurrency: 4, index: indexDiff(files), base, log });

    expect(result.calls).toEqual({ attempted: 2, failed: 2 });
    expect(result.failures.map((f) => f.reason)).toEqual(['set OPENAI_API_KEY', 'set OPENAI_API_KEY']);
  });

  it('starts streamed units as they come, under the limits exactly as applyLimits applies them', async () => {
    server = await startOpenAiServer(() => findingsReply([]));
    const log = createLogger({ level: 'quiet', write: () => {} });
    const sized = units.map((unit, i) => ({ ...unit, tokens: 100 + 10 * i }));
    const limits = { max_calls: 9, max_prompt_tokens: 1_300 };
    const templateTokens = new Map([['one', 20], ['two', 30]]);
    const prepared = [await pipeline('one', [client('a', server.url)], { units: [] }), await pipeline('two', [client('a', server.url)], { units: [] })];
    async function* stream() {
      for (const unit of sized) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield unit;
      }
    }

    const result = await runPipelines(prepared, { concurrency: 2, index: indexDiff(files), base, log, templateTokens, stream: { units: stream(), limits } });

    const expected = applyLimits([await pipeline('one', [], { units: sized }), await pipeline('two', [], { units: sized })], limits, templateTokens);
    expect(prepared.map((p) => p.units.map((u) => u.id))).toEqual(expected.pipelines.map((p) => p.units.map((u) => u.id)));
    expect(result.capped).toEqual(expected.capped);
    expect(result.capped.length).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(expected.pipelines.reduce((n, p) => n + p.units.length, 0));
    expect(result.calls).toEqual({ attempted: server.requests.length, failed: 0 });
  });
});
