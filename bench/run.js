// loom's performance bench: `npm run bench` (builds first) or
// `node bench/run.js [--quick] [--keep] [--root DIR] [--baseline DIR]`.
// Builds synthetic pull requests in real git repositories, runs the built CLI against a local fake model, and
// prints measured figures next to the targets in design.md. With `--baseline DIR` (another loom checkout, built)
// both builds are measured in the same run, interleaved, and printed side by side: a before/after comparison
// on a shared, noisy machine. It is a report: it always exits 0.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { billedTokens, formatTokens, messageText, startFakeModel } from './fake-model.mjs';
import { LOOM_ENV, writeBenchConfig } from './loom-config.mjs';
import { git, largePr, lockFilePr, manySmall, realCodePr, removeRepo, singleFile } from './synthetic-repos.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const rootAt = argv.indexOf('--root');
/** The loom checkout whose build is measured: this one, or another given with `--root DIR` (e.g. to compare two builds). */
const ROOT = rootAt >= 0 && argv[rootAt + 1] ? resolve(argv[rootAt + 1]) : resolve(HERE, '..');
const baselineAt = argv.indexOf('--baseline');
/** A second loom checkout measured in the same run, for a side-by-side comparison (`--baseline DIR`). */
const BASELINE = baselineAt >= 0 && argv[baselineAt + 1] ? resolve(argv[baselineAt + 1]) : undefined;
/** Builds measured, set by snapshotCli(): the bench runs copies, so a rebuild of dist/ meanwhile cannot change what is measured. */
const BUILDS = [];
/** This build's copy for first runs (snapshotFirstRun). */
const FIRST_RUN = { dir: undefined, bin: undefined };
const args = new Set(argv);
const QUICK = args.has('--quick');
const KEEP = args.has('--keep');

const CONCURRENCY = 8;
const CONTEXT_WINDOW = 32_000;
const MAX_TOKENS = 2_000;
const PIPELINES = ['review', 'security'];
const DELAY_MS = QUICK ? 100 : 200;
/**
 * A second delayed run at a latency like a hosted model's (seconds per review call, not 200 ms): the same start-up
 * that is a whole round of a 200 ms model is a few percent of such a run. Both are printed; neither hides the other.
 */
const SLOW_DELAY_MS = QUICK ? 1_000 : 2_000;
/** Runs per timing, interleaved with the git diff they are compared with; the median is reported. */
const REPEAT = QUICK ? 1 : 3;
const COLD_RUNS = QUICK ? 7 : 15;
const TIME_BIN = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const DIFF_START = '<<<loom:untrusted diff>>>';
const DIFF_END = '<<<loom:end diff>>>';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const millis = (ms) => `${ms.toFixed(0)} ms`;
const thousands = (n) => Math.round(n).toLocaleString('en-US');
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');

function writeConfig(dir, baseUrl) {
  return writeBenchConfig(dir, 'bench-config.yaml', { baseUrl, maxTokens: MAX_TOKENS, contextWindow: CONTEXT_WINDOW, pipelines: PIPELINES, concurrency: CONCURRENCY });
}

/** Runs a built CLI; with `memory`, under /usr/bin/time -v (or a maxRSS wrapper) to get its peak RSS. */
function runLoom(bin, cwd, argv, { memory = false } = {}) {
  const loomArgs = [bin, ...argv];
  const [cmd, cmdArgs] = !memory
    ? [process.execPath, loomArgs]
    : TIME_BIN
      ? [TIME_BIN, ['-v', process.execPath, ...loomArgs]]
      : [process.execPath, [join(HERE, 'maxrss.mjs'), ...loomArgs]];
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(cmd, cmdArgs, { cwd, env: LOOM_ENV, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const stderr = Buffer.concat(err).toString('utf8');
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr) ?? /LOOM_BENCH_MAXRSS_KB=(\d+)/.exec(stderr);
      resolvePromise({ code, ms, stdout: Buffer.concat(out).toString('utf8'), stderr, maxRssMb: rss ? Number(rss[1]) / 1024 : undefined });
    });
  });
}

function timeGitDiff(dir, from, to) {
  const started = performance.now();
  const result = spawnSync('git', ['diff', '--no-color', '--find-renames', from, to], { cwd: dir, env: LOOM_ENV, maxBuffer: 1 << 30 });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`git diff failed: ${result.stderr}`);
  return { ms, text: result.stdout.toString('utf8') };
}

/** Prompt tokens per call (content of all messages) and the part of them that is the diff block. */
function promptTokens(bodies, count) {
  const calls = [];
  for (const raw of bodies) {
    const body = JSON.parse(raw);
    const texts = body.messages.map(messageText);
    const total = texts.reduce((n, t) => n + count(t), 0);
    let diff = 0;
    for (const text of texts) {
      const start = text.indexOf(DIFF_START);
      const end = text.indexOf(DIFF_END, start + 1);
      if (start >= 0 && end > start) diff += count(text.slice(start + DIFF_START.length, end));
    }
    const format = formatTokens(body, count);
    calls.push({ total, diff, sent: total + format, billed: billedTokens(total, body.messages.length, format) });
  }
  return calls;
}

/**
 * (a) for every build: loom with the model answering at once, REPEAT times, each round alternated with `git diff`
 * on the same range. Git and every build run once first (disk cache, git's pack index), and the builds alternate,
 * so drift hits all alike. Also gives the calls each build made and the diff's text; with `floor`, a run of
 * bench/floor.mjs each round, and with `firstRuns`, a first run of this build (runFirst) each round.
 */
async function timeNonModel(repo, loomArgs, model, { floor = false, firstRuns = false } = {}) {
  const mergeBase = git(repo.dir, 'merge-base', 'main', 'feature').trim();
  let diffText = '';
  const gitMs = [];
  const floorMs = [];
  const loomMs = BUILDS.map(() => []);
  const instantCalls = BUILDS.map(() => 0);
  const firstRunMs = [];
  model.setDelay(0);
  model.take();
  timeGitDiff(repo.dir, mergeBase, 'feature');
  for (const b of BUILDS) await runLoom(b.bin, repo.dir, loomArgs);
  model.take();
  for (let i = 0; i < REPEAT; i++) {
    const diff = timeGitDiff(repo.dir, mergeBase, 'feature');
    gitMs.push(diff.ms);
    diffText = diff.text;
    for (const [k, b] of BUILDS.entries()) {
      const run = await runLoom(b.bin, repo.dir, loomArgs);
      if (run.code !== 0) throw new Error(`${b.label}: loom exited ${run.code}: ${run.stderr.slice(0, 2000)}`);
      loomMs[k].push(run.ms);
      instantCalls[k] += model.take().length / REPEAT;
    }
    if (firstRuns) {
      const first = await runFirst(repo.dir, loomArgs);
      if (first.code !== 0) throw new Error(`first run: loom exited ${first.code}: ${first.stderr.slice(0, 2000)}`);
      firstRunMs.push(first.ms);
      model.take();
    }
    if (floor) {
      floorMs.push((await timeFloor(repo.dir, mergeBase, model)).ms);
      model.take();
    }
  }
  return { mergeBase, gitMs, floorMs, loomMs, firstRunMs, instantCalls, diffText };
}

/**
 * bench/floor.mjs on the same range, with this build's tokenizer: git, counting and sending alone (see there).
 * A reference only: if it cannot run, the row says so and the scenario's own figures still print.
 */
async function timeFloor(dir, mergeBase, model) {
  const build = BUILDS.at(-1);
  const run = await runLoom(join(HERE, 'floor.mjs'), dir, [join(build.dir, 'dist'), model.url, mergeBase, 'feature']);
  if (run.code === 0) return { ms: run.ms, calls: JSON.parse(run.stdout).requests };
  console.error(`bench/floor.mjs exited ${run.code}: ${run.stderr.slice(0, 2000)}`);
  return { ms: Number.NaN, calls: 0 };
}

/** Measures every build on one synthetic repository; returns one result per build, in BUILDS order. */
async function measureScenario(build, model, count) {
  const repo = build();
  const work = mkdtempSync(join(tmpdir(), 'loom-bench-cfg-'));
  try {
    const config = writeConfig(work, model.url);
    const loomArgs = ['review', '--base', 'main', '--dry-run', '--format', 'json', '--quiet', '--config', config];
    const { mergeBase, gitMs, floorMs, loomMs, firstRunMs, instantCalls, diffText } = await timeNonModel(repo, loomArgs, model, { floor: true, firstRuns: true });
    const diffTokens = count(diffText);
    const gitTime = median(gitMs);

    model.setDelay(DELAY_MS);
    const results = [];
    for (const [k, b] of BUILDS.entries()) {
      const slow = await runLoom(b.bin, repo.dir, loomArgs, { memory: true });
      const bodies = model.take();
      if (slow.code !== 0) throw new Error(`${b.label}: loom exited ${slow.code}: ${slow.stderr.slice(0, 2000)}`);
      const report = JSON.parse(slow.stdout);
      const calls = bodies.length;
      model.setDelay(SLOW_DELAY_MS);
      const slower = await runLoom(b.bin, repo.dir, loomArgs);
      const slowerCalls = model.take().length;
      if (slower.code !== 0) throw new Error(`${b.label}: loom exited ${slower.code}: ${slower.stderr.slice(0, 2000)}`);
      model.setDelay(DELAY_MS);
      const prompts = promptTokens(bodies, count);
      results.push({
        name: repo.name,
        label: b.label,
        calls,
        instantCalls: instantCalls[k],
        coverage: report.coverage,
        failures: report.failures?.length ?? 0,
        nonModel: median(loomMs[k]),
        firstRun: median(firstRunMs),
        git: gitTime,
        floor: floorMs.some(Number.isNaN) ? Number.NaN : median(floorMs),
        wall: slow.ms,
        critical: Math.ceil(calls / CONCURRENCY) * DELAY_MS,
        slowWall: slower.ms,
        slowCalls: slowerCalls,
        slowCritical: Math.ceil(slowerCalls / CONCURRENCY) * SLOW_DELAY_MS,
        prompt: prompts.reduce((n, c) => n + c.total, 0),
        sent: prompts.reduce((n, c) => n + c.sent, 0),
        counted: report.pipelines.reduce((n, p) => n + (p.countedPromptTokens ?? 0), 0),
        template: prompts.reduce((n, c) => n + (c.total - c.diff), 0),
        diffTokens,
        largest: Math.max(0, ...prompts.map((c) => c.billed)),
        memory: slow.maxRssMb,
      });
    }
    // The floor at the same delay: how close to the critical path a program that only reads, counts and sends gets.
    const floorDelayed = await timeFloor(repo.dir, mergeBase, model);
    model.take();
    for (const r of results) Object.assign(r, { floorWall: floorDelayed.ms, floorCritical: Math.ceil(floorDelayed.calls / CONCURRENCY) * DELAY_MS });
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (KEEP) console.error(`kept ${repo.dir}`);
    else removeRepo(repo.dir);
  }
}

/**
 * A pull request that rewrites a huge skipped file: its cost is reading it (git, then loom's parse of its counts and
 * flaggable lines), not tokens or calls, so only time, memory and the coverage of its lines are measured.
 */
async function measureSkippedFile(model) {
  const repo = lockFilePr(QUICK ? 100_000 : 500_000);
  const work = mkdtempSync(join(tmpdir(), 'loom-bench-cfg-'));
  try {
    const config = writeConfig(work, model.url);
    const loomArgs = ['review', '--base', 'main', '--dry-run', '--format', 'json', '--quiet', '--config', config];
    const { gitMs, loomMs } = await timeNonModel(repo, loomArgs, model);
    console.log(`\n### ${repo.name}\n`);
    console.log(`| measure${BUILDS.length > 1 ? ' | build' : ''} | loom | reference | result |`);
    console.log(`|---${BUILDS.length > 1 ? '|---' : ''}|---|---|---|`);
    for (const [k, b] of BUILDS.entries()) {
      const run = await runLoom(b.bin, repo.dir, loomArgs, { memory: true });
      if (run.code !== 0) throw new Error(`${b.label}: loom exited ${run.code}: ${run.stderr.slice(0, 2000)}`);
      const cov = JSON.parse(run.stdout).coverage;
      const label = BUILDS.length > 1 ? ` | ${b.label}` : '';
      const limit = 3 * median(gitMs) + 300;
      console.log(`| non-model time${label} | ${seconds(median(loomMs[k]))} | 3x git diff ${seconds(median(gitMs))} + 0.3 s = ${seconds(limit)} | ${verdict(median(loomMs[k]) <= limit)} |`);
      console.log(`| peak memory${label} | ${run.maxRssMb === undefined ? 'n/a' : `${run.maxRssMb.toFixed(0)} MB`} | < 300 MB | ${run.maxRssMb === undefined ? 'n/a' : verdict(run.maxRssMb < 300)} |`);
      console.log(`| lines counted as skipped${label} | ${thousands(cov.linesSkipped)} of ${thousands(cov.linesChanged)} changed | ${thousands(2 * repo.lines)} lock file lines | ${verdict(cov.linesSkipped === 2 * repo.lines)} |`);
    }
    model.take();
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (KEEP) console.error(`kept ${repo.dir}`);
    else removeRepo(repo.dir);
  }
}

function coldStart() {
  const run = (args) => {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { env: LOOM_ENV, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}`);
    return performance.now() - started;
  };
  run(['-e', '0']);
  for (const b of BUILDS) run([b.bin, '--version']);
  const node = [];
  const loom = BUILDS.map(() => []);
  for (let i = 0; i < COLD_RUNS; i++) {
    node.push(run(['-e', '0']));
    BUILDS.forEach((b, k) => loom[k].push(run([b.bin, '--version'])));
  }
  return BUILDS.map((b, k) => ({ label: b.label, node: median(node), loom: median(loom[k]) }));
}

function printScenario(s) {
  const limit = 3 * s.git + 300;
  const wallRatio = s.wall / s.critical;
  const modelPhase = (s.wall - s.nonModel) / s.critical;
  const pipelines = PIPELINES.length;
  const raw = s.prompt / (s.diffTokens * pipelines);
  const net = (s.prompt - s.template) / (s.diffTokens * pipelines);
  const budget = CONTEXT_WINDOW - MAX_TOKENS;
  const cov = s.coverage;
  console.log(`\n### ${s.name}${BUILDS.length > 1 ? ` — ${s.label}` : ''}`);
  console.log(
    `${s.calls} model calls${s.instantCalls === s.calls ? '' : ` (${s.instantCalls} with the instant model: the plan is not deterministic!)`} (${pipelines} pipelines, concurrency ${CONCURRENCY}); coverage: ${cov ? `${thousands(cov.linesReviewed)} of ${thousands(cov.linesChanged)} changed lines reviewed, ${cov.filesReviewed} of ${cov.filesChanged} files, ${cov.filesSkipped.length} skipped` : 'n/a'}${s.failures ? `; ${s.failures} failed unit(s)` : ''}\n`,
  );
  console.log('| measure | loom | reference | ratio | target | result |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| (a) non-model time | ${seconds(s.nonModel)} | git diff ${seconds(s.git)} | ${(s.nonModel / s.git).toFixed(2)}x | ≤ 3x git diff + 0.3 s = ${seconds(limit)} | ${verdict(s.nonModel <= limit)} |`);
  if (s.label === BUILDS.at(-1).label) {
    console.log(`| (a) the same, first run after install (no compile cache yet) | ${seconds(s.firstRun)} | git diff ${seconds(s.git)} | ${(s.firstRun / s.git).toFixed(2)}x | ≤ 3x git diff + 0.3 s = ${seconds(limit)} | ${verdict(s.firstRun <= limit)} |`);
  }
  if (Number.isNaN(s.floor)) console.log(`| (a) floor: git diff, counting and sending alone | n/a (bench/floor.mjs failed, see stderr) | | | for reference | |`);
  else console.log(`| (a) floor: git diff, counting and sending alone | ${seconds(s.floor)} | git diff ${seconds(s.git)} | ${(s.floor / s.git).toFixed(2)}x; loom ${(s.nonModel / s.floor).toFixed(2)}x the floor | for reference | |`);
  console.log(
    `| (b) wall time, model delay ${DELAY_MS} ms | ${seconds(s.wall)} | critical path ceil(${s.calls}/${CONCURRENCY}) x ${DELAY_MS} ms = ${seconds(s.critical)} | ${wallRatio.toFixed(2)} (model phase alone ${modelPhase.toFixed(2)}) | ≤ 1.15 | ${verdict(wallRatio <= 1.15)} |`,
  );
  if (!Number.isNaN(s.floorWall)) {
    console.log(
      `| (b) floor at ${DELAY_MS} ms: bench/floor.mjs | ${seconds(s.floorWall)} | its critical path ${seconds(s.floorCritical)} (its own ${s.floorCritical / DELAY_MS} round(s) of ${CONCURRENCY}) | ${(s.floorWall / s.floorCritical).toFixed(2)} | for reference | |`,
    );
  }
  const slowRatio = s.slowWall / s.slowCritical;
  console.log(
    `| (b) wall time, model delay ${SLOW_DELAY_MS} ms | ${seconds(s.slowWall)} | critical path ceil(${s.slowCalls}/${CONCURRENCY}) x ${SLOW_DELAY_MS} ms = ${seconds(s.slowCritical)} | ${slowRatio.toFixed(2)} | ≤ 1.15 | ${verdict(slowRatio <= 1.15)} |`,
  );
  // Wall time is the critical path plus what does not shrink with the model's speed (start-up to the first call,
  // the gaps a round leaves, the report): (b) holds once 15% of the critical path covers that. Taken from both runs.
  const overhead = Math.max(s.wall - s.critical, s.slowWall - s.slowCritical);
  const rounds = Math.min(s.critical / DELAY_MS, s.slowCritical / SLOW_DELAY_MS);
  const breakEven = overhead / (0.15 * rounds);
  console.log(
    `| (b) holds for a model slower than | ${millis(breakEven)} per call | wall - critical path ${seconds(overhead)} (the larger of the two runs), ${rounds} round(s) | | for reference | |`,
  );
  console.log(
    `| (c) prompt tokens | ${thousands(s.prompt)} (template ${thousands(s.template)}) | diff ${thousands(s.diffTokens)} x ${pipelines} pipelines | ${raw.toFixed(2)} raw, ${net.toFixed(2)} without the per-call template | ≤ 1.3 + template | ${verdict(net <= 1.3)} |`,
  );
  console.log(`| loom's own count of its prompt tokens (report) | ${thousands(s.counted)} | the server received ${thousands(s.sent)} (messages and response format) | ${(s.counted / s.sent).toFixed(3)} | for reference | |`);
  console.log(`| largest call | ${thousands(s.largest)} tokens | window ${thousands(CONTEXT_WINDOW)} - max_tokens ${thousands(MAX_TOKENS)} = ${thousands(budget)} | ${(s.largest / budget).toFixed(2)} | ≤ 1 | ${verdict(s.largest <= budget)} |`);
  console.log(`| (d) peak memory | ${s.memory === undefined ? 'n/a' : `${s.memory.toFixed(0)} MB`} | | | < 300 MB | ${s.memory === undefined ? 'n/a' : verdict(s.memory < 300)} |`);
}

/** Copies what a published package holds (bin, dist without source maps, templates, package.json) to a temp dir. */
function copyBuild(root) {
  const dir = mkdtempSync(join(tmpdir(), 'loom-bench-cli-'));
  for (const entry of ['package.json', 'bin', 'templates']) cpSync(join(root, entry), join(dir, entry), { recursive: true });
  // Without the compile cache of the build's own runs: each copy writes its own at its first run (a warm-up).
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') && basename(src) !== '.cache' });
  return { dir, bin: join(dir, binOf(root)) };
}

function snapshotCli(root, label) {
  BUILDS.push({ label, root, ...copyBuild(root) });
}

/**
 * A second copy of this build whose compile cache (src/compile-cache.ts) is removed before each of its runs: a first
 * run after install, as on a CI machine that installs loom afresh for each job. The other copy keeps the cache its
 * first run (the first scenario's warm-up) wrote, as on a developer's machine or a CI that caches node_modules.
 */
function snapshotFirstRun(root) {
  Object.assign(FIRST_RUN, copyBuild(root));
}

/** A first run of FIRST_RUN's copy: its compile cache removed, so it compiles everything and writes the cache. */
function runFirst(cwd, argv) {
  rmSync(join(FIRST_RUN.dir, 'dist', '.cache'), { recursive: true, force: true });
  return runLoom(FIRST_RUN.bin, cwd, argv);
}

/** The package's bin file (bin/loom.js, bin/loom.cjs for a while: a baseline may be from then). */
function binOf(root) {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.loom;
}

async function main() {
  for (const root of [BASELINE, ROOT]) {
    if (root && !['cli.cjs', 'cli.js'].some((file) => existsSync(join(root, 'dist', file)))) {
      console.error(`bench: ${root}/dist/ is missing; run \`npm run bench\` (it builds first) or \`npx tsup\` there.`);
      return;
    }
  }
  try {
    if (BASELINE) snapshotCli(BASELINE, `baseline ${BASELINE}`);
    snapshotCli(ROOT, BASELINE ? `this build ${ROOT}` : ROOT);
    snapshotFirstRun(ROOT);
    await report();
  } finally {
    for (const { dir } of [...BUILDS, FIRST_RUN]) if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

async function report() {
  const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
  const asText = { disallowedSpecial: new Set() };
  const count = (text) => countTokens(text, asText);
  const gitVersion = spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`## loom bench${QUICK ? ' (--quick)' : ''}\n`);
  console.log(`node ${process.version}, ${gitVersion}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}; model gpt-4o, context_window ${CONTEXT_WINDOW}, max_tokens ${MAX_TOKENS}, cache off`);

  const model = await startFakeModel();
  // Real code comes from the packages npm installed for this checkout (the lockfile fixes which).
  const modules = join(HERE, '..', 'node_modules');
  // Two sizes: a pull request of a size teams do send (its time is mostly start-up and code not yet optimized), and
  // one of 100,000+ lines.
  const realCode = existsSync(modules) ? [() => realCodePr(modules, QUICK ? 5_000 : 20_000), () => realCodePr(modules, QUICK ? 30_000 : 115_000)] : [];
  const scenarios = QUICK
    ? [() => largePr(0.25), () => singleFile(5_000), () => manySmall(200), ...realCode]
    : [() => largePr(1), () => singleFile(20_000), () => manySmall(500), ...realCode];
  try {
    for (const build of scenarios) {
      try {
        for (const result of await measureScenario(build, model, count)) printScenario(result);
      } catch (error) {
        console.log(`\nscenario failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    try {
      await measureSkippedFile(model);
    } catch (error) {
      console.log(`\nscenario failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  } finally {
    await model.close();
  }

  console.log('\n### start-up\n');
  console.log(`| measure${BUILDS.length > 1 ? ' | build' : ''} | loom | reference | ratio | target | result |`);
  console.log(`|---${BUILDS.length > 1 ? '|---' : ''}|---|---|---|---|---|`);
  for (const cold of coldStart()) {
    const ratio = cold.loom / cold.node;
    console.log(`| (e) \`loom --version\` cold start${BUILDS.length > 1 ? ` | ${cold.label}` : ''} | ${millis(cold.loom)} | \`node -e 0\` ${millis(cold.node)} | ${ratio.toFixed(2)}x | ≤ 1.6x | ${verdict(ratio <= 1.6)} |`);
  }

  console.log(`
How it is measured (all in this run, on this machine):
- (a) non-model time: loom's wall time with the fake model answering at once (delay 0): start-up, git, parsing,
  packing, token counting, prompts, HTTP and the report; everything but waiting on a model. Median of ${REPEAT}
  run(s), each alternated with \`git diff --no-color --find-renames <merge-base> feature\` (output read through a pipe).
- loom compiles its chunks with V8's code cache, written beside them by a build's first run (src/compile-cache.ts);
  every figure but "first run after install" is of later runs, with the cache the first scenario's warm-up wrote.
  "first run after install": the same review with that cache removed before each run (it compiles everything and
  writes the cache as it exits), as on a CI machine that installs loom afresh for each job.
- (a) floor: bench/floor.mjs on the same range, alternated with the runs above: node starts, reads the same
  \`git diff\` through a pipe, counts its tokens in a worker thread with this build's tokenizer and posts it in parts
  of 100 KB once per pipeline, eight at a time, as the parts come. Nothing else (no parsing, masking, packing,
  rendering or report): the least a review that reads, counts and sends the whole diff from node costs here.
- (b) the same review with every answer delayed ${DELAY_MS} ms, then ${SLOW_DELAY_MS} ms; calls = requests the fake server
  received. "model phase alone" subtracts the non-model time from (a): how close the limiter keeps to
  ceil(calls/${CONCURRENCY}) x delay. The ratio cannot be below 1 + (time to the first call) / critical path: with one
  round of 200 ms calls, 1.15 leaves 30 ms to start node, read git and build a prompt, about what \`node -e 0\`
  alone takes (e). "(b) floor": bench/floor.mjs at the same delay, against the critical path of its own requests
  (100 KB parts, sent as they are read): how close a program that does nothing but read, count and send gets.
  "holds for a model slower than": what of each run's wall time is not the critical path (start-up to the first
  call, the gaps between rounds, the report) does not shrink with the model's latency; (b) holds for every latency
  at which 15% of the critical path covers it: (wall - critical path) / (0.15 x rounds).
- (c) prompt tokens: o200k tokens of every message the server received. The per-call template is everything
  outside the ${DIFF_START} ... ${DIFF_END} block of each call; diff tokens: o200k tokens of the git diff text.
- loom's own count: the countedPromptTokens of its JSON report (each answered call's unit and template, by loom's
  tokenizer), against o200k tokens of the messages and response format the server received: what a run reports it
  sent, checked at scale.
- largest call: its prompt tokens plus chat framing (3 per message + 3) and its response_format (the findings
  schema) against the input the model allows.
- (d) peak RSS of the loom process in the delayed run (${TIME_BIN ? '/usr/bin/time -v' : 'process.resourceUsage().maxRSS via bench/maxrss.mjs'}).
- (e) median of ${COLD_RUNS} alternating runs of each, after one warm-up run each.
- The real-code pull requests are made of the JavaScript and TypeScript files npm installed for this checkout
  (bench/synthetic-repos.mjs, realCodePr): the large one's diff is about twice the bytes of the generated 2,000-file
  one for a similar number of changed lines, and git computes it faster, which makes (a) a harder target there.`);
}

await main().catch((error) => console.error(`bench failed: ${error instanceof Error ? error.stack : String(error)}`));
process.exitCode = 0;
