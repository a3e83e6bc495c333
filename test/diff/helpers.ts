import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/log.ts';
import type { FileDiff } from '../../src/diff/types.ts';
import { parseDiff } from '../../src/diff/parse.ts';
import { readDiff } from '../../src/diff/read.ts';
import { resolveRange, type ResolveRangeOptions } from '../../src/diff/range.ts';

export interface MemoryLogger extends Logger {
  infos: string[];
  debugs: string[];
}

/** A Logger that keeps what it was told, so tests can assert on what the user would see. */
export function memoryLogger(): MemoryLogger {
  const infos: string[] = [];
  const debugs: string[] = [];
  return {
    infos,
    debugs,
    info: (m) => void infos.push(m),
    warn: (m) => void infos.push(`warning: ${m}`),
    error: (m) => void infos.push(`error: ${m}`),
    debug: (m) => void debugs.push(m),
    addSecret: () => undefined,
    redact: (t) => t,
  };
}

const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_SYSTEM: '/dev/null' };

export function runGit(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv }).trim();
}

export interface Clone {
  dir: string;
  git(...args: string[]): string;
  remove(): void;
}

/** `git clone <args> <source>` into a new temp dir (a local path or file:// URL: no network). */
export function cloneRepo(source: string, ...args: string[]): Clone {
  const parent = mkdtempSync(join(tmpdir(), 'loom-clone-'));
  const dir = join(parent, 'clone');
  runGit(parent, 'clone', '-q', ...args, source, dir);
  runGit(dir, 'config', 'user.email', 'test@example.com');
  runGit(dir, 'config', 'user.name', 'Test');
  return { dir, git: (...a) => runGit(dir, ...a), remove: () => rmSync(parent, { recursive: true, force: true }) };
}

/** A temp dir that is not inside any git repository. */
export function plainDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'loom-plain-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

type RangeOpts = Omit<ResolveRangeOptions, 'cwd' | 'log' | 'env'> & { env?: ResolveRangeOptions['env'] };

/** resolveRange → readDiff → parseDiff, as the review command will do it. */
export async function diffOf(cwd: string, opts: RangeOpts = {}): Promise<FileDiff[]> {
  const range = await resolveRange({ cwd, env: {}, log: memoryLogger(), ...opts });
  return parseDiff(await readDiff(cwd, range));
}

export function fileAt(files: readonly FileDiff[], path: string): FileDiff {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`no diff for ${path}; have: ${files.map((f) => f.path).join(', ')}`);
  return file;
}

/** Compact form of a hunk's lines for exact assertions: `+3 text`, `-2 text`, ` 4/5 text`. */
export function lineSummary(file: FileDiff): string[] {
  return file.hunks.flatMap((h) =>
    h.lines.map((l) =>
      l.kind === 'add' ? `+${l.newLine} ${l.text}` : l.kind === 'del' ? `-${l.oldLine} ${l.text}` : ` ${l.oldLine}/${l.newLine} ${l.text}`,
    ),
  );
}
