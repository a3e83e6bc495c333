// `node bench/context-limit.mjs [--quick] [--large] [--keep]` (or `npm run bench:limits`, which builds first): loom against a
// model server on 127.0.0.1 that refuses every request over its context window, at several windows, on generated
// and real-code pull requests. It checks what a review of any size with any window must keep true: no request is
// refused for its size (or, with a model family whose tokenizer loom does not have, every refused unit is split and
// reviewed), and every changed line is reviewed, summarised or skipped by rule, none lost.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { billedTokens, formatTokens, messageText, startFakeModel } from './fake-model.mjs';
import { LOOM_ENV, writeBenchConfig } from './loom-config.mjs';
import { realCodePr, removeRepo, singleFile } from './synthetic-repos.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
/** Adds the 120,000-line real-code pull request with non-ASCII comments (several minutes). */
const LARGE = args.has('--large');
const KEEP = args.has('--keep');

const WINDOWS = QUICK ? [4_000, 16_000] : [4_000, 8_000, 16_000, 32_000];
const MAX_TOKENS = 1_000;
const PIPELINES = ['review', 'security'];
/**
 * The model names loom is told, and the tokenizer the server counts with. gpt-4o: loom counts exactly as the server
 * does, so nothing may be refused. A Llama name: loom has no Llama tokenizer, counts with o200k and a safety
 * margin, and the server counts with cl100k, which splits most text (non-English above all) into more tokens than
 * o200k: a refusal is possible there, and must end in a split, not a lost unit. Last, gpt-4o behind a server that
 * allows only 80% of the configured window (a wrong context_window in the config): refusals are certain.
 */
const MODELS = [
  { model: 'gpt-4o', tokenizer: 'o200k_base', exact: true, enforced: 1 },
  { model: 'llama3.1:8b', tokenizer: 'cl100k_base', exact: false, enforced: 1 },
  // A config whose context_window is wrong: the server takes 80% of it. Units are refused, and must be split.
  { model: 'gpt-4o', tokenizer: 'o200k_base', exact: false, enforced: 0.8 },
];

const NON_ASCII_NOTE = ' // geprüft, 審査済み ✓ «ok»';
const thousands = (n) => Math.round(n).toLocaleString('en-US');

/** A server state per run: the window it enforces and what it saw. */
function limitKeeper(counters) {
  const run = { window: 0, count: undefined, served: 0, refused: 0, largest: 0 };
  const admit = (text) => {
    const body = JSON.parse(text);
    const content = body.messages.reduce((n, message) => n + run.count(messageText(message)), 0);
    const billed = billedTokens(content, body.messages.length, formatTokens(body, run.count));
    const maxTokens = body.max_tokens ?? body.max_completion_tokens ?? 0;
    const limit = run.window - maxTokens;
    if (billed > limit) {
      run.refused++;
      return {
        status: 400,
        // OpenAI's wording for a request with max_tokens (loom always sends one).
        json: {
          error: {
            message: `This model's maximum context length is ${run.window} tokens. However, you requested ${billed + maxTokens} tokens (${billed} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`,
            type: 'invalid_request_error',
            param: 'messages',
            code: 'context_length_exceeded',
          },
        },
      };
    }
    run.served++;
    run.largest = Math.max(run.largest, billed / limit);
    return undefined;
  };
  const start = (window, tokenizer) => Object.assign(run, { window, count: counters[tokenizer], served: 0, refused: 0, largest: 0 });
  return { admit, start, run };
}

function writeConfig(dir, baseUrl, model, window) {
  return writeBenchConfig(dir, `config-${window}.yaml`, { baseUrl, model, maxTokens: MAX_TOKENS, contextWindow: window, pipelines: PIPELINES });
}

function runLoom(cwd, config) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'loom.js'), 'review', '--base', 'main', '--dry-run', '--format', 'json', '--quiet', '--config', config], { cwd, env: LOOM_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

async function sweep(build, model, keeper) {
  const repo = build();
  const work = mkdtempSync(join(tmpdir(), 'loom-limits-cfg-'));
  let failed = 0;
  const notes = [];
  try {
    console.log(`\n### ${repo.name}\n`);
    console.log('| model (server counts with) | window in the config | calls answered | refused (loom split) | largest call / limit | changed lines: reviewed + summarised + skipped + not reviewed | failed units | result |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const { model: name, tokenizer, exact, enforced } of MODELS) {
      for (const window of WINDOWS) {
        keeper.start(Math.round(window * enforced), tokenizer);
        const run = await runLoom(repo.dir, writeConfig(work, model.url, name, window));
        model.take();
        const seen = { ...keeper.run };
        let report;
        try {
          report = JSON.parse(run.stdout);
        } catch {
          report = undefined;
        }
        const c = report?.coverage;
        const accounted = c && c.linesReviewed + c.linesSummarised + c.linesSkipped + c.linesNotReviewed === c.linesChanged;
        const failures = report?.failures?.length ?? Number.NaN;
        const split = Number(/(\d+) time\(s\) the model refused a unit/.exec((report?.notices ?? []).join('\n'))?.[1] ?? 0);
        // Where the server's window is smaller than loom's plan, a single line may fit loom's budget and not the
        // server's: it cannot be split, and is reported as failed with that reason. Nothing else may fail.
        const unsplittable = (report?.failures ?? []).filter((f) => /cannot be split further/.test(f.reason));
        const explained = exact ? failures === 0 && c?.linesNotReviewed === 0 : unsplittable.length === failures;
        const ok = run.code === 0 && accounted && explained && seen.largest <= 1 && (!exact || seen.refused === 0);
        if (failures > 0) notes.push(`${name}, window ${thousands(window)}: ${failures} failed unit(s)${unsplittable.length === failures ? ', each a single line longer than the window the server allows' : ''}; the first: ${report.failures[0].reason.slice(0, 300)}`);
        if (!ok) failed++;
        const lines = c ? `${thousands(c.linesReviewed)} + ${thousands(c.linesSummarised)} + ${thousands(c.linesSkipped)} + ${thousands(c.linesNotReviewed)} ${accounted ? '=' : '≠'} ${thousands(c.linesChanged)}` : `no report (exit ${run.code}): ${run.stderr.trim().split('\n').at(-1)?.slice(0, 200)}`;
        const server = `${tokenizer}${enforced < 1 ? `, window ${thousands(keeper.run.window)}` : ''}`;
        console.log(`| ${name} (${server}) | ${thousands(window)} | ${thousands(seen.served)} | ${seen.refused} (${split}) | ${seen.largest.toFixed(3)} | ${lines} | ${Number.isNaN(failures) ? '?' : failures} | ${ok ? 'PASS' : 'FAIL'} |`);
      }
    }
    for (const note of notes) console.log(`\n- ${note}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (KEEP) console.error(`kept ${repo.dir}`);
    else removeRepo(repo.dir);
  }
  return failed;
}

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'cli.cjs'))) {
    console.error('bench: dist/ is missing; run `npm run bench:limits` (it builds first) or `npx tsup`.');
    process.exitCode = 2;
    return;
  }
  const asText = { disallowedSpecial: new Set() };
  const o200k = (await import('gpt-tokenizer/encoding/o200k_base')).countTokens;
  const cl100k = (await import('gpt-tokenizer/encoding/cl100k_base')).countTokens;
  const keeper = limitKeeper({ o200k_base: (text) => o200k(text, asText), cl100k_base: (text) => cl100k(text, asText) });
  const model = await startFakeModel({ admit: keeper.admit });
  console.log(`## loom against a model that refuses requests over its window${QUICK ? ' (--quick)' : ''}\n`);
  console.log(`node ${process.version}; max_tokens ${MAX_TOKENS}, ${PIPELINES.length} pipelines, the server refuses a request billed over window - max_tokens (OpenAI's context_length_exceeded)`);
  const modules = join(ROOT, 'node_modules');
  const lines = QUICK ? 5_000 : 20_000;
  const scenarios = [
    () => singleFile(lines),
    ...(existsSync(modules)
      ? [
          () => realCodePr(modules, lines),
          () => realCodePr(modules, lines, { note: NON_ASCII_NOTE, name: 'real code with non-ASCII comments' }),
          ...(LARGE ? [() => realCodePr(modules, 115_000, { note: NON_ASCII_NOTE, name: 'real code with non-ASCII comments' })] : []),
        ]
      : []),
  ];
  let failed = 0;
  try {
    for (const build of scenarios) failed += await sweep(build, model, keeper);
  } finally {
    await model.close();
  }
  console.log(`
- calls answered / refused: requests the server took or refused for their size; in brackets, the splits loom's
  report counts. With gpt-4o the server counts as loom does (o200k), so nothing may be refused. With a Llama model
  loom counts o200k with its margin while the server counts cl100k. With the window the server enforces below the
  config's, refusals are certain: each refused unit must be reviewed in halves (each half a call of its own).
- largest call / limit: the largest request the server answered, billed as OpenAI bills it, over the window the
  server enforces minus max_tokens.
- changed lines: from loom's JSON report; the four must add up to the lines the pull request changes. Where the
  server counts as loom does, no unit may fail and no line be left not reviewed. Elsewhere a unit may fail only
  as a single line longer than the window the server allows (it cannot be split), and it is listed.`);
  if (failed > 0) {
    console.log(`\n${failed} run(s) FAILED`);
    process.exitCode = 1;
  }
}

await main();
