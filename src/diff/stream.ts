import { LoomError } from '../errors.ts';
import { repoRoot, spawnGit } from './git.ts';
import { afterNewline, openElidedSection, parseDiff, type OpenSection, type ParseOptions } from './parse.ts';
import { diffCommand } from './read.ts';
import type { DiffRange, FileDiff } from './types.ts';

const SECTION_START = '\ndiff --git ';
const HUNK_START = '\n@@ ';
/** Bytes gathered before the next look for a section boundary; doubled while one section keeps growing. */
const MIN_SCAN_BYTES = 64 * 1024;

/**
 * The diff of the range as git prints it, parsed file by file while git still works: a large pull request's
 * first files can be counted, planned and sent to a model while git computes the rest. Batches hold the files
 * complete so far, in git's order (review order is the planner's business: see streamUnits); only one file's
 * text (plus what is parsed) is held at a time.
 *
 * With uncommitted changes, the working tree's diff is read the same way.
 *
 * `parsing` is read as each part of the diff is parsed, so a caller may fill it in (the elision rule comes from the
 * config) once git is already running; what was parsed before is parsed whole.
 *
 * `onWarning` hears what git printed on stderr of a diff that succeeded: a warning that changes what the diff
 * shows (too many files to pair renames, so renamed files come as deleted and added) is the user's to know.
 */
export async function* streamDiff(cwd: string, range: DiffRange, parsing: ParseOptions = {}, onWarning?: (text: string) => void): AsyncGenerator<FileDiff[], void, undefined> {
  const root = range.root ?? (await repoRoot(cwd));
  const diff = await diffCommand(root, range);
  try {
    yield* sections(root, diff.args, parsing, diff.env, diff.done, onWarning);
  } finally {
    await diff.done();
  }
}

/**
 * streamDiff, started now rather than when first read: git works (and fills its pipe) while the caller does
 * other things. A failure is thrown where the batches are read.
 */
export function startDiff(cwd: string, range: DiffRange, parsing: ParseOptions = {}, onWarning?: (text: string) => void): AsyncIterable<FileDiff[]> {
  const stream = streamDiff(cwd, range, parsing, onWarning);
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
 *
 * git's output is gathered as bytes and each section is decoded on its own. V8 keeps a string one byte per
 * character only if every character fits; one character beyond Latin-1 makes it two. Decoded and joined as one
 * text, a single such line made every later piece of text two-byte as well (the unfinished tail carried it from
 * each join to the next): on a real diff with 181 such lines in 43 files, 92% of all lines were (18% now, those of
 * the 43 files), which slowed every pass over them and doubled their memory. Section starts and line ends are
 * ASCII, so no cut splits a character.
 */
async function* sections(
  root: string,
  args: readonly string[],
  parsing: ParseOptions,
  env?: Record<string, string>,
  exitedGit?: () => Promise<void>,
  onWarning?: (text: string) => void,
): AsyncGenerator<FileDiff[], void, undefined> {
  const { child, started } = spawnGit(root, args, env);
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  // What git needed only while it ran (a temporary index) goes as soon as it is done, not when parsing is.
  if (exitedGit) void exited.then(exitedGit, () => undefined);
  let finished = false;
  try {
    await started;
    let parts: Buffer[] = [];
    let pending = 0;
    let scanAt = MIN_SCAN_BYTES;
    /** The elided section being read line by line, and the bytes of a line not yet complete. */
    let open: { section: OpenSection; carry: Buffer[] } | undefined;
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let bytes = chunk;
      if (open) {
        // A line still incomplete (a minified file can be one 20 MB line) is gathered in parts, joined once.
        open.carry.push(chunk);
        if (!chunk.includes(NEWLINE)) continue;
        const piece = Buffer.concat(open.carry);
        // The carry starts a line, so a section boundary is at its start or after a newline.
        const boundary = startsSection(piece) ? 0 : afterNewline(piece.indexOf(SECTION_START));
        const whole = boundary < 0 ? piece.lastIndexOf(NEWLINE) + 1 : boundary;
        feedLines(open.section, piece, whole);
        if (boundary < 0) {
          open.carry = [piece.subarray(whole)];
          continue;
        }
        yield [open.section.close()];
        open = undefined;
        bytes = piece.subarray(boundary);
      }
      parts.push(bytes);
      pending += bytes.length;
      if (pending < scanAt) continue;
      const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts, pending);
      const cut = joined.lastIndexOf(SECTION_START);
      let rest = joined;
      if (cut > 0) {
        const files = parseSections(joined, cut + 1, parsing);
        rest = joined.subarray(cut + 1);
        if (files.length > 0) yield files;
      }
      const section = parsing.elide ? openElided(rest, parsing.elide) : undefined;
      if (section) {
        // Its hunks so far are read now; the rest as it comes.
        const whole = rest.lastIndexOf(NEWLINE) + 1;
        feedLines(section, rest, whole, section.hunksAt);
        open = { section, carry: [rest.subarray(whole)] };
        parts = [];
        pending = 0;
        scanAt = MIN_SCAN_BYTES;
      } else {
        parts = [rest];
        pending = rest.length;
        // One section bigger than what was gathered: look again once it has doubled, so joining stays linear.
        scanAt = cut > 0 ? Math.max(MIN_SCAN_BYTES, pending * 2) : pending * 2;
      }
    }
    const code = await exited;
    if (code !== 0) {
      const message = Buffer.concat(stderr).toString('utf8').trim();
      throw new LoomError('git-failed', `git ${args.slice(0, 1).join(' ')} failed (exit ${code}): ${message || 'no output'}`);
    }
    finished = true;
    if (stderr.length > 0 && onWarning) {
      const said = Buffer.concat(stderr).toString('utf8').trim();
      if (said !== '') onWarning(said);
    }
    if (open) {
      const piece = Buffer.concat(open.carry);
      feedLines(open.section, piece, piece.length);
      yield [open.section.close()];
      return;
    }
    const joined = Buffer.concat(parts, pending);
    const rest = parseSections(joined, joined.length, parsing);
    if (rest.length > 0) yield rest;
  } finally {
    // The reader stopped early (an error downstream): git must not be left running.
    if (!finished) child.kill();
  }
}

const NEWLINE = 0x0a;
const SECTION_HEAD = Buffer.from(SECTION_START.slice(1), 'latin1');

function startsSection(bytes: Buffer): boolean {
  return bytes.compare(SECTION_HEAD, 0, SECTION_HEAD.length, 0, SECTION_HEAD.length) === 0;
}

/** The sections in bytes[0, end), each decoded and parsed on its own (see sections). */
function parseSections(bytes: Buffer, end: number, parsing: ParseOptions): FileDiff[] {
  const files: FileDiff[] = [];
  let at = 0;
  while (at < end) {
    const next = bytes.indexOf(SECTION_START, at);
    const to = next < 0 || next + 1 >= end ? end : next + 1;
    files.push(...parseDiff(bytes.toString('utf8', at, to), parsing));
    at = to;
  }
  return files;
}

/** An elided section opened on the start of its bytes, once they reach its first hunk (see openElidedSection). */
function openElided(bytes: Buffer, elide: NonNullable<ParseOptions['elide']>): OpenSection | undefined {
  const hunk = bytes.indexOf(HUNK_START);
  if (hunk < 0) return undefined;
  const lineEnd = bytes.indexOf(NEWLINE, hunk + 1);
  return lineEnd < 0 ? undefined : openElidedSection(bytes.toString('utf8', 0, lineEnd + 1), elide);
}

/** Feeds bytes[0, end) (whole lines, from `fromChar` of their text) to an open section. */
function feedLines(section: OpenSection, bytes: Buffer, end: number, fromChar = 0): void {
  const text = bytes.toString('utf8', 0, end);
  section.feed(text, fromChar, text.length);
}
