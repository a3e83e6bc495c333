import { StringDecoder } from 'node:string_decoder';
import { LoomError } from '../errors.ts';
import { DIFF_FLAGS, repoRoot, spawnGit } from './git.ts';
import { parseDiff, type ParseOptions } from './parse.ts';
import { readDiff } from './read.ts';
import type { DiffRange, FileDiff } from './types.ts';

const SECTION_START = '\ndiff --git ';
/** Text gathered before the next look for a section boundary; doubled while one section keeps growing. */
const MIN_SCAN_CHARS = 64 * 1024;

/**
 * The diff of the range as git prints it, parsed file by file while git still works: a large pull request's
 * first files can be counted, planned and sent to a model while git computes the rest. Batches hold the files
 * complete so far, in git's order (review order is the planner's business: see streamUnits); only one file's
 * text (plus what is parsed) is held at a time.
 *
 * Uncommitted changes are read in one piece (readDiff) and come as one batch.
 *
 * `parsing` is read as each part of the diff is parsed, so a caller may fill it in (the elision rule comes from the
 * config) once git is already running; what was parsed before is parsed whole.
 */
export async function* streamDiff(cwd: string, range: DiffRange, parsing: ParseOptions = {}): AsyncGenerator<FileDiff[], void, undefined> {
  if (range.includesUncommitted) {
    const text = await readDiff(cwd, range);
    yield parseDiff(text, parsing);
    return;
  }
  const root = range.root ?? (await repoRoot(cwd));
  yield* sections(root, ['diff', ...DIFF_FLAGS, range.mergeBase, range.headSha, '--'], parsing);
}

/**
 * streamDiff, started now rather than when first read: git works (and fills its pipe) while the caller does
 * other things. A failure is thrown where the batches are read.
 */
export function startDiff(cwd: string, range: DiffRange, parsing: ParseOptions = {}): AsyncIterable<FileDiff[]> {
  const stream = streamDiff(cwd, range, parsing);
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

/** Runs `git diff` and yields its files, parsed as each section completes. */
async function* sections(root: string, args: readonly string[], parsing: ParseOptions): AsyncGenerator<FileDiff[], void, undefined> {
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
        const files = parseDiff(joined.slice(0, cut + 1), parsing);
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
    const rest = parseDiff(parts.join(''), parsing);
    if (rest.length > 0) yield rest;
  } finally {
    // The reader stopped early (an error downstream): git must not be left running.
    if (!finished) child.kill();
  }
}
