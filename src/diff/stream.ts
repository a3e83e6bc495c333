import { StringDecoder } from 'node:string_decoder';
import { LoomError } from '../errors.ts';
import { fileRank } from '../units/priority.ts';
import { DIFF_FLAGS, git, repoRoot, spawnGit } from './git.ts';
import { parseDiff } from './parse.ts';
import { readDiff } from './read.ts';
import type { DiffRange, FileDiff } from './types.ts';

const SECTION_START = '\ndiff --git ';
/** Text gathered before the next look for a section boundary; doubled while one section keeps growing. */
const MIN_SCAN_CHARS = 64 * 1024;

/**
 * The diff of the range as git prints it, parsed file by file while git still works: a large pull request's
 * first files can be counted, planned and sent to a model while git computes the rest. Files come in review
 * order (source, then tests, config, other, docs; see units/priority.ts), so the earliest model calls go to
 * the most important files: when git's own (path) order is not already that, one `git diff` runs per group of
 * paths, most important first. Batches hold the files complete so far; only one file's text (plus what is
 * parsed) is held at a time.
 *
 * Uncommitted changes are read in one piece (readDiff) and come as one batch.
 */
export async function* streamDiff(cwd: string, range: DiffRange): AsyncGenerator<FileDiff[], void, undefined> {
  if (range.includesUncommitted) {
    yield parseDiff(await readDiff(cwd, range));
    return;
  }
  const root = await repoRoot(cwd);
  const changes = await git(root, ['diff', '--name-status', '-z', '--no-ext-diff', '--no-relative', '--find-renames', range.mergeBase, range.headSha, '--'], { raw: true });
  const groups = pathGroups(parseNameStatus(changes));
  for (const paths of groups ?? [undefined]) {
    yield* sections(root, ['diff', ...DIFF_FLAGS, range.mergeBase, range.headSha, '--', ...(paths ?? [])]);
  }
}

/**
 * streamDiff, started now rather than when first read: git works (and fills its pipe) while the caller does
 * other things. A failure is thrown where the batches are read.
 */
export function startDiff(cwd: string, range: DiffRange): AsyncIterable<FileDiff[]> {
  const stream = streamDiff(cwd, range);
  const first = stream.next();
  first.catch(() => undefined);
  return {
    async *[Symbol.asyncIterator]() {
      const head = await first;
      if (head.done) return;
      yield head.value;
      yield* stream;
    },
  };
}

/** One changed file as `git diff --name-status -z` lists it: its path, and the old path of a rename or copy. */
export interface ChangedPath {
  path: string;
  from?: string;
}

export function parseNameStatus(text: string): ChangedPath[] {
  const fields = text.split('\0');
  const changes: ChangedPath[] = [];
  for (let i = 0; i + 1 < fields.length; ) {
    const status = fields[i]!;
    if (status === '') break;
    if (status.startsWith('R') || status.startsWith('C')) {
      changes.push({ path: fields[i + 2]!, from: fields[i + 1]! });
      i += 3;
    } else {
      changes.push({ path: fields[i + 1]! });
      i += 2;
    }
  }
  return changes;
}

/** Paths per `git diff` call, so that no call's argument list grows past what every platform accepts. */
const MAX_GROUP_PATHS = 1000;
const MAX_GROUP_CHARS = 64 * 1024;

/**
 * The pathspecs of the `git diff` calls that print the changes in review order, or undefined when one call
 * with no pathspec already does (git's order is review order) or when groups could not be kept apart: a path
 * named twice (a rename's old path added again) or a path that is a directory of another (a file replaced by a
 * directory) would be printed by two calls. A rename's old path goes with its new one: git only sees the
 * rename when both are in the same call.
 */
export function pathGroups(changes: readonly ChangedPath[]): string[][] | undefined {
  const ranked = changes.map((change, index) => ({ change, index, rank: fileRank(change.path) }));
  const sorted = [...ranked].sort((a, b) => a.rank - b.rank || a.index - b.index);
  if (sorted.every((entry, i) => entry.index === i)) return undefined;
  const named = new Set<string>();
  for (const { path, from } of changes) {
    for (const p of from === undefined ? [path] : [path, from]) {
      if (named.has(p)) return undefined;
      named.add(p);
    }
  }
  for (const p of named) for (let slash = p.indexOf('/'); slash > 0; slash = p.indexOf('/', slash + 1)) if (named.has(p.slice(0, slash))) return undefined;

  const groups: string[][] = [];
  let group: string[] = [];
  let chars = 0;
  let rank = sorted[0]?.rank;
  for (const { change, rank: r } of sorted) {
    const paths = change.from === undefined ? [change.path] : [change.path, change.from];
    const size = paths.reduce((n, p) => n + p.length + 1, 0);
    if (group.length > 0 && (r !== rank || group.length + paths.length > MAX_GROUP_PATHS || chars + size > MAX_GROUP_CHARS)) {
      groups.push(group);
      group = [];
      chars = 0;
    }
    group.push(...paths);
    chars += size;
    rank = r;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Runs `git diff` and yields its files, parsed as each section completes. */
async function* sections(root: string, args: readonly string[]): AsyncGenerator<FileDiff[], void, undefined> {
  const { child, started } = spawnGit(root, args);
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  let finished = false;
  try {
    await started;
    const decoder = new StringDecoder('utf8');
    let parts: string[] = [];
    let pending = 0;
    let scanAt = MIN_SCAN_CHARS;
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      const text = decoder.write(chunk);
      parts.push(text);
      pending += text.length;
      if (pending < scanAt) continue;
      const joined = parts.join('');
      const cut = joined.lastIndexOf(SECTION_START);
      if (cut > 0) {
        const files = parseDiff(joined.slice(0, cut + 1));
        parts = [joined.slice(cut + 1)];
        pending = parts[0]!.length;
        scanAt = Math.max(MIN_SCAN_CHARS, pending * 2);
        if (files.length > 0) yield files;
      } else {
        // One section bigger than what was gathered: look again once it has doubled, so joining stays linear.
        parts = [joined];
        scanAt = pending * 2;
      }
    }
    parts.push(decoder.end());
    const code = await exited;
    if (code !== 0) {
      const message = Buffer.concat(stderr).toString('utf8').trim();
      throw new LoomError('git-failed', `git ${args.slice(0, 1).join(' ')} failed (exit ${code}): ${message || 'no output'}`);
    }
    finished = true;
    const rest = parseDiff(parts.join(''));
    if (rest.length > 0) yield rest;
  } finally {
    // The reader stopped early (an error downstream): git must not be left running.
    if (!finished) child.kill();
  }
}
