import picomatch from 'picomatch';
import type { LoomConfig, ModelConfig } from '../config/schema.ts';
import type { FileDiff } from '../diff/types.ts';
import { LoomError } from '../errors.ts';
import { createLlmClient, type LlmClient } from '../llm/client.ts';
import type { Logger } from '../log.ts';
import type { PreparedPipeline } from '../pipelines/run.ts';
import { loadPipelineTemplate, loadTemplate, renderTemplate, type PromptData, type Template } from '../prompts/render.ts';
import { inputBudget } from '../tokens/context-window.ts';
import { byteBoundCounter, createTokenCounter, type TokenCounter } from '../tokens/counter.ts';
import { planUnits } from '../units/plan.ts';
import type { SkippedLines, UnitPlan } from '../units/types.ts';

type Base = Omit<PromptData, 'diff' | 'files' | 'pipeline' | 'instructions'>;

export interface Preparation {
  pipelines: PreparedPipeline[];
  /** What no model call sees (skip_paths, binary, overlong lines...), from the plans, once each. */
  skipped: SkippedLines[];
  /** Rendered template tokens per pipeline, for the prompt-token cap. */
  templateTokens: Map<string, number>;
}

/**
 * Loads each pipeline's template and model clients, then packs the diff into units that fit the model's input
 * budget. Pipelines that share a model and path scope share one plan, sized for the largest of their templates.
 */
export async function preparePipelines(
  selected: LoomConfig['pipelines'],
  config: LoomConfig,
  files: readonly FileDiff[],
  deps: { cwd: string; env: Record<string, string | undefined>; log: Logger; base: Base },
): Promise<Preparation> {
  const system = await loadTemplate('system');
  const clientFor = clientCache(config, deps);
  const counterFor = counterCache(files);
  const groups = new Map<string, { model?: ModelConfig; modelName: string; scoped: readonly FileDiff[]; templateTokens: number; plan?: UnitPlan }>();
  const entries: { pipeline: LoomConfig['pipelines'][number]; template: Template; key: string; clients: LlmClient[]; unavailable?: string; tokens: number }[] = [];

  for (const pipeline of selected) {
    const model = config.models[pipeline.model];
    const chain = [pipeline.model, ...(model?.fallback ?? [])].map(clientFor);
    const clients = chain.filter((c): c is LlmClient => typeof c !== 'string');
    const unavailable = clients.length === 0 ? chain.filter((c): c is string => typeof c === 'string').join('; ') : undefined;
    const template = await loadPipelineTemplate(pipeline, deps.cwd);
    const data: PromptData = { ...deps.base, diff: '', files: [], pipeline: { name: pipeline.name, severity: pipeline.severity }, instructions: pipeline.instructions ?? '' };
    // Rendering here also finds a broken template before any model call is spent.
    const rendered = renderTemplate(system, data) + renderTemplate(template, data);
    const tokens = model ? (await counterFor(pipeline.model, model)).count(rendered) : 0;
    const key = `${pipeline.model}\0${JSON.stringify(pipeline.paths ?? null)}`;
    const scoped = pipeline.paths ? files.filter((f) => picomatch.isMatch(f.path, pipeline.paths!, { dot: true })) : files;
    const group = groups.get(key) ?? { ...(model ? { model } : {}), modelName: pipeline.model, scoped, templateTokens: 0 };
    group.templateTokens = Math.max(group.templateTokens, tokens);
    groups.set(key, group);
    entries.push({ pipeline, template, key, clients, ...(unavailable ? { unavailable } : {}), tokens });
  }

  const pipelines: PreparedPipeline[] = [];
  const skipped = new Map<string, SkippedLines>();
  const templateTokens = new Map<string, number>();
  for (const entry of entries) {
    const group = groups.get(entry.key)!;
    if (group.model && !group.plan) {
      const budget = inputBudget(group.model, group.templateTokens);
      if (budget <= 0) {
        throw new LoomError('config-invalid', `models.${group.modelName}: context_window leaves no room for the diff after max_tokens and the prompt template; raise context_window or lower max_tokens`);
      }
      group.plan = planUnits(group.scoped, { budgetTokens: budget, counter: await counterFor(group.modelName, group.model), skipPaths: config.skip_paths });
      for (const s of group.plan.skipped) if (!skipped.has(`${s.path}\0${s.reason}`)) skipped.set(`${s.path}\0${s.reason}`, s);
    }
    templateTokens.set(entry.pipeline.name, entry.tokens);
    pipelines.push({
      config: entry.pipeline,
      template: entry.template,
      system,
      clients: entry.clients,
      ...(entry.unavailable ? { unavailable: entry.unavailable } : {}),
      units: group.plan?.units ?? [],
    });
  }
  return { pipelines, skipped: [...skipped.values()], templateTokens };
}

function clientCache(config: LoomConfig, deps: { env: Record<string, string | undefined>; log: Logger }) {
  const clients = new Map<string, LlmClient | string>();
  return (name: string): LlmClient | string => {
    let client = clients.get(name);
    if (client === undefined) {
      const model = config.models[name];
      try {
        client = model ? createLlmClient(name, model, { env: deps.env, log: deps.log }) : `model "${name}" is not defined in models`;
      } catch (error) {
        client = error instanceof Error ? error.message : String(error);
      }
      clients.set(name, client);
    }
    return client;
  };
}

/**
 * A diff far smaller than the window is planned by UTF-8 bytes, a proven upper bound on tokens: the ~200 ms
 * tokenizer load is only paid when the budget is actually tight.
 */
function counterCache(files: readonly FileDiff[]) {
  let diffChars = 0;
  for (const f of files) for (const h of f.hunks) for (const l of h.lines) diffChars += l.text.length + 12;
  const counters = new Map<string, Promise<TokenCounter>>();
  return (name: string, model: ModelConfig): Promise<TokenCounter> => {
    let counter = counters.get(name);
    if (!counter) {
      counter = diffChars * 1.2 < inputBudget(model, 4_000) ? Promise.resolve(byteBoundCounter()) : createTokenCounter(model);
      counters.set(name, counter);
    }
    return counter;
  };
}
