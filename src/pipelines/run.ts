import pLimit from 'p-limit';
import type { PipelineConfig } from '../config/schema.ts';
import type { DiffIndex } from '../findings/diff-index.ts';
import { buildFinding } from '../findings/build.ts';
import type { Finding } from '../findings/finding.ts';
import type { AnswerCache } from '../cache/answer-cache.ts';
import type { ModelConfig } from '../config/schema.ts';
import { askForFindings, LlmCallError, ReplyParseError } from '../llm/ask-findings.ts';
import { parseFindingsReply } from '../llm/reply.ts';
import type { LlmClient } from '../llm/client.ts';
import type { Logger } from '../log.ts';
import { renderDiff } from '../prompts/render-diff.ts';
import { renderTemplate, type PromptData, type Template } from '../prompts/render.ts';
import type { PipelineStats, UnitFailure } from '../report/report.ts';
import type { ReviewUnit } from '../units/types.ts';

export interface PreparedPipeline {
  config: PipelineConfig;
  template: Template;
  system: Template;
  /** The pipeline's model first, then its fallbacks. Empty when no model could be set up (see `unavailable`). */
  clients: LlmClient[];
  /** Why the pipeline cannot call a model (e.g. a missing API key); every unit then fails with this reason. */
  unavailable?: string;
  units: ReviewUnit[];
}

export interface PipelinesResult {
  findings: Finding[];
  failures: UnitFailure[];
  stats: PipelineStats[];
  /** Items of model answers that were unusable (no file, no line), for the log. */
  dropped: string[];
  calls: { attempted: number; failed: number };
}

/** Every (pipeline x unit) call goes through this one limiter, so --concurrency is the real bound. */
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
    onProgress?: (done: number, total: number) => void;
  },
): Promise<PipelinesResult> {
  const limit = pLimit(ctx.concurrency);
  const result: PipelinesResult = { findings: [], failures: [], stats: [], dropped: [], calls: { attempted: 0, failed: 0 } };
  const total = pipelines.reduce((n, p) => n + p.units.length, 0);
  let done = 0;
  const tasks: Promise<void>[] = [];
  for (const pipeline of pipelines) {
    const stats: PipelineStats = { name: pipeline.config.name, model: pipeline.clients[0]?.model ?? pipeline.config.model, calls: 0, failedCalls: 0, promptTokens: 0, completionTokens: 0 };
    result.stats.push(stats);
    for (const unit of pipeline.units) {
      tasks.push(
        limit(async () => {
          result.calls.attempted++;
          const outcome = await reviewUnit(pipeline, unit, ctx, stats);
          if ('reason' in outcome) {
            result.calls.failed++;
            stats.failedCalls++;
            result.failures.push({ pipeline: pipeline.config.name, unit: unit.id, files: unit.files.map((f) => f.path).filter(unique), reason: outcome.reason });
            ctx.log.warn(`${pipeline.config.name}: unit ${unit.id} failed: ${outcome.reason}`);
          } else {
            result.findings.push(...outcome.findings);
            result.dropped.push(...outcome.dropped);
          }
          ctx.onProgress?.(++done, total);
        }),
      );
    }
  }
  await Promise.all(tasks);
  return result;
}

async function reviewUnit(
  pipeline: PreparedPipeline,
  unit: ReviewUnit,
  ctx: Parameters<typeof runPipelines>[1],
  stats: PipelineStats,
): Promise<{ findings: Finding[]; dropped: string[] } | { reason: string }> {
  if (pipeline.unavailable) return { reason: pipeline.unavailable };
  const data: PromptData = {
    ...ctx.base,
    diff: renderDiff(unit.files),
    files: unit.files.map((f) => ({ path: f.path, oldPath: f.oldPath, status: f.status, additions: f.additions, deletions: f.deletions })),
    pipeline: { name: pipeline.config.name, severity: pipeline.config.severity },
    instructions: pipeline.config.instructions ?? '',
  };
  const prompt = { system: renderTemplate(pipeline.system, data), user: renderTemplate(pipeline.template, data) };
  const reasons: string[] = [];
  for (const client of pipeline.clients) {
    try {
      const settings = ctx.models?.[client.name];
      const key = ctx.cache?.enabled && settings ? ctx.cache.keyFor({ model: settings.model, baseUrl: settings.base_url, temperature: settings.temperature, system: prompt.system, user: prompt.user, extra: JSON.stringify({ max_tokens: settings.max_tokens }) }) : undefined;
      const cached = key ? await ctx.cache!.get(key) : undefined;
      const hit = cached === undefined ? undefined : parseFindingsReply(cached);
      const answer = hit?.ok ? { findings: hit.findings, dropped: hit.dropped, usage: { promptTokens: 0, completionTokens: 0 }, calls: 0 } : await askForFindings(client, prompt);
      if (hit?.ok) stats.cachedCalls = (stats.cachedCalls ?? 0) + 1;
      else if (key) await ctx.cache!.set(key, JSON.stringify({ findings: answer.findings }));
      stats.calls += answer.calls;
      stats.promptTokens += answer.usage.promptTokens;
      stats.completionTokens += answer.usage.completionTokens;
      if (client !== pipeline.clients[0]) ctx.log.info(`${pipeline.config.name}: unit ${unit.id} reviewed by fallback model ${client.name}`);
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
        ),
      );
      return { findings, dropped: answer.dropped.map((d) => `${pipeline.config.name}/${unit.id}: ${d}`) };
    } catch (error) {
      // Failed calls still cost requests and, for unparseable answers, tokens: the usage report counts them.
      if (error instanceof ReplyParseError) {
        stats.calls += error.calls;
        stats.promptTokens += error.usage.promptTokens;
        stats.completionTokens += error.usage.completionTokens;
      } else {
        stats.calls += error instanceof LlmCallError ? error.attempts : 1;
      }
      reasons.push(`${client.name}: ${ctx.log.redact(error instanceof Error ? error.message : String(error))}`);
    }
  }
  return { reason: reasons.join('; then ') || 'no model configured' };
}

function unique<T>(value: T, index: number, all: T[]): boolean {
  return all.indexOf(value) === index;
}
