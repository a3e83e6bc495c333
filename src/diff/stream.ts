import { StringDecoder } from 'node:string_decoder';
import { LoomError } from '../errors.ts';
import { DIFF_FLAGS, repoRoot, spawnGit } from './git.ts';
import { afterNewline, openElidedSection, parseDiff, type OpenSection, type ParseOptions } from './parse.ts';
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
    yield parseDiff(await readDiff(cwd, range), parsing);
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

/**
 * Runs `git diff` and yields its files, parsed as each section completes. A section of an elided file (see
 * ParseOptions) that is still growing is read line by line as it arrives and never held whole: a regenerated lock
 * file can be tens of MB.
 */
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
    /** The elided section being read line by line, and the start of a line not yet complete. */
    let open: { section: OpenSection; carry: string[] } | undefined;
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let text = decoder.write(chunk);
      if (open) {
        // A line still incomplete (a minified file can be one 20 MB line) is gathered in parts, joined once.
        if (!text.includes('\n')) {
          open.carry.push(text);
          continue;
        }
        open.carry.push(text);
        const piece = open.carry.join('');
        // The carry starts a line, so a section boundary is at its start or after a newline.
        const boundary = piece.startsWith(SECTION_START.slice(1)) ? 0 : afterNewline(piece.indexOf(SECTION_START));
        if (boundary < 0) {
          const whole = piece.lastIndexOf('\n') + 1;
          open.section.feed(piece, 0, whole);
          open.carry = [piece.slice(whole)];
          continue;
        }
        open.section.feed(piece, 0, boundary);
        yield [open.section.close()];
        open = undefined;
        text = piece.slice(boundary);
      }
      parts.push(text);
      pending += text.length;
      if (pending < scanAt) continue;
      const joined = parts.join('');
      const cut = joined.lastIndexOf(SECTION_START);
      let rest = joined;
      if (cut > 0) {
        const files = parseDiff(joined.slice(0, cut + 1), parsing);
        rest = joined.slice(cut + 1);
        if (files.length > 0) yield files;
      }
      const section = parsing.elide ? openElidedSection(rest, parsing.elide) : undefined;
      if (section) {
        // Its hunks so far are read now; the rest as it comes.
        const whole = rest.lastIndexOf('\n') + 1;
        section.feed(rest, section.hunksAt, whole);
        open = { section, carry: [rest.slice(whole)] };
        parts = [];
        pending = 0;
        scanAt = MIN_SCAN_CHARS;
      } else {
        parts = [rest];
        pending = rest.length;
        // One section bigger than what was gathered: look again once it has doubled, so joining stays linear.
        scanAt = cut > 0 ? Math.max(MIN_SCAN_CHARS, pending * 2) : pending * 2;
      }
    }
    const tail = decoder.end();
    const code = await exited;
    if (code !== 0) {
      const message = Buffer.concat(stderr).toString('utf8').trim();
      throw new LoomError('git-failed', `git ${args.slice(0, 1).join(' ')} failed (exit ${code}): ${message || 'no output'}`);
    }
    finished = true;
    if (open) {
      const piece = open.carry.join('') + tail;
      open.section.feed(piece, 0, piece.length);
      yield [open.section.close()];
      return;
    }
    parts.push(tail);
    const rest = parseDiff(parts.join(''), parsing);
    if (rest.length > 0) yield rest;
  } finally {
    // The reader stopped early (an error downstream): git must not be left running.
    if (!finished) child.kill();
  }
}
