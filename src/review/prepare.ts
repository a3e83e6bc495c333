import picomatch from 'picomatch';
import type { LoomConfig, ModelConfig } from '../config/schema.ts';
import type { FileDiff } from '../diff/types.ts';
import { LoomError } from '../errors.ts';
import { createLlmClient, type LlmClient } from '../llm/client.ts';
import type { Logger } from '../log.ts';
import type { PreparedPipeline } from '../pipelines/run.ts';
import { loadPipelineTemplate, loadTemplate, renderTemplate, type PromptData, type Template } from '../prompts/render.ts';
import { inputBudget } from '../tokens/context-window.ts';
import { byteBoundCounter, createTokenCounter, preloadTokenizer, releaseTokenizers, type TokenCounter } from '../tokens/counter.ts';
import type { ExactCosts } from '../units/exact.ts';
import { planUnits, prefetchCosts, streamUnits, type PlanOptions } from '../units/plan.ts';
import type { ReviewUnit, SkippedLines, UnitPlan } from '../units/types.ts';

type Base = Omit<PromptData, 'diff' | 'files' | 'pipeline' | 'instructions'>;

export interface Preparation {
  pipelines: PreparedPipeline[];
  /** What no model call sees (skip_paths, binary, overlong lines...), from the plans, once each. */
  skipped: SkippedLines[];
  /** Rendered template tokens per pipeline, for the prompt-token cap. */
  templateTokens: Map<string, number>;
  /**
   * Asked for with `stream` (and when every pipeline shares one plan): the plan's units, each as soon as it is
   * final, while the rest of the diff is still being counted. `pipelines` then start with no units: runPipelines,
   * given this, applies the limits and adds each unit as it starts its calls. `skipped` is complete once this is
   * drained.
   */
  units?: AsyncIterable<ReviewUnit>;
}

/**
 * Loads each pipeline's template and model clients, then packs the diff into units that fit the model's input
 * budget. Pipelines that share a model and path scope share one plan, sized for the largest of their templates.
 */
export async function preparePipelines(
  selected: LoomConfig['pipelines'],
  config: LoomConfig,
  files: readonly FileDiff[],
  deps: { cwd: string; env: Record<string, string | undefined>; log: Logger; base: Base; tokenizers?: TokenizerPreload; stream?: boolean },
): Promise<Preparation> {
  // What the first model call will need loads while this thread would otherwise wait for the counting thread.
  const warm = selected.length > 0 ? warmUpModelClient() : undefined;
  const system = await loadTemplate('system');
  const clientFor = clientCache(config, deps);
  const counterFor = counterCache(files);
  const groups = new Map<string, { model?: ModelConfig; modelName: string; scoped: readonly FileDiff[]; templateTokens: number; plan?: UnitPlan }>();
  const entries: { pipeline: LoomConfig['pipelines'][number]; template: Template; key: string; clients: LlmClient[]; unavailable?: string; tokens: number }[] = [];

  // Templates are rendered first and counted together: the counts queue behind countAhead's requests once, not each.
  const rendered: { template: Template; text: string }[] = [];
  for (const pipeline of selected) {
    const template = await loadPipelineTemplate(pipeline, deps.cwd);
    const data: PromptData = { ...deps.base, diff: '', files: [], pipeline: { name: pipeline.name, severity: pipeline.severity }, instructions: pipeline.instructions ?? '' };
    // Rendering here also finds a broken template before any model call is spent.
    rendered.push({ template, text: renderTemplate(system, data) + renderTemplate(template, data) });
  }
  const counts = await Promise.all(
    selected.map(async (pipeline, i) => {
      const model = config.models[pipeline.model];
      return model ? countAsync(await counterFor(pipeline.model, model), rendered[i]!.text) : 0;
    }),
  );
  for (const [i, pipeline] of selected.entries()) {
    const model = config.models[pipeline.model];
    const chain = [pipeline.model, ...(model?.fallback ?? [])].map(clientFor);
    const clients = chain.filter((c): c is LlmClient => typeof c !== 'string');
    const unavailable = clients.length === 0 ? chain.filter((c): c is string => typeof c === 'string').join('; ') : undefined;
    const { template } = rendered[i]!;
    const tokens = counts[i]!;
    const key = `${pipeline.model}\0${JSON.stringify(pipeline.paths ?? null)}`;
    const scoped = pipeline.paths ? files.filter((f) => picomatch.isMatch(f.path, pipeline.paths!, { dot: true })) : files;
    const group = groups.get(key) ?? { ...(model ? { model } : {}), modelName: pipeline.model, scoped, templateTokens: 0 };
    group.templateTokens = Math.max(group.templateTokens, tokens);
    groups.set(key, group);
    entries.push({ pipeline, template, key, clients, ...(unavailable ? { unavailable } : {}), tokens });
  }

  const planned = new Map<string, { opts: PlanOptions; settled: Promise<void> }>();
  for (const [key, group] of groups) {
    if (!group.model) continue;
    const budget = inputBudget(group.model, group.templateTokens);
    if (budget <= 0) {
      throw new LoomError('config-invalid', `models.${group.modelName}: context_window leaves no room for the diff after max_tokens and the prompt template; raise context_window or lower max_tokens`);
    }
    const counter = await counterFor(group.modelName, group.model);
    const opts = { budgetTokens: budget, counter, skipPaths: config.skip_paths };
    // The counting thread counts each plan's files (what countAhead has not already) while this thread goes on.
    const prefetch = prefetchCosts(group.scoped, opts, await deps.tokenizers?.countedAhead(group.modelName, counter));
    planned.set(key, { opts: { ...opts, ...(prefetch ? { costs: prefetch.costs } : {}) }, settled: prefetch?.settled ?? Promise.resolve() });
  }

  const pipelines: PreparedPipeline[] = [];
  const skipped = new Map<string, SkippedLines>();
  const templateTokens = new Map<string, number>();
  const addSkipped = (plan: UnitPlan) => {
    for (const s of plan.skipped) if (!skipped.has(`${s.path}\0${s.reason}`)) skipped.set(`${s.path}\0${s.reason}`, s);
  };
  const pipelineOf = (entry: (typeof entries)[number], units: ReviewUnit[]): PreparedPipeline => ({
    config: entry.pipeline,
    template: entry.template,
    system,
    clients: entry.clients,
    ...(entry.unavailable ? { unavailable: entry.unavailable } : {}),
    units,
  });
  for (const entry of entries) templateTokens.set(entry.pipeline.name, entry.tokens);

  // One plan for every pipeline (one model, one path scope): its units go out as they are made.
  const only = planned.size === 1 && groups.size === 1 ? [...planned.values()][0]! : undefined;
  if (deps.stream && only?.opts.costs) {
    await warm;
    const preparation: Preparation = { pipelines: entries.map((entry) => pipelineOf(entry, [])), skipped: [], templateTokens };
    preparation.units = (async function* () {
      try {
        addSkipped(yield* streamUnits([...groups.values()][0]!.scoped, only.opts));
        preparation.skipped.push(...skipped.values());
      } finally {
        // Every unit is made: the counting thread and its tables are not needed for the model calls.
        releaseTokenizers();
      }
    })();
    return preparation;
  }

  for (const { settled } of planned.values()) await settled;
  await warm;
  for (const entry of entries) {
    const group = groups.get(entry.key)!;
    if (group.model && !group.plan) {
      group.plan = planUnits(group.scoped, planned.get(entry.key)!.opts);
      addSkipped(group.plan);
    }
    pipelines.push(pipelineOf(entry, group.plan?.units ?? []));
  }
  // Every plan is made: the counting thread and its tables are not needed for the model calls.
  releaseTokenizers();
  return { pipelines, skipped: [...skipped.values()], templateTokens };
}

/**
 * Starts loading the tokenizers the selected pipelines' models will count with (in a worker thread where possible),
 * so the ~200 ms load runs while git computes the diff. Call as soon as the config is known; it never fails.
 * `names` are the pipelines asked for on the command line (none: every enabled pipeline).
 */
export function preloadTokenizers(config: LoomConfig, names?: readonly string[]): TokenizerPreload {
  const pipelines = names && names.length > 0 ? config.pipelines.filter((p) => names.includes(p.name)) : config.pipelines.filter((p) => p.enabled);
  const models = new Map<string, ModelConfig>();
  for (const pipeline of pipelines) {
    const model = config.models[pipeline.model];
    if (model) models.set(pipeline.model, model);
  }
  for (const model of models.values()) preloadTokenizer(model);
  return new TokenizerPreload(config, models);
}

/** The tokenizers being loaded, and the counting of the diff they can start before the prompts are prepared. */
export class TokenizerPreload {
  private readonly ahead = new Map<string, Promise<{ costs: ExactCosts; counter: TokenCounter } | undefined>>();
  private readonly config: LoomConfig;
  private readonly models: ReadonlyMap<string, ModelConfig>;

  constructor(config: LoomConfig, models: ReadonlyMap<string, ModelConfig>) {
    this.config = config;
    this.models = models;
  }

  /**
   * Starts counting `files` (as they will be planned: each whole, where it will likely fit) in the counting thread,
   * while this thread scans the diff and prepares the prompts. Counts are kept by file object: files the checks
   * then replace (masked secrets) are counted again when planned. Nothing happens for a diff small enough to be
   * planned by bytes.
   */
  countAhead(files: readonly FileDiff[]): void {
    const chars = diffChars(files);
    for (const [name, model] of this.models) {
      if (fitsByBytes(chars, model)) continue;
      const counting = createTokenCounter(model).then((counter) => {
        // The budget is not known yet (it depends on the rendered template): the largest it can be.
        const prefetch = prefetchCosts(files, { budgetTokens: inputBudget(model, 0), counter, skipPaths: this.config.skip_paths });
        return prefetch ? { costs: prefetch.costs, counter } : undefined;
      });
      this.ahead.set(name, counting.catch(() => undefined));
    }
  }

  /** What countAhead counts for this model (still counting), when planning counts with the same encoding and margin. */
  async countedAhead(name: string, counter: TokenCounter): Promise<ExactCosts | undefined> {
    const ahead = await this.ahead.get(name);
    return ahead && ahead.counter.encoding === counter.encoding && ahead.counter.margin === counter.margin ? ahead.costs : undefined;
  }
}

/**
 * Loads what the first model call needs (the openai SDK and node's Response class, ~100 ms) now, while the counting
 * thread works, instead of when the first call starts. Harmless when it fails: the call loads it again.
 */
async function warmUpModelClient(): Promise<void> {
  await import('../llm/client-sdk.ts').catch(() => undefined);
  try {
    // Node loads its Response class (the client hands answers on as Responses) on first use.
    new Response(null);
  } catch {
    // not fatal
  }
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
  const chars = diffChars(files);
  const counters = new Map<string, Promise<TokenCounter>>();
  return (name: string, model: ModelConfig): Promise<TokenCounter> => {
    let counter = counters.get(name);
    if (!counter) {
      counter = fitsByBytes(chars, model) ? Promise.resolve(byteBoundCounter()) : createTokenCounter(model);
      counters.set(name, counter);
    }
    return counter;
  };
}

/** A count that does not block this thread while the counting thread is busy (e.g. with countAhead's work). */
async function countAsync(counter: TokenCounter, text: string): Promise<number> {
  return counter.segments ? counter.segments.total((await counter.segments.countRawAsync([text]))[0]!) : counter.count(text);
}

function diffChars(files: readonly FileDiff[]): number {
  let chars = 0;
  for (const f of files) for (const h of f.hunks) for (const l of h.lines) chars += l.text.length + 12;
  return chars;
}

function fitsByBytes(diffChars: number, model: ModelConfig): boolean {
  return diffChars * 1.2 < inputBudget(model, 4_000);
}
