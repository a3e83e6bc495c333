import picomatch from 'picomatch';
import type { LoomConfig, ModelConfig } from '../config/schema.ts';
import type { FileDiff } from '../diff/types.ts';
import { LoomError } from '../errors.ts';
import { FINDINGS_FORMAT_TEXT } from '../llm/ask-findings.ts';
import { createLlmClient, type LlmClient } from '../llm/client.ts';
import type { Logger } from '../log.ts';
import type { PreparedPipeline } from '../pipelines/run.ts';
import { loadPipelineTemplate, loadTemplate, renderTemplate, type PromptData, type Template } from '../prompts/render.ts';
import { inputBudget } from '../tokens/context-window.ts';
import { createTokenCounter, preloadTokenizer, releaseTokenizers, type CounterOptions, type TokenCounter } from '../tokens/counter.ts';
import { ExactCosts } from '../units/exact.ts';
import { planUnits, prefetchCosts, streamUnits, type PlanOptions } from '../units/plan.ts';
import type { UnitMemory } from '../cache/unit-memory.ts';
import type { ReviewUnit, SkippedLines, UnitPlan } from '../units/types.ts';
import type { KeptFiles } from './feed.ts';
import { readWhile } from './read-ahead.ts';

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
 *
 * With `stream` and one plan for every pipeline, a diff bigger than one unit is planned as it is read: the units
 * come out (Preparation.units) while git, the checks and the counting thread are still at work.
 */
export async function preparePipelines(
  selected: LoomConfig['pipelines'],
  config: LoomConfig,
  kept: KeptFiles,
  deps: { cwd: string; env: Record<string, string | undefined>; log: Logger; base: Base; stream?: boolean; memory?: UnitMemory | undefined },
): Promise<Preparation> {
  const system = await loadTemplate('system');
  const clientFor = clientCache(config, deps);
  const groups = new Map<string, Group>();
  const entries: Entry[] = [];
  for (const pipeline of selected) {
    const template = await loadPipelineTemplate(pipeline, deps.cwd);
    const data: PromptData = { ...deps.base, diff: '', files: [], pipeline: { name: pipeline.name, severity: pipeline.severity }, instructions: pipeline.instructions ?? '' };
    // Rendering here also finds a broken template before any model call is spent. The schema every call asks for
    // is part of what some servers count against the window.
    const rendered = renderTemplate(system, data) + renderTemplate(template, data) + FINDINGS_FORMAT_TEXT;
    const model = config.models[pipeline.model];
    const chain = [pipeline.model, ...(model?.fallback ?? [])].map(clientFor);
    const clients = chain.filter((c): c is LlmClient => typeof c !== 'string');
    const unavailable = clients.length === 0 ? chain.filter((c): c is string => typeof c === 'string').join('; ') : undefined;
    const key = `${pipeline.model}\0${JSON.stringify(pipeline.paths ?? null)}`;
    const paths = pipeline.paths;
    if (!groups.has(key)) groups.set(key, { ...(model ? { model } : {}), modelName: pipeline.model, inScope: paths ? (f) => picomatch.isMatch(f.path, paths, { dot: true }) : () => true, templateTokens: 0 });
    entries.push({ pipeline, template, key, clients, ...(unavailable ? { unavailable } : {}), rendered, tokens: 0 });
  }

  const pipelineOf = (entry: Entry, units: ReviewUnit[]): PreparedPipeline => ({
    config: entry.pipeline,
    template: entry.template,
    system,
    clients: entry.clients,
    ...(entry.unavailable ? { unavailable: entry.unavailable } : {}),
    ...(entry.tokenizer ? { tokenizer: entry.tokenizer } : {}),
    units,
  });
  const templateTokens = new Map<string, number>();
  const skipped = new Map<string, SkippedLines>();
  const addSkipped = (plan: UnitPlan) => {
    for (const s of plan.skipped) if (!skipped.has(`${s.path}\0${s.reason}`)) skipped.set(`${s.path}\0${s.reason}`, s);
  };

  // One plan for every pipeline (one model, one path scope): its units go out as they are made.
  const only = deps.stream && groups.size === 1 ? [...groups.values()][0]! : undefined;
  const read: Read = only?.model ? await readUpTo(kept.batches(), oneUnitChars(only.model)) : { files: await kept.all() };
  // A small diff, read whole, is counted in this thread rather than after the counting thread has started.
  const counterFor = counterCache({ small: !read.rest && (read.chars ?? diffChars(read.files, SMALL_DIFF_CHARS)) <= SMALL_DIFF_CHARS });
  // The counting thread may still be starting: the diff is read on meanwhile, instead of waiting with it.
  if (read.rest && only?.model) read.rest = readWhile(read.rest, counterFor(only.modelName, only.model));
  await countTemplates(entries, groups, config, counterFor);
  for (const entry of entries) templateTokens.set(entry.pipeline.name, entry.tokens);

  if (only?.model && read.rest) {
    const counter = await counterFor(only.modelName, only.model);
    const opts = planOptions(only, counter, config, deps.memory);
    if (counter.segments) {
      const files = inScope([read.files, read.rest], only.inScope);
      const preparation: Preparation = { pipelines: entries.map((entry) => pipelineOf(entry, [])), skipped: [], templateTokens };
      preparation.units = (async function* () {
        try {
          addSkipped(yield* streamUnits(files, { ...opts, costs: new ExactCosts(counter.segments!) }));
          preparation.skipped.push(...skipped.values());
        } finally {
          // Every unit is made: the counting thread and its tables are not needed for the model calls.
          releaseTokenizers();
        }
      })();
      return preparation;
    }
  }

  const all = read.files;
  if (read.rest) for await (const batch of read.rest) all.push(...batch);
  const planned = new Map<string, { opts: PlanOptions; settled: Promise<void> }>();
  for (const [key, group] of groups) {
    if (!group.model) continue;
    const counter = await counterFor(group.modelName, group.model);
    const opts = planOptions(group, counter, config, deps.memory);
    // The counting thread counts each plan's files while this thread goes on.
    const scoped = all.filter(group.inScope);
    const prefetch = prefetchCosts(scoped, opts);
    planned.set(key, { opts: { ...opts, ...(prefetch ? { costs: prefetch.costs } : {}) }, settled: prefetch?.settled ?? Promise.resolve() });
    group.scoped = scoped;
  }
  for (const { settled } of planned.values()) await settled;
  const pipelines: PreparedPipeline[] = [];
  for (const entry of entries) {
    const group = groups.get(entry.key)!;
    if (group.model && !group.plan) {
      group.plan = planUnits(group.scoped ?? [], planned.get(entry.key)!.opts);
      addSkipped(group.plan);
    }
    pipelines.push(pipelineOf(entry, group.plan?.units ?? []));
  }
  // Every plan is made: the counting thread and its tables are not needed for the model calls.
  releaseTokenizers();
  return { pipelines, skipped: [...skipped.values()], templateTokens };
}

interface Group {
  model?: ModelConfig;
  modelName: string;
  inScope: (file: FileDiff) => boolean;
  /** The largest rendered template of the group's pipelines, in tokens. */
  templateTokens: number;
  scoped?: FileDiff[];
  plan?: UnitPlan;
}

interface Entry {
  pipeline: LoomConfig['pipelines'][number];
  template: Template;
  key: string;
  clients: LlmClient[];
  unavailable?: string;
  /** The system and pipeline templates rendered without a diff, and the response format: the fixed part of every call. */
  rendered: string;
  tokens: number;
  /** The counter's tokenizer, as the report names it (PipelineStats.tokenizer). */
  tokenizer?: string;
}

/** Counts every pipeline's rendered template with its model's counter, together: they queue behind other counts once. */
async function countTemplates(entries: Entry[], groups: Map<string, Group>, config: LoomConfig, counterFor: ReturnType<typeof counterCache>): Promise<void> {
  const counts = await Promise.all(
    entries.map(async (entry) => {
      const model = config.models[entry.pipeline.model];
      if (!model) return 0;
      const counter = await counterFor(entry.pipeline.model, model);
      entry.tokenizer = counter.margin === 1 ? counter.encoding : `${counter.encoding} x${counter.margin}`;
      return countAsync(counter, entry.rendered);
    }),
  );
  entries.forEach((entry, i) => {
    entry.tokens = counts[i]!;
    const group = groups.get(entry.key)!;
    group.templateTokens = Math.max(group.templateTokens, entry.tokens);
  });
}

/** What planning a group's files takes, streamed or not: its budget, its counter, and the config's skip rules. */
function planOptions(group: Group, counter: TokenCounter, config: LoomConfig, memory: UnitMemory | undefined): PlanOptions {
  return { budgetTokens: budgetOf(group), counter, skipPaths: config.skip_paths, skipGenerated: config.skip_generated, summariseRemovedOver: config.summarise_removed_over, memory };
}

function budgetOf(group: Group): number {
  const budget = inputBudget(group.model!, group.templateTokens);
  if (budget <= 0) {
    throw new LoomError('config-invalid', `models.${group.modelName}: context_window leaves no room for the diff after max_tokens and the prompt template; raise context_window or lower max_tokens`);
  }
  return budget;
}

/** The start of a diff: its first files, the batches not read yet when it did not end, and (read whole) its size. */
interface Read {
  files: FileDiff[];
  rest?: AsyncIterable<FileDiff[]>;
  /** diffChars of `files`, when they are the whole diff. */
  chars?: number;
}

/** Reads batches until they hold more than `chars` characters of diff lines or the diff ends. */
async function readUpTo(batches: AsyncIterable<FileDiff[]>, chars: number): Promise<Read> {
  const iterator = batches[Symbol.asyncIterator]();
  const files: FileDiff[] = [];
  let seen = 0;
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) return { files, chars: seen };
    files.push(...value);
    // Counted only as far as the limit: the first batch of a diff of one large file is that whole file.
    seen += diffChars(value, chars - seen);
    if (seen > chars) return { files, rest: { [Symbol.asyncIterator]: () => iterator } };
  }
}

/** The batches of `parts`, in order, each narrowed to a pipeline's path scope. */
async function* inScope(parts: readonly (readonly FileDiff[] | AsyncIterable<FileDiff[]>)[], keep: (file: FileDiff) => boolean): AsyncGenerator<FileDiff[], void, undefined> {
  for (const part of parts) {
    if (Symbol.asyncIterator in part) {
      for await (const batch of part) yield batch.filter(keep);
    } else yield part.filter(keep);
  }
}

/**
 * Starts loading the tokenizers the selected pipelines' models will count with (in a worker thread where possible),
 * so it is loaded by the time the diff is read. Call as soon as the config is known; it never fails.
 * `names` are the pipelines asked for on the command line (none: every enabled pipeline).
 */
export function preloadTokenizers(config: LoomConfig, names?: readonly string[]): void {
  const pipelines = names && names.length > 0 ? config.pipelines.filter((p) => names.includes(p.name)) : config.pipelines.filter((p) => p.enabled);
  for (const pipeline of pipelines) {
    const model = config.models[pipeline.model];
    if (model) preloadTokenizer(model);
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
 * One counter per model, with its tokenizer, whatever the size of the diff: limits.max_prompt_tokens and the
 * prompt tokens the report gives are tokens. (Planning a small diff by its UTF-8 bytes, an upper bound, saved
 * 5-15 ms of waiting for the tokenizer, and made a token cap count bytes: a diff of 3,000 tokens was capped at
 * 12,000.)
 */
function counterCache(opts: CounterOptions) {
  const counters = new Map<string, Promise<TokenCounter>>();
  return (name: string, model: ModelConfig): Promise<TokenCounter> => {
    let counter = counters.get(name);
    if (!counter) {
      counter = createTokenCounter(model, undefined, opts);
      counters.set(name, counter);
    }
    return counter;
  };
}

/** A count that does not block this thread while the counting thread is busy. */
async function countAsync(counter: TokenCounter, text: string): Promise<number> {
  return counter.segments ? counter.segments.total((await counter.segments.countRawAsync([text]))[0]!) : counter.count(text);
}

/**
 * Diff characters (as diffChars counts them) this thread counts faster than the counting thread starts: ~8,000
 * tokens of code, a few ms of counting by code V8 has not optimized yet. A one-file review's first call went out
 * 20-25 ms sooner (of ~190 ms); a diff of 40,000 characters was no faster (30 alternating runs each).
 */
const SMALL_DIFF_CHARS = 32 * 1024;

/** Characters of the files' diff lines, counted until they pass `limit` (the sum so far is returned then). */
function diffChars(files: readonly FileDiff[], limit = Infinity): number {
  let chars = 0;
  for (const f of files) {
    for (const h of f.hunks) {
      for (const l of h.lines) {
        chars += l.text.length + 12;
        if (chars > limit) return chars;
      }
    }
  }
  return chars;
}

/**
 * Diff characters (as diffChars counts them) of about one unit: a diff this small is read whole and then planned,
 * since streaming it would start no call sooner.
 */
function oneUnitChars(model: ModelConfig): number {
  return inputBudget(model, 4_000) / 1.2;
}
