import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { createAnswerCache } from '../cache/answer-cache.ts';
import { openUnitMemory } from '../cache/unit-memory.ts';
import { BUILTIN_PIPELINE, mayBeFlagged } from '../checks/index.ts';
import { maskSecretsInText } from '../checks/mask-text.ts';
import { SECRET_HINT } from '../checks/secret-patterns.ts';
import type { LoomConfig } from '../config/schema.ts';
import { applyTriggers, pathMatcher } from '../diff/filter.ts';
import type { ElideRule, ParseOptions } from '../diff/parse.ts';
import { resolveRange } from '../diff/range.ts';
import { startDiff } from '../diff/stream.ts';
import type { DiffRange, FileDiff } from '../diff/types.ts';
import { EXIT, LoomError } from '../errors.ts';
import { dedupeFindings } from '../findings/build.ts';
import { atOrAbove, compareFindings } from '../findings/finding.ts';
import { isLocalBaseUrl } from '../llm/api-key.ts';
import { sinceStart, type Logger } from '../log.ts';
import { runPipelines, stoppedBecause, type PipelinesResult } from '../pipelines/run.ts';
import type { CiContext, Platform, PullRequestInfo } from '../platforms/types.ts';
import type { Progress } from '../progress.ts';
import { formats, type FormatId } from '../report/formats/index.ts';
import type { Report } from '../report/report.ts';
import { coverageOf } from '../review/coverage.ts';
import { DiffFeed } from '../review/feed.ts';
import { applyLimits } from '../review/limits.ts';
import { connectPlatform, post, warnAndSkip, writeStepSummary } from '../review/post.ts';
import { preloadTokenizers, preparePipelines } from '../review/prepare.ts';
import { watchForStop, type StopSubscriber } from '../review/stop.ts';
import { preloadLikelyTokenizer } from '../tokens/counter.ts';

export interface ReviewOptions {
  base?: string;
  head?: string;
  config?: string;
  pipelines?: string[];
  dryRun: boolean;
  format?: FormatId;
  outputs: { format: FormatId; path: string }[];
  failOn?: LoomConfig['fail_on'];
  concurrency?: number;
  uncommitted: boolean;
  /** Ignore the answer cache for this run (neither read nor written). */
  noCache?: boolean;
}

export interface ReviewDeps {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  log: Logger;
  progress: Progress;
  /** stdout is a terminal: default format text with colour. */
  stdoutIsTTY: boolean;
  color: boolean;
  version: string;
  /** pull_request_target: read config and prompts from the base commit, never from the pull request. */
  trustBaseOnly?: boolean;
  /** The pull request to post to, when loom runs in a CI pull request build and is not a dry run. */
  target?: { ci: CiContext; createPlatform: (ci: CiContext) => Promise<Platform> };
  /** What may stop the model calls early (the CLI: SIGINT and SIGTERM); the report then covers what was answered. */
  onStop?: StopSubscriber;
}

/** config -> diff -> checks -> units -> pipelines -> findings -> sinks. Returns the exit code. */
export async function runReview(opts: ReviewOptions, deps: ReviewDeps): Promise<number> {
  // Directories the run makes for itself (the trusted config of pull_request_target), removed however it ends.
  const scratch: string[] = [];
  try {
    return await review(opts, deps, scratch);
  } finally {
    for (const dir of scratch) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function review(opts: ReviewOptions, deps: ReviewDeps, scratch: string[]): Promise<number> {
  const { cwd, env, log, progress } = deps;
  const startedAt = Date.now();
  // The likely tokenizer loads in its own thread while git and the config load.
  void preloadLikelyTokenizer();
  const computeRange = async (pr?: PullRequestInfo) => {
    progress.step('computing the diff');
    // In CI the head is the PR's own head commit, never the merge commit the CI checked out.
    const head = opts.head ?? deps.target?.ci.headSha ?? pr?.headSha;
    const baseRef = opts.base ?? deps.target?.ci.baseRef;
    // Only for the CI's own range: with --base or --head the user asked for another one.
    const knownMergeBase = opts.base === undefined && opts.head === undefined ? (deps.target?.ci.mergeBase ?? pr?.mergeBase) : undefined;
    return resolveRange({ cwd, env, log, includeUncommitted: opts.uncommitted, ...(baseRef ? { base: baseRef } : {}), ...(head ? { head } : {}), ...(knownMergeBase ? { knownMergeBase } : {}) });
  };
  // pull_request_target needs the base commit before it may read any config.
  const early = deps.trustBaseOnly ? await computeRange() : undefined;
  // Elsewhere git finds the range and starts the diff while the config (and the code that reads it) loads, unless
  // the head commit has to come from the pull request's API.
  const headKnown = opts.head !== undefined || !deps.target || deps.target.ci.headSha !== undefined;
  // The elision rule is filled in once the config is read: the files no model will read are then parsed without
  // their lines. Secrets are screened for whatever the config says.
  const parsing: ParseOptions = { secretHint: SECRET_HINT };
  // What git printed on stderr while the diff succeeded (too many files to find renames, say): told in the report.
  const gitSaid: string[] = [];
  const started = !early && headKnown ? startReading(cwd, computeRange(), parsing, gitSaid) : undefined;
  progress.step('reading config');
  const configRoot = early ? await (await import('../config/from-commit.ts')).checkoutTrustedConfig(cwd, early.baseSha, opts.config) : cwd;
  if (early) scratch.push(configRoot);
  if (early) log.info(`pull_request_target: config and prompts are read from the base commit ${early.baseSha.slice(0, 12)}, not from the pull request`);
  const { loadConfig } = await import('../config/load.ts');
  const loaded = await loadConfig({ cwd: configRoot, env, ...(opts.config ? { path: opts.config } : {}) });
  const config = loaded.config;
  log.debug(`${sinceStart()} config loaded`);
  parsing.elide = elisionOf(config);
  // The tokenizer loads (in a worker thread) while git computes the diff.
  const connect = modelConnection(config, loaded.path, env);
  if (connect.ok) preloadTokenizers(config, opts.pipelines);
  for (const warning of loaded.warnings) log.warn(`${loaded.path ?? 'config'}:${warning.line}:${warning.col}: ${warning.message}`);

  const platform = await connectPlatform(deps);
  const pr = platform ? await platform.getPullRequest().catch((error: unknown) => warnAndSkip(log, 'could not read the pull request', error)) : undefined;
  const { range, diff } = await (started ?? startReading(cwd, Promise.resolve(early ?? (await computeRange(pr))), parsing, gitSaid));
  log.debug(`${sinceStart()} range resolved`);
  // The diff is read, checked and masked file by file while the first units are already being planned and reviewed.
  const feed = new DiffFeed(diff, { ignorePaths: config.triggers.ignore_paths, checks: config.checks });
  const target = range.baseBranch ? { targetBranch: range.baseBranch } : {};
  // The branch rule needs no file; max_changes needs them all before the first model call.
  let triggers = applyTriggers([], { ...config.triggers, max_changes: undefined }, target);
  if (!triggers.skip && config.triggers.max_changes !== undefined) triggers = applyTriggers(await feed.all(), config.triggers, target);

  const selected = selectPipelines(config, opts.pipelines);
  const runModels = !triggers.skip && connect.ok && selected.length > 0;

  progress.step('preparing prompts');
  const guidelines = config.guidelines ? await readFile(isAbsolute(config.guidelines) ? config.guidelines : join(configRoot, config.guidelines), 'utf8') : '';
  const base = {
    // The description is as much pull-request content as the diff: a token pasted there is masked too.
    pr: { title: maskSecretsInText(pr?.title ?? ''), description: maskSecretsInText(pr?.description ?? ''), author: pr?.author ?? '', base: range.baseRef, head: range.headRef, url: pr?.url ?? '' },
    guidelines,
  };
  const caching = config.cache.enabled && !opts.noCache;
  let unwritable = false;
  const onWriteError = (e: unknown) => {
    if (!unwritable) log.warn(`the answer cache cannot be written (${String(e)}); continuing without it`);
    unwritable = true;
  };
  // The units of earlier runs: those whose pieces are unchanged are made again as they were, and their answers found.
  const memory = caching && runModels ? await openUnitMemory({ dir: config.cache.dir, cwd, onWriteError }) : undefined;
  // Streamed: model calls start as soon as the first units are planned, while the rest is still being counted.
  const preparation = await preparePipelines(runModels ? selected : [], config, feed, { cwd: configRoot, env, log, base, stream: true, memory });
  const limited = applyLimits(preparation.pipelines, config.limits, preparation.templateTokens);
  const prepared = limited.pipelines;
  const cache = createAnswerCache({ dir: config.cache.dir, enabled: caching, cwd, onWriteError });

  const total = prepared.reduce((n, p) => n + p.units.length, 0);
  if (total > 0 || preparation.units) progress.step(`reviewing with ${prepared.length} pipeline(s)${preparation.units ? '' : `, ${total} model call(s)`}`);
  const stream = preparation.units ? { units: preparation.units, limits: config.limits } : undefined;
  const stop = watchForStop({ maxMinutes: config.limits.max_minutes, startedAt, subscribe: deps.onStop, log });
  const result = await runPipelines(prepared, { concurrency: opts.concurrency ?? config.concurrency, index: feed.index, base, log, cache, models: config.models, maxCalls: config.limits.max_calls, templateTokens: preparation.templateTokens, onProgress: (d, t) => progress.calls(d, t), signal: stop.signal, ...(stream ? { stream } : {}) }).finally(
    () => stop.release(),
  );
  log.debug(`${sinceStart()} model calls done`);
  await memory?.flush();
  await feed.finish();
  const files = feed.files;
  log.debug(`diff ${range.mergeBase.slice(0, 12)}..${range.includesUncommitted ? 'worktree' : range.headSha.slice(0, 12)}: ${files.length} files`);
  const elided = files.filter((f) => f.elided).length;
  if (elided > 0) log.debug(`${elided} file(s) that no model reads were parsed for their line counts and the lines the built-in checks flag`);
  const notices: string[] = [];
  if (files.length === 0) notices.push(`Nothing to review: there are no changes between ${range.baseRef} and ${range.includesUncommitted ? 'the working tree' : range.headRef}.`);
  for (const said of gitSaid) notices.push(`git, computing the diff: ${said.replace(/\s*\n\s*/g, ' ')}`);
  if (feed.maskedCount > 0) notices.push(`${feed.maskedCount} secret-looking value(s) were masked before anything was sent to a model.`);
  if (feed.shortenedDataUrls > 0) {
    notices.push(`${feed.shortenedDataUrls} base64 payload(s) of data URLs (inline source maps, images, fonts) in the diff were replaced by a marker in anything sent to a model: no model reviews base64.`);
  }
  if (connect.notice) notices.push(connect.notice);
  if (result.split > 0) notices.push(splitNotice(result.split, result.preSplit, result));
  for (const [name, answers] of Object.entries(result.answersCutOff)) {
    const limit = config.models[name]?.max_tokens;
    notices.push(
      `${answers} answer(s) of models.${name} stopped at max_tokens${limit ? ` (${limit})` : ''}: findings after the cut are lost. Raise models.${name}.max_tokens.`,
    );
  }
  for (const [name, reported] of Object.entries(result.cutAt)) {
    notices.push(
      `The server of models.${name} read only part of some prompts (about ${reported} tokens) and answered without an error, so those units count as not reviewed. Set models.${name}.context_window to at most ${reported}, or raise the server's context length (Ollama: num_ctx, or OLLAMA_CONTEXT_LENGTH), and run again.`,
    );
  }
  const capped = [...limited.capped, ...result.capped];
  if (capped.length > 0) notices.push(`${capped.length} unit(s) were not reviewed because a limit in the config was reached (limits.max_calls / limits.max_prompt_tokens).`);
  result.failures.push(...capped);
  if (result.stopped.length > 0) {
    notices.push(`${result.stopped.length} unit(s) were not reviewed: ${stoppedBecause(stop.signal)} before their model calls were answered.`);
    result.failures.push(...result.stopped);
  }
  progress.stop();
  if (result.dropped.length > 0) {
    notices.push(`${result.dropped.length} item(s) in model answers named no usable file or line and were left out (run with --verbose to see them).`);
    for (const d of result.dropped) log.debug(d);
  }
  const all = [...feed.findings, ...result.findings];
  const outside = all.filter((f) => !f.inDiff && !f.notShown).length;
  if (outside > 0) notices.push(`${outside} finding(s) point at lines outside the diff; they are listed but cannot be posted inline.`);
  const unshown = all.filter((f) => f.notShown).length;
  if (unshown > 0) {
    notices.push(`${unshown} finding(s) name lines of the diff that their model call was not shown (a large pull request is reviewed in parts): the line is a guess, so they are listed but not posted inline.`);
  }

  const report: Report = {
    tool: { name: 'loom', version: deps.version },
    range: { baseRef: range.baseRef, headRef: range.includesUncommitted ? `${range.headRef}+worktree` : range.headRef, baseSha: range.baseSha, headSha: range.headSha, mergeBase: range.mergeBase },
    findings: dedupeFindings([...feed.findings, ...result.findings]).sort(compareFindings),
    failures: result.failures,
    notices,
    pipelines: [
      { name: BUILTIN_PIPELINE, model: 'builtin', calls: 0, failedCalls: 0, promptTokens: 0, completionTokens: 0 },
      ...result.stats,
    ],
    coverage: coverageOf(files, [...feed.ignored, ...preparation.skipped], prepared, result.failures),
    ...(triggers.skip ? { skipped: triggers.skip } : {}),
  };
  await emit(report, opts, deps);
  log.debug(`${sinceStart()} report written`);
  const posted = platform ? await post(report, platform, { index: feed.index, headSha: range.headSha, deps }) : 'ok';
  if (deps.target && !platform) await writeStepSummary(report, deps);

  if (posted === 'failed') return EXIT.failed;
  // Cancelled: the job failed, whatever was found.
  if (stop.interrupted) return EXIT.failed;
  if (result.stopped.length > 0 && report.coverage.linesReviewed + report.coverage.linesSummarised === 0) {
    log.error(`no model answered before the review stopped (${result.stopped.length} unit(s) not reviewed): the report above has the built-in checks only`);
    return EXIT.failed;
  }
  if (result.calls.attempted > 0 && result.calls.failed === result.calls.attempted) {
    // A cut prompt's call failed with an answer: what the model found in the part it read is in the report too.
    const has = result.findings.length > 0 ? 'the built-in checks and what the model found in the parts of prompts it read' : 'the built-in checks only';
    log.error(`every model call failed (${result.calls.failed}); the report above has ${has}. First reason: ${result.failures[0]?.reason ?? 'unknown'}`);
    return EXIT.failed;
  }
  const failOn = opts.failOn ?? config.fail_on;
  if (failOn !== 'never' && report.findings.some((f) => atOrAbove(f.severity, failOn))) return EXIT.findings;
  return EXIT.ok;
}

/**
 * Starts git on the diff of a range as soon as the range is known. A failure (of the range or of git) is
 * reported where the result is awaited, so an error in the config, read meanwhile, still comes first.
 */
function startReading(cwd: string, range: Promise<DiffRange>, parsing: ParseOptions, gitSaid: string[]): Promise<{ range: DiffRange; diff: AsyncIterable<FileDiff[]> }> {
  const reading = range.then((r) => ({ range: r, diff: startDiff(cwd, r, parsing, (text) => gitSaid.push(text)) }));
  reading.catch(() => undefined);
  return reading;
}

/**
 * Files that skip_paths or triggers.ignore_paths keep from every model are parsed for their counts and for the lines
 * the built-in checks may flag, not line by line: a regenerated lock file can be a million lines.
 */
function elisionOf(config: LoomConfig): ElideRule {
  const skipped = pathMatcher(config.skip_paths);
  const ignored = pathMatcher(config.triggers.ignore_paths);
  return { file: (path) => skipped(path) !== undefined || ignored(path) !== undefined, line: mayBeFlagged };
}

function selectPipelines(config: LoomConfig, names: string[] | undefined) {
  const enabled = config.pipelines.filter((p) => p.enabled);
  if (!names || names.length === 0) return enabled;
  const known = new Set(config.pipelines.map((p) => p.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new LoomError('usage', `unknown pipeline ${unknown.map((n) => `"${n}"`).join(', ')}; the config defines: ${[...known].join(', ')}`);
  return config.pipelines.filter((p) => names.includes(p.name));
}

/**
 * With no config file and no key for the default hosted endpoint, there is no model to call: that is the
 * out-of-the-box state, not an error, so loom runs its built-in checks and says how to connect one.
 */
function modelConnection(config: LoomConfig, configPath: string | undefined, env: ReviewDeps['env']): { ok: boolean; notice?: string } {
  if (configPath) return { ok: true };
  const model = config.models.default;
  if (!model || env[model.api_key_env] || isLocalBaseUrl(model.base_url)) return { ok: true };
  return {
    ok: false,
    notice:
      `No model is connected, so only the built-in checks ran. To add the AI review, set ${model.api_key_env} ` +
      '(and OPENAI_BASE_URL for any other OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 for Ollama), ' +
      'or run `loom init` to write .loom/config.yaml.',
  };
}



/**
 * Why units were split, and what avoids it: where a server named a window smaller than the one loom planned for,
 * that number (a context_window set too high); where it said it counted more tokens than loom, by how much and the
 * window that comes to; otherwise a tokenizer that counts more than loom's, unmeasured.
 */
function splitNotice(splits: number, preSplits: number, { smallerWindows, finerCounts }: Pick<PipelinesResult, 'smallerWindows' | 'finerCounts'>): string {
  const names = [...new Set([...Object.keys(smallerWindows), ...Object.keys(finerCounts)])];
  const refused = `${splits} time(s) the model refused a unit as too long for its context window`;
  if (names.length === 0) {
    return `${refused} (its tokenizer counts more than loom's); the unit was reviewed in smaller parts. Setting the model's context_window lower in the config avoids the extra calls.`;
  }
  const fixes = names.map((name) => {
    const smaller = smallerWindows[name];
    const finer = finerCounts[name];
    const said = [
      ...(smaller ? [`its server says its window is ${smaller.window} tokens, loom planned for ${smaller.planned}`] : []),
      ...(finer ? [`its server counted up to ${Math.round((finer.ratio - 1) * 100)}% more tokens than loom in the same prompt (its tokenizer is not the one loom counts with)`] : []),
    ];
    return `models.${name}: ${said.join(', and ')}: set models.${name}.context_window: ${finer?.window ?? smaller!.window}`;
  });
  const early = preSplits > 0 ? ` Once the server had said so, ${preSplits} more split(s) were made before sending.` : '';
  return `${refused}; the unit was reviewed in smaller parts.${early} ${fixes.join('; ')} to avoid the extra calls.`;
}

async function emit(report: Report, opts: ReviewOptions, deps: ReviewDeps): Promise<void> {
  const format = opts.format ?? (deps.stdoutIsTTY ? 'text' : 'markdown');
  deps.stdout(formats[format](report, { color: format === 'text' && deps.color }));
  for (const output of opts.outputs) {
    const path = isAbsolute(output.path) ? output.path : join(deps.cwd, output.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, formats[output.format](report, { color: false }));
    deps.log.info(`wrote ${output.format} report to ${output.path}`);
  }
}
