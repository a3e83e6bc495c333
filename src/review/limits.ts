import type { LoomConfig } from '../config/schema.ts';
import type { PreparedPipeline } from '../pipelines/run.ts';
import type { UnitFailure } from '../report/report.ts';

/**
 * Applies limits.max_calls and limits.max_prompt_tokens before any call is made. Units are taken in priority
 * order, one from each pipeline in turn, so a cap cuts the least important files of every pipeline; what is cut
 * is reported as not reviewed, never dropped silently.
 */
export function applyLimits(
  pipelines: readonly PreparedPipeline[],
  limits: LoomConfig['limits'],
  templateTokens: ReadonlyMap<string, number>,
): { pipelines: PreparedPipeline[]; capped: UnitFailure[] } {
  const kept = pipelines.map((p) => ({ ...p, units: [] as PreparedPipeline['units'] }));
  const capped: UnitFailure[] = [];
  let calls = 0;
  let tokens = 0;
  const longest = Math.max(0, ...pipelines.map((p) => p.units.length));
  for (let i = 0; i < longest; i++) {
    pipelines.forEach((pipeline, p) => {
      const unit = pipeline.units[i];
      if (!unit) return;
      const cost = (unit.tokens ?? 0) + (templateTokens.get(pipeline.config.name) ?? 0);
      const overCalls = calls + 1 > limits.max_calls;
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
      kept[p]!.units.push(unit);
    });
  }
  return { pipelines: kept, capped };
}
