import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LoomError } from '../errors.ts';

/**
 * The only place loom runs git. Every call pins the settings that change what git prints, so a user's
 * config (quotePath, color.ui=always, diff.noprefix, diff.external, diff.submodule=log, ...) cannot
 * change the text the parser reads.
 */
const GLOBAL_FLAGS = [
  '-c', 'core.quotePath=false',
  '-c', 'color.ui=never',
  '-c', 'diff.suppressBlankEmpty=false',
  // Pathspecs we pass are file names from git itself, never globs ('a*.ts' is a valid file name).
  '--literal-pathspecs',
];

/** Flags for every `git diff` loom reads: fixed prefixes and format whatever the user's config says. */
export const DIFF_FLAGS = [
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--no-relative',
  '--submodule=short',
  '--find-renames',
  '-U3',
  '--src-prefix=a/',
  '--dst-prefix=b/',
] as const;

export interface GitRunOptions {
  /** Extra environment for this call (merged over the inherited one). */
  env?: Record<string, string>;
  input?: string;
  /** Keep stdout byte-exact (diff text); otherwise the trailing newline is trimmed. */
  raw?: boolean;
}

export interface GitResult {
  ok: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
}

// A 100,000-line diff is a few MB; the cap only exists to fail clearly on a runaway output.
const MAX_BUFFER = 1024 * 1024 * 1024;

/**
 * Runs git and returns the outcome without throwing on a non-zero exit (callers decide what failure means).
 * Plain child_process rather than execa: loom runs git a handful of times per review, and loading execa cost
 * more start-up time than all those calls together.
 */
export function tryGit(cwd: string, args: readonly string[], opts: GitRunOptions = {}): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'git',
      [...GLOBAL_FLAGS, ...args],
      {
        cwd,
        env: gitEnv(opts.env),
        maxBuffer: MAX_BUFFER,
        encoding: 'utf8',
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (error && typeof code === 'string') {
          if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
            reject(new LoomError('git-failed', `git ${args[0] ?? ''} printed more than ${MAX_BUFFER / 1024 / 1024} MB; the diff is too large to read`));
            return;
          }
          reject(notRun(cwd, error as NodeJS.ErrnoException));
          return;
        }
        const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        const out = opts.raw ? stdout : stdout.replace(/\r?\n$/, '');
        resolvePromise({ ok: exitCode === 0, exitCode, stdout: out, stderr: stderr.trim() });
      },
    );
    // git may exit without reading its input (cat-file outside a repository): its exit code says what went wrong,
    // and the EPIPE from writing to it must not crash the process.
    child.stdin?.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/**
 * Starts git with its output as a stream, for output too large to wait for (the diff). The caller reads stdout
 * and stderr and checks the exit code; `error` is what to throw when the process could not start at all.
 */
export function spawnGit(cwd: string, args: readonly string[], env?: Record<string, string>): { child: ChildProcessWithoutNullStreams; started: Promise<void> } {
  const child = spawn('git', [...GLOBAL_FLAGS, ...args], { cwd, env: gitEnv(env), windowsHide: true });
  child.stdin.end();
  const started = new Promise<void>((resolvePromise, reject) => {
    child.once('spawn', () => resolvePromise());
    child.once('error', (error) => reject(notRun(cwd, error)));
  });
  return { child, started };
}

// No prompt for credentials in CI: a fetch that needs them must fail, not hang the job.
function gitEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', ...extra };
}

function notRun(cwd: string, error: NodeJS.ErrnoException): LoomError {
  // Node reports a missing cwd and a missing git binary with the same ENOENT.
  if (error.code === 'ENOENT') {
    return existsSync(cwd)
      ? new LoomError('git-failed', 'git was not found on PATH. Install git (loom reads the diff from the local checkout).')
      : new LoomError('git-failed', `not a git repository: ${cwd} does not exist. Run loom inside the repository you want reviewed.`);
  }
  return new LoomError('git-failed', `could not run git in ${cwd}: ${error.message.split('\n')[0]}`);
}

/** Runs git and returns stdout; a non-zero exit becomes a LoomError quoting git's own message. */
export async function git(cwd: string, args: readonly string[], opts: GitRunOptions = {}): Promise<string> {
  const result = await tryGit(cwd, args, opts);
  if (!result.ok) {
    throw new LoomError('git-failed', `git ${args.join(' ')} failed (exit ${result.exitCode}): ${result.stderr || 'no output'}`);
  }
  return result.stdout;
}

/** The repository's top-level directory; fails with a message that says what to do when cwd is not in one. */
export async function repoRoot(cwd: string): Promise<string> {
  const result = await tryGit(cwd, ['rev-parse', '--show-toplevel']);
  if (result.ok && result.stdout) return result.stdout;
  if (/dubious ownership/i.test(result.stderr)) {
    throw new LoomError(
      'git-failed',
      `git refuses to read ${cwd} because the directory belongs to another user. ` +
        `Run: git config --global --add safe.directory '${cwd}' (common in CI containers).`,
    );
  }
  throw new LoomError('git-failed', `not a git repository: ${cwd}. Run loom inside the repository you want reviewed.`);
}

/**
 * The commit a ref names, or undefined when it does not exist locally. Lookups asked for in the same turn of the
 * event loop share one `git cat-file --batch-check`: resolving a range needs half a dozen of them, and each git
 * process costs the main thread 5-10 ms to start (more as the heap grows), on the way to the first model call.
 */
export function resolveCommit(cwd: string, ref: string): Promise<string | undefined> {
  // A ref starting with '-' would be read as an option by the other git commands loom runs with it; no branch or
  // sha starts with one. A line break would end the name early in cat-file's input.
  if (ref === '' || ref.startsWith('-') || /[\r\n]/.test(ref)) return Promise.resolve(undefined);
  let batch = lookups.get(cwd);
  if (!batch) {
    const created: RefBatch = {
      refs: [],
      // Taken off the table as it starts: a lookup asked for later (after a fetch, say) starts a batch of its own.
      result: Promise.resolve().then(() => {
        lookups.delete(cwd);
        return lookUp(cwd, created.refs);
      }),
    };
    batch = created;
    lookups.set(cwd, batch);
  }
  const index = batch.refs.push(ref) - 1;
  return batch.result.then((shas) => shas[index]);
}

interface RefBatch {
  refs: string[];
  result: Promise<(string | undefined)[]>;
}

const lookups = new Map<string, RefBatch>();

async function lookUp(cwd: string, refs: readonly string[]): Promise<(string | undefined)[]> {
  const result = await tryGit(cwd, ['cat-file', '--batch-check'], { input: refs.map((ref) => `${ref}^{commit}\n`).join('') });
  // One line per name, in order: "<sha> commit <size>", or "<name> missing" / "<name> ambiguous".
  const lines = result.ok ? result.stdout.split('\n') : [];
  return refs.map((_, i) => {
    const [sha, type] = (lines[i] ?? '').split(' ');
    return type === 'commit' && sha ? sha : undefined;
  });
}

export async function mergeBaseOf(cwd: string, a: string, b: string): Promise<string | undefined> {
  const result = await tryGit(cwd, ['merge-base', a, b]);
  return result.ok && result.stdout ? result.stdout : undefined;
}

export async function isShallow(cwd: string): Promise<boolean> {
  const result = await tryGit(cwd, ['rev-parse', '--is-shallow-repository']);
  return result.ok && result.stdout === 'true';
}

export async function hasRemote(cwd: string, name: string): Promise<boolean> {
  const result = await tryGit(cwd, ['config', '--get', `remote.${name}.url`]);
  return result.ok && result.stdout !== '';
}
