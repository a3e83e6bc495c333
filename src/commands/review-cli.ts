import { handleError } from '../cli-errors.ts';
import { readFileSync } from 'node:fs';
import { LoomError } from '../errors.ts';
import { describeCi, detectCi } from '../platforms/detect.ts';
import { platformFactories } from '../platforms/index.ts';
import type { CiContext, PlatformId } from '../platforms/types.ts';
import { createLogger } from '../log.ts';
import { createProgress } from '../progress.ts';
import type { FormatId } from '../report/formats/index.ts';
import { runReview, type ReviewOptions } from './review.ts';
import { nodeFetch } from '../net/node-fetch.ts';
import { processStopSignals } from '../review/stop.ts';

interface CliOptions {
  base?: string;
  head?: string;
  config?: string;
  pipeline: string[];
  uncommitted: boolean;
  dryRun: boolean;
  cache: boolean;
  format?: FormatId;
  output: { format: FormatId; path: string }[];
  failOn?: ReviewOptions['failOn'];
  concurrency?: number;
  platform: string;
  quiet: boolean;
  verbose: boolean;
}

/** Builds the real dependencies from the process; everything below takes them as parameters. */
export async function reviewFromCli(cli: CliOptions, version: string): Promise<number> {
  const env = process.env;
  const log = createLogger({ level: cli.quiet ? 'quiet' : cli.verbose ? 'verbose' : 'normal' });
  const inCi = Boolean(env.CI) && env.CI !== 'false';
  const progress = await createProgress({
    mode: cli.quiet ? 'silent' : process.stderr.isTTY && !inCi && !cli.verbose ? 'spinner' : 'plain',
    write: (line) => process.stderr.write(line),
  });
  const color = env.FORCE_COLOR !== undefined ? env.FORCE_COLOR !== '0' : Boolean(process.stdout.isTTY) && env.NO_COLOR === undefined;
  try {
    const ci = cli.platform === 'none' ? undefined : detectCi(env, readIfExists);
    if (ci) log.debug(`CI: ${describeCi(ci)}`);
    if (ci && !ci.isPullRequest && !cli.base && !cli.dryRun) {
      progress.stop();
      log.info(`loom: ${ci.notPullRequestReason ?? 'not a pull request build'}; nothing to review. (Pass --base to review this build anyway.)`);
      return 0;
    }
    if (cli.platform !== 'auto' && cli.platform !== 'none' && !cli.dryRun && !ci?.isPullRequest) {
      throw new LoomError('usage', `--platform ${cli.platform}: no pull request build found in the environment; run loom in the CI job of a pull request, or use --dry-run`);
    }
    const prCi = ci?.isPullRequest ? { ...ci, ...(cli.platform !== 'auto' && cli.platform !== 'none' ? { platform: cli.platform as PlatformId } : {}) } : undefined;
    const target =
      prCi && !cli.dryRun
        ? {
            ci: prCi,
            // loom's own HTTP client rather than the global fetch: undici's first request compiles its parser, and
            // the process waits for that compile before it can exit (~80 ms on every run that posts).
            createPlatform: async (c: CiContext) => (await platformFactories[c.platform]())({ ci: c, token: c.token ?? '', log, fetch: nodeFetch }),
          }
        : undefined;
    return await runReview(
      {
        ...(cli.base ?? prCi?.baseRef ? { base: cli.base ?? prCi?.baseRef } : {}),
        ...(cli.head ?? prCi?.headSha ? { head: cli.head ?? prCi?.headSha } : {}),
        ...(cli.config ? { config: cli.config } : {}),
        pipelines: cli.pipeline,
        dryRun: cli.dryRun,
        noCache: !cli.cache,
        ...(cli.format ? { format: cli.format } : {}),
        outputs: cli.output,
        ...(cli.failOn ? { failOn: cli.failOn } : {}),
        ...(cli.concurrency ? { concurrency: cli.concurrency } : {}),
        uncommitted: cli.uncommitted,
      },
      { cwd: process.cwd(), env, stdout: (s) => process.stdout.write(s), log, progress, stdoutIsTTY: Boolean(process.stdout.isTTY), color, version, trustBaseOnly: ci?.eventName === 'pull_request_target', onStop: processStopSignals, ...(target ? { target } : {}) },
    );
  } catch (error) {
    progress.stop();
    return handleError(error, (s) => process.stderr.write(log.redact(s)));
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
