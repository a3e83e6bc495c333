import { Command, InvalidArgumentError, Option } from 'commander';
import { VERSION } from './version.ts';

// Only commander is loaded up front; each command imports its own modules, so `loom --help` and usage errors stay fast.

const FORMATS = ['text', 'markdown', 'json', 'sarif', 'codequality'] as const;
const FAIL_ON = ['blocker', 'warning', 'info', 'never'] as const;
const PLATFORMS = ['auto', 'none', 'github', 'gitlab', 'azure', 'bitbucket', 'gitea'] as const;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

function outputSpec(value: string, previous: { format: string; path: string }[]) {
  const match = /^([a-z]+)=(.+)$/.exec(value);
  if (!match || !(FORMATS as readonly string[]).includes(match[1]!)) {
    throw new InvalidArgumentError(`expected FORMAT=PATH with FORMAT one of ${FORMATS.join(', ')}, e.g. sarif=loom.sarif`);
  }
  return [...previous, { format: match[1]!, path: match[2]! }];
}

async function run(action: () => Promise<number>): Promise<void> {
  const { guardCommand, handleError } = await import('./cli-errors.ts');
  const finished = guardCommand(process, (code) => process.exit(code));
  let code: number;
  try {
    code = await action();
  } catch (error) {
    code = handleError(error);
  } finally {
    finished();
  }
  // Exit as soon as the output is flushed: idle keep-alive sockets of the HTTP clients would hold the process
  // open for a while otherwise, and that is time a CI job pays for nothing.
  process.stdout.write('', () => process.exit(code));
}

const program = new Command('loom')
  .description('AI code review for CI: reviews the current branch or pull request with any OpenAI-compatible model')
  .version(VERSION, '-V, --version')
  .showHelpAfterError('(run loom --help for usage)')
  .configureOutput({ outputError: (text, write) => write(text) });
program.exitOverride((error) => {
  // commander's own usage errors exit 1 by default; the contract says 2.
  process.exit(error.exitCode === 0 ? 0 : 2);
});

program
  .command('review')
  .description('review the diff between the merge base of --base and --head')
  .option('--base <ref>', 'base branch or commit (default: the CI target branch, else the remote default branch)')
  .option('--head <ref>', 'head commit (default: HEAD)')
  .option('--config <path>', 'config file (default: .loom/config.yaml)')
  .option('--pipeline <name>', 'run only this pipeline (repeatable)', collect, [])
  .option('--uncommitted', 'also review staged, unstaged and untracked changes in the working tree', false)
  .option('--dry-run', 'print the report; never post to a platform', false)
  .option('--no-cache', 'ask the model again even for prompts it has answered before (see cache in the config)')
  .addOption(new Option('--format <format>', 'format printed to stdout (default: text on a terminal, markdown otherwise)').choices(FORMATS))
  .option('--output <format=path>', 'also write a format to a file (repeatable), e.g. sarif=loom.sarif', outputSpec, [])
  .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity (default: config fail_on, else never)').choices(FAIL_ON))
  .option('--concurrency <n>', 'model calls in flight at once (default: config concurrency, else 4)', positiveInt)
  .addOption(new Option('--platform <id>', 'where to post (default: detected from the CI environment)').choices(PLATFORMS).default('auto'))
  .option('-q, --quiet', 'no progress or info on stderr', false)
  .option('-v, --verbose', 'debug output on stderr', false)
  .action((opts) => run(async () => (await import('./commands/review-cli.ts')).reviewFromCli(opts, VERSION)));

const config = program.command('config').description('validate the config file or print its JSON Schema');
config
  .command('check')
  .argument('[path]', 'config file (default: .loom/config.yaml)')
  .description('report every problem as file:line:col: message; exit 2 when invalid')
  .action((path?: string) =>
    run(async () =>
      (await import('./commands/config-check.ts')).runConfigCheck({
        ...(path ? { path } : {}),
        cwd: process.cwd(),
        env: process.env,
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
      }),
    ),
  );
config
  .command('schema')
  .description('print the JSON Schema of .loom/config.yaml (for editors)')
  .action(() => run(async () => (await import('./commands/config-schema.ts')).runConfigSchema({ stdout: (s) => process.stdout.write(s) })));

program
  .command('init')
  .description('write a starter .loom/config.yaml and prompts, and print the CI snippet for this repository')
  .option('--force', 'overwrite existing files', false)
  .action((opts: { force: boolean }) =>
    run(async () =>
      (await import('./commands/init.ts')).runInit({
        cwd: process.cwd(),
        env: process.env,
        force: opts.force,
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
      }),
    ),
  );

// Commander's own errors exit in exitOverride and each action's in run(): nothing is left to reject here.
void program.parseAsync(process.argv);
