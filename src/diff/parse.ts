import type { DiffLine, FileDiff, FileStatus, Hunk } from './types.ts';
import { emptyHeader, type FileHeader, readHeaderLine } from './file-header.ts';
import { objectArray } from './object-array.ts';
import { ParsedLine } from './parsed-line.ts';

const SECTION_START = 'diff --git ';
const SUBMODULE_MODE = '160000';

/**
 * Parses `git diff` output (as produced by readDiff) into loom's types, in one pass over the text.
 *
 * Each `diff --git` section's header is read by loom (parse-diff drops renames, copies and binary markers
 * and mis-splits quoted paths or names containing " b/"); its hunks are read by convertHunks, with
 * parse-diff's rules: `\ No newline at end of file` becomes a flag, not a line.
 *
 * CRLF: a trailing `\r` is removed from each line's `text`, so rendering and matching see the same
 * text for CRLF and LF files; every other character is kept exactly.
 */
export function parseDiff(text: string, opts: ParseOptions = {}): FileDiff[] {
  const files: FileDiff[] = [];
  // A line starting with "diff --git " is never hunk content (content lines start with ' ', '+', '-' or '\'),
  // so sections can be cut with indexOf instead of walking every line.
  let start = text.startsWith(SECTION_START) ? 0 : afterNewline(text.indexOf(`\n${SECTION_START}`));
  while (start >= 0) {
    const next = text.indexOf(`\n${SECTION_START}`, start);
    files.push(parseSection(text, start, next < 0 ? text.length : next + 1, opts.elide, opts.secretHint));
    start = afterNewline(next);
  }
  return files;
}

/**
 * Files no model will read (skip_paths, ignore_paths): their hunks keep only the added lines `line` says a
 * built-in check may flag, so a 1,000,000-line lock file costs its counts, not a million parsed lines.
 */
export interface ElideRule {
  file: (path: string) => boolean;
  line: (text: string) => boolean;
}

export interface ParseOptions {
  elide?: ElideRule | undefined;
  /**
   * Fixed text every secret pattern needs (checks/secret-patterns.ts SECRET_HINT), tested once on each section's
   * text (FileDiff.mayHoldSecret): one pass over a section instead of one call per line, most of the secret scan.
   */
  secretHint?: RegExp | undefined;
}

/** The index just after a newline found at `index` (-1 when none was found). */
export const afterNewline = (index: number): number => (index < 0 ? -1 : index + 1);

function parseSection(text: string, start: number, end: number, elide: ElideRule | undefined, hint: RegExp | undefined): FileDiff {
  const { header, hunkStart } = readSectionHeader(text, start, end);
  const submodule = isSubmodule(header);
  const paths = pathsOf(header);
  const keep = elide && hunkStart >= 0 && elide.file(paths.path) ? elide.line : undefined;
  const body = hunkStart >= 0 && !submodule && !header.binary ? convertHunks(text, hunkStart, end, keep) : undefined;
  const elided = keep && body ? true : undefined;
  // Every line's text is a piece of the section, and the hint spans no line break: no match, no secret.
  const mayHoldSecret = !elided && body && hint ? hint.test(start === 0 && end === text.length ? text : text.slice(start, end)) : undefined;
  return buildFile(header, paths, body, submodule, elided, mayHoldSecret);
}

const isSubmodule = (header: FileHeader): boolean => header.oldMode === SUBMODULE_MODE || header.newMode === SUBMODULE_MODE;

/** The header lines of a section, up to its first `@@` line (hunkStart; -1 when none is in text[start, end)). */
function readSectionHeader(text: string, start: number, end: number): { header: FileHeader; hunkStart: number } {
  const header = emptyHeader();
  let pos = start;
  while (pos < end) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 || nl >= end ? end : nl;
    let line = text.slice(pos, lineEnd);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('@@ ')) return { header, hunkStart: pos };
    readHeaderLine(header, line);
    // What follows "GIT binary patch" is base85 data, not header lines.
    if (header.binary) break;
    pos = lineEnd + 1;
  }
  return { header, hunkStart: -1 };
}

/** An elided file's section, read in pieces of whole lines as git prints it (stream.ts), never held whole. */
export interface OpenSection {
  /** Where the hunks start in the text the section was opened with: feed from there. */
  hunksAt: number;
  /** Reads text[start, end): whole lines, in order; the last piece may end without a newline. */
  feed(text: string, start: number, end: number): void;
  close(): FileDiff;
}

/**
 * Opens a section for reading in pieces when its file is elided: `text` starts at the section's `diff --git` line
 * and reaches at least its first `@@` line. Undefined for any other section (not elided, no hunks yet, binary):
 * those are parsed whole.
 */
export function openElidedSection(text: string, elide: ElideRule): OpenSection | undefined {
  const { header, hunkStart } = readSectionHeader(text, 0, text.length);
  if (hunkStart < 0 || header.binary || isSubmodule(header)) return undefined;
  const paths = pathsOf(header);
  if (!elide.file(paths.path)) return undefined;
  const reader = new HunkReader(elide.line);
  return {
    hunksAt: hunkStart,
    feed: (piece, start, end) => reader.read(piece, start, end),
    close: () => buildFile(header, paths, reader.finish('', 0, 0), false, true, undefined),
  };
}

interface HunkBody {
  hunks: Hunk[];
  additions: number;
  deletions: number;
  oldNoEol: boolean;
  newNoEol: boolean;
}

const HUNK_HEADER = /^@@\s+-(\d+),?(\d+)?\s+\+(\d+),?(\d+)?\s@@/;
const NO_NEWLINE = '\\ No newline at end of file';

/**
 * Reads the hunks of one section (`text` from its first `@@` line to `end`), line by line without copying the
 * section: parse-diff's rules, which git's output follows, in one pass. A hunk takes lines until its `@@`
 * counts are used up: `-` removed, `+` added, anything else context. `\ No newline at end of file` refers to the
 * line before it and becomes a flag (for both sides when no line precedes it in its hunk, which git never writes).
 */
function convertHunks(text: string, start: number, end: number, keep?: (text: string) => boolean): HunkBody {
  const reader = new HunkReader(keep);
  reader.read(text, start, end);
  return reader.finish(text, start, end);
}

/**
 * convertHunks' state, so a section can also be read in pieces of whole lines (an elided file streamed from git,
 * see stream.ts). With `keep`, lines are counted and only the added lines it accepts are kept, as copies.
 */
class HunkReader {
  readonly body: HunkBody = { hunks: objectArray(), additions: 0, deletions: 0, oldNoEol: false, newNoEol: false };
  // Every field starts with a value of the type it keeps (a shared empty array, a number for the last kind): V8
  // then never widens this object's fields while `read`, hot on a large diff, is optimized for them.
  private lines: DiffLine[] = NO_LINES;
  /** The kind of the hunk's last line, kept or not: what a `\ No newline` marker refers to (see LAST_*). */
  private previous = LAST_NONE;
  private oldLine = 0;
  private newLine = 0;
  private oldLeft = 0;
  private newLeft = 0;
  private inHunk = false;

  private readonly keep: ((text: string) => boolean) | undefined;

  constructor(keep?: (text: string) => boolean) {
    this.keep = keep;
  }

  /** Reads text[start, end): whole lines (the last may lack its newline only at the end of the section). */
  read(text: string, start: number, end: number): void {
    const { body, keep } = this;
    let lines = this.lines;
    let previous = this.previous;
    let oldLine = this.oldLine;
    let newLine = this.newLine;
    let oldLeft = this.oldLeft;
    let newLeft = this.newLeft;
    let inHunk = this.inHunk;
    let pos = start;
    while (pos < end) {
      const nl = text.indexOf('\n', pos);
      const lineEnd = nl < 0 || nl >= end ? end : nl;
      const next = lineEnd + 1;
      const first = text.charCodeAt(pos);
      if (!inHunk) {
        if (first === 0x40 /* '@' */) {
          const line = text.slice(pos, lineEnd);
          const header = HUNK_HEADER.exec(line);
          if (header) {
            oldLine = Number(header[1]);
            newLine = Number(header[3]);
            const oldLines = header[2] ? Number(header[2]) : 1;
            const newLines = header[4] ? Number(header[4]) : 1;
            lines = objectArray();
            previous = LAST_NONE;
            body.hunks.push({ oldStart: oldLine, oldLines, newStart: newLine, newLines, section: keep ? copyOf(hunkSection(line)) : hunkSection(line), lines });
            oldLeft = oldLines;
            newLeft = newLines;
            inHunk = true;
          }
        } else if (first === 0x5c /* '\\' */ && lines !== NO_LINES && isNoNewline(text, pos, lineEnd)) markNoNewline(body, previous);
        pos = next;
        continue;
      }
      const textEnd = lineEnd > pos && text.charCodeAt(lineEnd - 1) === 0x0d ? lineEnd - 1 : lineEnd;
      if (first === 0x5c /* '\\' */) {
        markNoNewline(body, previous);
        // parse-diff counts any other line starting with a backslash as context.
        if (!isNoNewline(text, pos, lineEnd)) {
          oldLine++;
          newLine++;
          oldLeft--;
          newLeft--;
        }
      } else if (first === 0x2d /* '-' */) {
        if (!keep) lines.push(new ParsedLine('del', oldLine, undefined, text.slice(pos + 1, textEnd)));
        previous = LAST_DEL;
        oldLine++;
        body.deletions++;
        oldLeft--;
      } else if (first === 0x2b /* '+' */) {
        const added = text.slice(pos + 1, textEnd);
        // An elided file keeps copies: a slice would keep the whole section's text alive.
        if (!keep) lines.push(new ParsedLine('add', undefined, newLine, added));
        else if (keep(added)) lines.push(new ParsedLine('add', undefined, newLine, copyOf(added)));
        previous = LAST_ADD;
        newLine++;
        body.additions++;
        newLeft--;
      } else {
        if (!keep) lines.push(new ParsedLine('context', oldLine, newLine, text.slice(pos + 1, textEnd)));
        previous = LAST_CONTEXT;
        oldLine++;
        newLine++;
        oldLeft--;
        newLeft--;
      }
      if (oldLeft === 0 && newLeft === 0) inHunk = false;
      pos = next;
    }
    this.lines = lines;
    this.previous = previous;
    this.oldLine = oldLine;
    this.newLine = newLine;
    this.oldLeft = oldLeft;
    this.newLeft = newLeft;
    this.inHunk = inHunk;
  }

  /** The hunks, once the section's last line was read; `text[start, end)` is what was read last. */
  finish(text: string, start: number, end: number): HunkBody {
    // A hunk cut short by the end of the text takes the empty line after the last newline, as parse-diff does.
    if (this.inHunk && !this.keep && end > start && text.charCodeAt(end - 1) === 0x0a) {
      this.lines.push(new ParsedLine('context', this.oldLine++, this.newLine++, ''));
    }
    return this.body;
  }
}

/** No hunk read yet: `\ No newline` markers before the first hunk refer to nothing. */
const NO_LINES: DiffLine[] = objectArray();
const LAST_NONE = 0;
const LAST_ADD = 1;
const LAST_DEL = 2;
const LAST_CONTEXT = 3;

/** Whether text[pos, lineEnd) is git's `\ No newline at end of file`. */
function isNoNewline(text: string, pos: number, lineEnd: number): boolean {
  return lineEnd - pos === NO_NEWLINE.length && text.startsWith(NO_NEWLINE, pos);
}

/** A `\ No newline` marker after a line of kind `previous`: that side's last line has no newline. */
function markNoNewline(body: HunkBody, previous: number): void {
  if (previous !== LAST_ADD) body.oldNoEol = true;
  if (previous !== LAST_DEL) body.newNoEol = true;
}

/**
 * Every kind of line read once as the module loads (both ways: kept whole, and elided), so V8 has seen every
 * branch of `read` before it optimizes it: one compile instead of one more each time a large diff first reaches a
 * kind of line (a `\\` marker, a CRLF line, an elided file's added line).
 */
function warmUp(): void {
  const sample = '@@ -1,3 +1,3 @@ f\n a\r\n-b\n+c\n\\ No newline at end of file\n\\ other\n@@ -9 +9 @@\n-x\n\\ No newline at end of file\n+y\n';
  // V8 records feedback only once a function has run a little (lazy feedback allocation): a few rounds.
  for (let round = 0; round < WARM_ROUNDS; round++) {
    // Two filters, so the call is not tied to one: the real one is the config's.
    for (const keep of [undefined, (text: string) => text === 'c', (text: string) => text.length > 5]) {
      const reader = new HunkReader(keep);
      reader.read(sample, 0, sample.length);
      reader.finish(sample, 0, sample.length);
    }
  }
}
const WARM_ROUNDS = 4;
warmUp();

/** Text after the second `@@` of a hunk header, without the separating space. */
function hunkSection(headerLine: string): string {
  const at = headerLine.indexOf('@@', 2);
  if (at < 0) return '';
  let section = headerLine.slice(at + 2);
  if (section.startsWith(' ')) section = section.slice(1);
  return section.endsWith('\r') ? section.slice(0, -1) : section;
}

function statusOf(header: FileHeader): FileStatus {
  if (header.newFile) return 'added';
  if (header.deletedFile) return 'deleted';
  if (header.renameFrom !== undefined || header.renameTo !== undefined) return 'renamed';
  if (header.copyFrom !== undefined || header.copyTo !== undefined) return 'copied';
  return 'modified';
}

/** A string that shares no memory with the one it was sliced from. */
function copyOf(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function pathsOf(header: FileHeader): { status: FileStatus; oldPath: string; path: string } {
  const status = statusOf(header);
  const oldPath = header.renameFrom ?? header.copyFrom ?? header.minusPath ?? header.gitOld ?? header.gitNew ?? '';
  const newPath = header.renameTo ?? header.copyTo ?? header.plusPath ?? header.gitNew ?? oldPath;
  return { status, oldPath, path: status === 'deleted' ? oldPath : newPath };
}

function buildFile(
  header: FileHeader,
  paths: ReturnType<typeof pathsOf>,
  body: HunkBody | undefined,
  submodule: boolean,
  elided: true | undefined,
  mayHoldSecret: boolean | undefined,
): FileDiff {
  const { status, oldPath, path } = paths;
  const hunks = body?.hunks ?? objectArray<Hunk>();
  // A submodule has no reviewable lines: it is flagged binary so nothing tries to review or anchor in it.
  const binary = header.binary || submodule;
  const file: FileDiff = {
    path,
    oldPath: status === 'renamed' || status === 'copied' ? oldPath : path,
    status,
    binary,
    modeOnly:
      status === 'modified' && !binary && hunks.length === 0 && header.oldMode !== undefined && header.oldMode !== header.newMode,
    noNewlineAtEof: status === 'deleted' ? (body?.oldNoEol ?? false) : (body?.newNoEol ?? false),
    hunks,
    additions: body?.additions ?? 0,
    deletions: body?.deletions ?? 0,
    // Always present, if undefined, and set here once: files of one shape keep the code that walks them optimized
    // (see DiffLine); a field written again after the object is made deoptimizes the code that read it.
    oldMode: header.oldMode,
    newMode: header.newMode,
    elided,
    mayHoldSecret,
  };
  return file;
}
