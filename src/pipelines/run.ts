import pLimit from 'p-limit';
import type { LoomConfig, PipelineConfig } from '../config/schema.ts';
import { indexDiff, type DiffIndex } from '../findings/diff-index.ts';
import { buildFinding } from '../findings/build.ts';
import type { Finding } from '../findings/finding.ts';
import type { AnswerCache } from '../cache/answer-cache.ts';
import type { ModelConfig } from '../config/schema.ts';
import { askForFindings, LlmCallError, ReplyParseError } from '../llm/ask-findings.ts';
import { isContextOverflow, reportedPromptTokens, reportedWindow } from '../llm/context-overflow.ts';
import { parseFindingsReply } from '../llm/reply.ts';
import type { LlmClient } from '../llm/client.ts';
import { sinceStart, type Logger } from '../log.ts';
import { renderDiff } from '../prompts/render-diff.ts';
import { defuse, renderPrompt, type PromptData, type Template } from '../prompts/render.ts';
import type { PipelineStats, UnitFailure } from '../report/report.ts';
import { contextWindowFor, inputBudget } from '../tokens/context-window.ts';
import { halveUnit, unitSize } from '../units/halve.ts';
import { shownPart } from '../units/shown.ts';
import type { ReviewUnit } from '../units/types.ts';

export interface PreparedPipeline {
  config: PipelineConfig;
  template: Template;
  system: Template;
  /** The pipeline's model first, then its fallbacks. Empty when no model could be set up (see `unavailable`). */
  clients: LlmClient[];
  /** Why the pipeline cannot call a model (e.g. a missing API key); every unit then fails with this reason. */
  unavailable?: string;
  /** The tokenizer its units were counted with (PipelineStats.tokenizer). */
  tokenizer?: string;
  units: ReviewUnit[];
}

export interface PipelinesResult {
  findings: Finding[];
  failures: UnitFailure[];
  stats: PipelineStats[];
  /** Items of model answers that were unusable (no file, no line), for the log. */
  dropped: string[];
  calls: { attempted: number; failed: number };
  /** Units a limit kept from their calls (with `stream`; otherwise applyLimits reports them before the run). */
  capped: UnitFailure[];
  /** Units a model refused as too long for its context window, reviewed in two parts instead (each part split again if refused too). */
  split: number;
  /** Units split before they were sent: over the window a server had named in an earlier refusal (see knownBudget). */
  preSplit: number;
  /**
   * By model name in the config, where its server named, in a refusal, a window smaller than the one loom planned
   * for (a context_window set too high): the smallest it named, and the one planned for.
   */
  smallerWindows: Record<string, { window: number; planned: number }>;
  /**
   * By model name in the config, where its server's refusal said how many tokens it counted in a prompt, and that was
   * more than loom's count of it (a tokenizer that cuts finer than the one loom counts this model with): the most
   * it counted over loom's count, and the window, in loom's tokens, that its limit then comes to.
   */
  finerCounts: Record<string, { ratio: number; window: number }>;
  /**
   * Models whose server read only part of a prompt and answered anyway (see promptCut), by name in the config: the
   * most prompt tokens it reported reading in such a call, about what it can take.
   */
  cutAt: Record<string, number>;
  /** Answers each model cut off at max_tokens (by name in the config): findings after the cut are lost. */
  answersCutOff: Record<string, number>;
  /** Units whose calls were not made, or not answered, because the review was stopped (see `signal`). */
  stopped: UnitFailure[];
}

/** Why a review stopped waiting on models: limits.max_minutes, or a signal from the CI or the terminal. */
export class ReviewStopped extends Error {
  override readonly name = 'ReviewStopped';
}

/** The reason a stopped review gives, in its notice and for each unit it kept from a model. */
export function stoppedBecause(signal: AbortSignal | undefined): string {
  return signal?.reason instanceof Error ? signal.reason.message : 'the review was stopped';
}

/**
 * Every (pipeline x unit) call goes through this one limiter, so --concurrency is the real bound. With `stream`,
 * units arrive while the plan is still being made (see preparePipelines): each is offered to every pipeline in
 * turn, under the limits as applyLimits applies them, added to the pipeline's `units` and started at once.
 */
export async function runPipelines(
  pipelines: readonly PreparedPipeline[],
  ctx: {
    concurrency: number;
    index: DiffIndex;
    base: Omit<PromptData, 'diff' | 'files' | 'pipeline' | 'instructions'>;
    log: Logger;
    /** Answers by prompt, so a re-run on the same diff costs no tokens. */
    cache?: AnswerCache;
    /** Model settings by name: part of the cache key, since they change the answer. */
    models?: Record<string, ModelConfig>;
    /**
     * limits.max_calls: a unit the model refuses as too long is reviewed in two parts only while the calls planned
     * so far, one more for each part, stay within it (with `stream`, stream.limits.max_calls is used).
     */
    maxCalls?: number;
    onProgress?: (done: number, total: number) => void;
    /**
     * Rendered template tokens per pipeline: each call's fixed part, counted against limits.max_prompt_tokens (with
     * `stream`), in the prompt tokens sent, and, with a window a server names, what is left for a unit's diff.
     */
    templateTokens?: ReadonlyMap<string, number>;
    stream?: { units: AsyncIterable<ReviewUnit>; limits: LoomConfig['limits'] };
    /**
     * Stops the review (its reason a ReviewStopped): calls not started are not made (a unit whose answer is in the
     * cache still takes it), calls in flight are abandoned and nothing of them is cached; their units go to
     * `stopped`, and what was answered before stays.
     */
    signal?: AbortSignal;
  },
): Promise<PipelinesResult> {
  const limit = pLimit(ctx.concurrency);
  const result: PipelinesResult = { findings: [], failures: [], stats: [], dropped: [], calls: { attempted: 0, failed: 0 }, capped: [], split: 0, preSplit: 0, smallerWindows: {}, finerCounts: {}, cutAt: {}, answersCutOff: {}, stopped: [] };
  const diffs = new DiffCache();
  let total = 0;
  let done = 0;
  const tasks: Promise<void>[] = [];
  const stats = pipelines.map(
    (pipeline): PipelineStats => ({
      name: pipeline.config.name,
      model: pipeline.clients[0]?.model ?? pipeline.config.model,
      calls: 0,
      failedCalls: 0,
      promptTokens: 0,
      completionTokens: 0,
      countedPromptTokens: 0,
      ...(pipeline.tokenizer ? { tokenizer: pipeline.tokenizer } : {}),
    }),
  );
  result.stats.push(...stats);
  const start = (p: number, unit: ReviewUnit) => {
    const pipeline = pipelines[p]!;
    total++;
    if (!pipeline.unavailable) diffs.expect(unit);
    tasks.push(
      limit(async () => {
        // With a cache, a unit it answered costs nothing after a stop either: reviewUnit looks before it gives up.
        if (ctx.signal?.aborted && !ctx.cache?.enabled) return stop(pipeline, unit);
        if (result.calls.attempted++ === 0) ctx.log.debug(`${sinceStart()} first model call`);
        await review(pipeline, unit, stats[p]!);
      }),
    );
  };
  const ownUnits = new Set<PreparedPipeline>();
  const templateOf = (pipeline: PreparedPipeline): number => ctx.templateTokens?.get(pipeline.config.name) ?? 0;
  /**
   * Tokens of diff a call of this pipeline may carry once its model's server said, in a refusal, that its window is
   * smaller than the one loom planned for (a context_window set too high), or that it counts more tokens than loom
   * does: every later unit over it would be refused too.
   */
  const knownBudget = (pipeline: PreparedPipeline): number | undefined => {
    const name = pipeline.clients[0]?.name;
    const settings = name === undefined ? undefined : ctx.models?.[name];
    if (name === undefined || !settings) return undefined;
    const window = Math.min(result.smallerWindows[name]?.window ?? Infinity, result.finerCounts[name]?.window ?? Infinity);
    return window === Infinity ? undefined : inputBudget({ ...settings, context_window: window }, templateOf(pipeline));
  };
  /** Keeps a window a server named in a refusal, where it is smaller than the one loom planned for (see knownBudget). */
  const noteWindow = (model: string, window: number) => {
    const settings = ctx.models?.[model];
    const planned = settings ? contextWindowFor(settings) : undefined;
    if (planned === undefined || window >= planned) return;
    result.smallerWindows[model] = { window: Math.min(window, result.smallerWindows[model]?.window ?? Infinity), planned };
  };
  /**
   * Keeps how much more than loom a server counted in a prompt it refused (`counted` against loom's `sent`), and the
   * window its limit comes to in loom's tokens: the one it named (noteWindow), else the planned one, with what is
   * left after the answer scaled down by that ratio. Counts within 1% are rounding and framing.
   */
  const noteCount = (model: string, counted: number, sent: number) => {
    const settings = ctx.models?.[model];
    const ratio = counted / sent;
    if (!settings || ratio <= FINER_COUNT) return;
    const ratioNow = Math.max(ratio, result.finerCounts[model]?.ratio ?? 0);
    const server = Math.min(result.smallerWindows[model]?.window ?? Infinity, contextWindowFor(settings));
    result.finerCounts[model] = { ratio: ratioNow, window: Math.floor(settings.max_tokens + (server - settings.max_tokens) / ratioNow) };
  };
  /** A unit no model answered for (or not for all of it), for the report and the log. */
  const fail = (pipeline: PreparedPipeline, unit: ReviewUnit, pipelineStats: PipelineStats, reason: string, what: string) => {
    result.calls.failed++;
    pipelineStats.failedCalls++;
    result.failures.push({ pipeline: pipeline.config.name, unit: unit.id, files: unit.files.map((f) => f.path).filter(unique), reason });
    ctx.log.warn(`${pipeline.config.name}: unit ${unit.id} ${what}: ${reason}`);
  };
  /** A unit the review stopped before its model answered: not reviewed, and not a failure of the model. */
  const stop = (pipeline: PreparedPipeline, unit: ReviewUnit) => {
    result.stopped.push({ pipeline: pipeline.config.name, unit: unit.id, files: unit.files.map((f) => f.path).filter(unique), reason: `not reviewed: ${stoppedBecause(ctx.signal)}` });
    ctx.onProgress?.(++done, total);
  };
  /** `size`: the unit's tokens of diff, counted (unit.tokens) or, for a part of a split unit, estimated. */
  const review = async (pipeline: PreparedPipeline, unit: ReviewUnit, pipelineStats: PipelineStats, size = unit.tokens): Promise<void> => {
    const maxCalls = ctx.stream?.limits.max_calls ?? ctx.maxCalls ?? Infinity;
    // Split before it is sent, not after a refusal the server has already said it would give.
    const budget = knownBudget(pipeline);
    const early = size !== undefined && budget !== undefined && size > budget && total + 1 <= maxCalls ? halveUnit(unit) : undefined;
    // The prompt by loom's count: the unit's diff (a part's share of it estimated) and the pipeline's fixed part.
    const promptTokens = size === undefined ? undefined : size + templateOf(pipeline);
    const outcome = early ? undefined : await reviewUnit(pipeline, unit, ctx, pipelineStats, diffs, promptTokens);
    if (outcome && 'tooLong' in outcome && outcome.window !== undefined) noteWindow(outcome.model, outcome.window);
    // Learnt only from a unit loom counted whole: a part's size is an estimate.
    if (outcome && 'tooLong' in outcome && outcome.counted !== undefined && unit.tokens !== undefined && size === unit.tokens && promptTokens !== undefined) {
      noteCount(outcome.model, outcome.counted, promptTokens);
    }
    const parts = early ?? (outcome && 'tooLong' in outcome ? halveUnit(unit) : undefined);
    // Each split adds one call to the plan: the unit's call is replaced by two.
    const halves = parts && total + 1 <= maxCalls ? parts : undefined;
    if (halves) {
      // The halves take the unit's place (coverage counts what was answered) and are reviewed one after the other,
      // in the unit's slot under the concurrency limit.
      const tokens = unit.tokens === undefined ? '' : ` (${unit.tokens} tokens of diff by loom's count)`;
      if (early) {
        result.preSplit++;
        ctx.log.debug(`${pipeline.config.name}: unit ${unit.id}${tokens} is over the ${budget} tokens of diff the model's server allows; reviewing it in two parts`);
      } else {
        // The model counts more tokens than loom did, or its window is smaller than the config says.
        result.split++;
        ctx.log.warn(`${pipeline.config.name}: the model refused unit ${unit.id}${tokens} as too long for its context window; reviewing it in two parts`);
      }
      // Pipelines may share one list of units (one plan); only this pipeline's list changes.
      if (!ownUnits.has(pipeline)) {
        pipeline.units = [...pipeline.units];
        ownUnits.add(pipeline);
      }
      pipeline.units.splice(pipeline.units.indexOf(unit), 1, ...halves);
      total += halves.length - 1;
      result.calls.attempted += halves.length - 1;
      // Each half's tokens, estimated from its share of the unit's text: enough to split it further before sending.
      const whole = unitSize(unit);
      for (const half of halves) {
        diffs.expect(half);
        await review(pipeline, half, pipelineStats, size === undefined || whole === 0 ? undefined : Math.ceil((size * unitSize(half)) / whole));
      }
      return;
    }
    if (!outcome) return;
    if ('stopped' in outcome) return stop(pipeline, unit);
    if ('findings' in outcome) {
      // What the model said is kept, also about the part of a cut prompt it read.
      result.findings.push(...outcome.findings);
      result.dropped.push(...outcome.dropped);
      if (outcome.cutOff) result.answersCutOff[outcome.cutOff] = (result.answersCutOff[outcome.cutOff] ?? 0) + 1;
      if (outcome.cut) {
        // The unit is not counted as reviewed.
        const { model, reported, sent } = outcome.cut;
        result.cutAt[model] = Math.max(result.cutAt[model] ?? 0, reported);
        const reason = `${model}: the server read about ${reported} prompt tokens of a prompt whose diff alone is ${sent} by loom's count, and answered without an error: it cut the prompt (Ollama does at its context length, num_ctx), so the answer covers only part of this unit`;
        fail(pipeline, unit, pipelineStats, reason, 'was not fully reviewed');
      }
    } else {
      const reason =
        'reason' in outcome
          ? outcome.reason
          : parts
            ? `${outcome.tooLong} (reviewing it in two parts would pass limits.max_calls, ${maxCalls})`
            : `${outcome.tooLong} (a single line, or a summary line, that cannot be split further)`;
      fail(pipeline, unit, pipelineStats, reason, 'failed');
    }
    ctx.onProgress?.(++done, total);
  };
  // Unit by unit, each pipeline in turn: the most important files get the earliest slots in every pipeline, and
  // pipelines that share a plan render each unit's diff once, just before both use it.
  const longest = Math.max(0, ...pipelines.map((p) => p.units.length));
  for (let i = 0; i < longest; i++) {
    pipelines.forEach((pipeline, p) => {
      const unit = pipeline.units[i];
      if (unit) start(p, unit);
    });
  }
  if (ctx.stream) {
    try {
      await startStreamed(pipelines, ctx.stream, start, templateOf, result.capped, () => result.split + result.preSplit);
    } catch (error) {
      // Planning failed: let the calls already started finish, then report the failure.
      await Promise.allSettled(tasks);
      throw error;
    }
  }
  await Promise.all(tasks);
  return result;
}

/**
 * Starts each streamed unit in every pipeline the limits allow. The rule is applyLimits' (review/limits.ts), kept
 * as it goes: units in order, each offered to every pipeline in turn, a call counted against limits.max_calls and
 * its unit's tokens plus the pipeline's template against limits.max_prompt_tokens (test/pipelines/run.test.ts
 * holds the two to the same decisions).
 */
async function startStreamed(
  pipelines: readonly PreparedPipeline[],
  stream: NonNullable<Parameters<typeof runPipelines>[1]['stream']>,
  start: (p: number, unit: ReviewUnit) => void,
  templateOf: (pipeline: PreparedPipeline) => number,
  capped: UnitFailure[],
  /** Calls splits added to the plan so far (see runPipelines): they count against limits.max_calls too. */
  splitCalls: () => number,
): Promise<void> {
  const { limits } = stream;
  let calls = 0;
  let tokens = 0;
  for await (const unit of stream.units) {
    pipelines.forEach((pipeline, p) => {
      const cost = (unit.tokens ?? 0) + templateOf(pipeline);
      const overCalls = calls + splitCalls() + 1 > limits.max_calls;
      const overTokens = limits.max_prompt_tokens !== undefined && tokens + cost > limits.max_prompt_tokens;
      if (overCalls || overTokens) {
        const reason = overCalls
          ? `not reviewed: limits.max_calls (${limits.max_calls}) was reached`
          : `not reviewed: limits.max_prompt_tokens (${limits.max_prompt_tokens}) was reached`;
        capped.push({ pipeline: pipeline.config.name, files: [...new Set(unit.files.map((f) => f.path))], reason });
        return;
      }
      calls++;
      tokens += cost;
      pipeline.units.push(unit);
      start(p, unit);
    });
  }
}

async function reviewUnit(
  pipeline: PreparedPipeline,
  unit: ReviewUnit,
  ctx: Parameters<typeof runPipelines>[1],
  stats: PipelineStats,
  diffs: DiffCache,
  promptTokens: number | undefined,
): Promise<{ findings: Finding[]; dropped: string[]; cut?: PromptCut; cutOff?: string } | { reason: string } | { tooLong: string; model: string; window?: number; counted?: number } | { stopped: true }> {
  if (pipeline.unavailable) return { reason: pipeline.unavailable };
  const data: PromptData = {
    ...ctx.base,
    diff: diffs.get(unit),
    files: unit.files.map((f) => ({ path: f.path, oldPath: f.oldPath, status: f.status, additions: f.additions, deletions: f.deletions })),
    pipeline: { name: pipeline.config.name, severity: pipeline.config.severity },
    instructions: pipeline.config.instructions ?? '',
  };
  // The diff is in every pipeline's prompt for this unit: the client encodes it once (see encodeBody).
  const system = renderPrompt(pipeline.system, data);
  const user = renderPrompt(pipeline.template, data);
  const prompt = { system: system.text, user: user.text, shared: { text: data.diff, ...(system.pieces ? { system: system.pieces } : {}), ...(user.pieces ? { user: user.pieces } : {}) } };
  const reasons: string[] = [];
  for (const client of pipeline.clients) {
    try {
      const settings = ctx.models?.[client.name];
      const key = ctx.cache?.enabled && settings ? ctx.cache.keyFor({ model: settings.model, baseUrl: settings.base_url, temperature: settings.temperature, system: prompt.system, user: prompt.user, extra: JSON.stringify({ max_tokens: settings.max_tokens }) }) : undefined;
      const cached = key ? await ctx.cache!.get(key) : undefined;
      const hit = cached === undefined ? undefined : parseFindingsReply(cached);
      // After a stop, only an answer the cache has is taken.
      if (!hit?.ok && ctx.signal?.aborted) return { stopped: true };
      const answer = hit?.ok ? { findings: hit.findings, dropped: hit.dropped, usage: { promptTokens: 0, completionTokens: 0 }, calls: 0, firstPromptTokens: 0 } : await askForFindings(client, prompt, ctx.signal ? { signal: ctx.signal } : {});
      // An answer to a prompt the server cut, or cut itself at max_tokens, is not kept: a re-run would take it for a
      // whole one, and say nothing.
      const cut = hit?.ok ? undefined : promptCut(unit, answer, client.name);
      if (hit?.ok) stats.cachedCalls = (stats.cachedCalls ?? 0) + 1;
      else if (key && !cut && !answer.cutOff) await ctx.cache!.set(key, JSON.stringify({ findings: answer.findings }));
      stats.calls += answer.calls;
      countSent(stats, answer.calls, promptTokens);
      stats.promptTokens += answer.usage.promptTokens;
      stats.completionTokens += answer.usage.completionTokens;
      if (client !== pipeline.clients[0]) ctx.log.info(`${pipeline.config.name}: unit ${unit.id} reviewed by fallback model ${client.name}`);
      // What the call was shown: a line of the diff outside it is the model's guess, never posted on that line.
      const shown = answer.findings.length > 0 ? indexDiff(shownPart(unit.files)) : undefined;
      const findings = answer.findings.map((raw) =>
        buildFinding(
          {
            path: raw.file,
            line: raw.line,
            ...(raw.endLine !== undefined ? { endLine: raw.endLine } : {}),
            side: raw.side,
            severity: raw.severity ?? pipeline.config.severity,
            pipeline: pipeline.config.name,
            ruleId: pipeline.config.name,
            title: raw.title,
            body: raw.body,
            ...(raw.suggestion !== undefined ? { suggestion: raw.suggestion } : {}),
          },
          ctx.index,
          shown,
        ),
      );
      return { findings, dropped: answer.dropped.map((d) => `${pipeline.config.name}/${unit.id}: ${d}`), ...(cut && { cut }), ...(answer.cutOff && { cutOff: client.name }) };
    } catch (error) {
      // Failed calls still cost requests and, for unparseable answers, tokens: the usage report counts them.
      if (error instanceof ReplyParseError) {
        stats.calls += error.calls;
        countSent(stats, error.calls, promptTokens);
        stats.promptTokens += error.usage.promptTokens;
        stats.completionTokens += error.usage.completionTokens;
      } else {
        stats.calls += error instanceof LlmCallError ? error.attempts : 1;
      }
      // Abandoned, not failed: no fallback model is asked either.
      if (ctx.signal?.aborted) return { stopped: true };
      const reason = `${client.name}: ${ctx.log.redact(error instanceof Error ? error.message : String(error))}`;
      // A fallback model would be sent the same prompt: the unit is split first (see runPipelines).
      if (isContextOverflow(error)) {
        const window = reportedWindow(error);
        const counted = reportedPromptTokens(error);
        return { tooLong: [...reasons, reason].join('; then '), model: client.name, ...(window !== undefined && { window }), ...(counted !== undefined && { counted }) };
      }
      reasons.push(reason);
    }
  }
  return { reason: reasons.join('; then ') || 'no model configured' };
}

/**
 * Adds the prompts of `calls` answered calls to the pipeline's count. A call repeated after an unparseable answer
 * also carries that answer, which is not counted.
 */
function countSent(stats: PipelineStats, calls: number, promptTokens: number | undefined): void {
  if (promptTokens !== undefined) stats.countedPromptTokens = (stats.countedPromptTokens ?? 0) + calls * promptTokens;
}

interface PromptCut {
  model: string;
  /** Prompt tokens the server said it read, in the unit's first call. */
  reported: number;
  /** Tokens of the unit's diff alone, by loom's count. */
  sent: number;
}

/** A server's count of a refused prompt over loom's by more than this: its tokenizer cuts finer (see noteCount). */
const FINER_COUNT = 1.01;

/** Units whose diff is smaller than this are not checked for a cut prompt: a template and rounding weigh too much there. */
const MIN_CHECKED_TOKENS = 1_000;
/**
 * A server that reads under this share of the diff's tokens (the whole prompt is more) did not read it all. Other
 * tokenizers count code at 0.9 or more of loom's o200k, and loom's count for other families includes its margin
 * (1.25); a prompt cut at a context length usually reads far less (2,048 of 27,000). A cut to more than this share
 * of the diff goes unnoticed.
 */
const CUT_SHARE = 0.6;
/** No model's context is shorter (Ollama's smallest default is 2,048): a smaller report is a placeholder, not a count. */
const MIN_CONTEXT_TOKENS = 256;

/**
 * Whether the server read only part of the prompt. Some servers cut an overlong prompt instead of refusing it
 * (Ollama at its context length, num_ctx, whatever the model supports; LM Studio's truncating overflow policies)
 * and answer from what is left; they do report the prompt tokens they read. Cut: that count, for the unit's first
 * call, under CUT_SHARE of the unit's diff by loom's count. The count must be a real one: an estimate from
 * characters (some gateways make one) would take dense text, such as hashes or CJK, for a cut. A server that
 * reports no usage (0), or a placeholder below any real context length, cannot be checked.
 */
function promptCut(unit: ReviewUnit, answer: { firstPromptTokens: number }, model: string): PromptCut | undefined {
  if (unit.tokens === undefined || unit.tokens < MIN_CHECKED_TOKENS) return undefined;
  const reported = answer.firstPromptTokens;
  return reported >= MIN_CONTEXT_TOKENS && reported < unit.tokens * CUT_SHARE ? { model, reported, sent: unit.tokens } : undefined;
}

/**
 * Pipelines that share a plan share its units: each unit's diff is rendered once and let go when the last
 * pipeline that renders it has (with calls started unit by unit, a rendering is held only briefly).
 */
class DiffCache {
  private readonly pending = new Map<ReviewUnit, number>();
  private readonly rendered = new Map<ReviewUnit, string>();

  /** One more call will render this unit. */
  expect(unit: ReviewUnit): void {
    this.pending.set(unit, (this.pending.get(unit) ?? 0) + 1);
  }

  /** The unit's diff as prompts show it (defused: renderTemplate then finds nothing left to change). */
  get(unit: ReviewUnit): string {
    const diff = this.rendered.get(unit) ?? defuse(renderDiff(unit.files));
    const left = (this.pending.get(unit) ?? 1) - 1;
    if (left > 0) {
      this.pending.set(unit, left);
      this.rendered.set(unit, diff);
    } else {
      this.pending.delete(unit);
      this.rendered.delete(unit);
    }
    return diff;
  }
}

function unique<T>(value: T, index: number, all: T[]): boolean {
  return all.indexOf(value) === index;
}
