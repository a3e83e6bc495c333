import { handleError } from '../cli-errors.ts';
import { LoomError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { createProgress } from '../progress.ts';
import type { FormatId } from '../report/formats/index.ts';
import { runReview, type ReviewOptions } from './review.ts';

interface CliOptions {
  base?: string;
  head?: string;
  config?: string;
  pipeline: string[];
  uncommitted: boolean;
  dryRun: boolean;
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
  if (!['auto', 'none'].includes(cli.platform) && !cli.dryRun) {
    // TODO(#3): platform adapters. Until they land, saying "posted" while printing would be a lie.
    return handleError(new LoomError('usage', `posting to ${cli.platform} is not available in loom ${version} yet; use --dry-run (and --output FORMAT=PATH) to get the report`));
  }
  const log = createLogger({ level: cli.quiet ? 'quiet' : cli.verbose ? 'verbose' : 'normal' });
  const inCi = Boolean(env.CI) && env.CI !== 'false';
  const progress = await createProgress({
    mode: cli.quiet ? 'silent' : process.stderr.isTTY && !inCi && !cli.verbose ? 'spinner' : 'plain',
    write: (line) => process.stderr.write(line),
  });
  const color = env.FORCE_COLOR !== undefined ? env.FORCE_COLOR !== '0' : Boolean(process.stdout.isTTY) && env.NO_COLOR === undefined;
  try {
    return await runReview(
      {
        ...(cli.base ? { base: cli.base } : {}),
        ...(cli.head ? { head: cli.head } : {}),
        ...(cli.config ? { config: cli.config } : {}),
        pipelines: cli.pipeline,
        dryRun: cli.dryRun,
        ...(cli.format ? { format: cli.format } : {}),
        outputs: cli.output,
        ...(cli.failOn ? { failOn: cli.failOn } : {}),
        ...(cli.concurrency ? { concurrency: cli.concurrency } : {}),
        uncommitted: cli.uncommitted,
      },
      { cwd: process.cwd(), env, stdout: (s) => process.stdout.write(s), log, progress, stdoutIsTTY: Boolean(process.stdout.isTTY), color, version },
    );
  } catch (error) {
    progress.stop();
    return handleError(error, (s) => process.stderr.write(log.redact(s)));
  }
}
