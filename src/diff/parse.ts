import parseDiffLib from 'parse-diff';
import type { DiffLine, FileDiff, FileStatus, Hunk } from './types.ts';
import { emptyHeader, type FileHeader, readHeaderLine } from './file-header.ts';

const SECTION_START = 'diff --git ';
const SUBMODULE_MODE = '160000';

/**
 * Parses `git diff` output (as produced by readDiff) into loom's types, in one pass over the text.
 *
 * Each `diff --git` section's header is read by loom (parse-diff drops renames, copies and binary markers
 * and mis-splits quoted paths or names containing " b/"); its hunks go to parse-diff for line numbering,
 * and the result is corrected: `\ No newline at end of file` becomes a flag, not a line.
 *
 * CRLF: a trailing `\r` is removed from each line's `text`, so rendering and matching see the same
 * text for CRLF and LF files; every other character is kept exactly.
 */
export function parseDiff(text: string): FileDiff[] {
  const files: FileDiff[] = [];
  // A line starting with "diff --git " is never hunk content (content lines start with ' ', '+', '-' or '\'),
  // so sections can be cut with indexOf instead of walking every line.
  let start = text.startsWith(SECTION_START) ? 0 : afterNewline(text.indexOf(`\n${SECTION_START}`));
  while (start >= 0) {
    const next = text.indexOf(`\n${SECTION_START}`, start);
    files.push(parseSection(text, start, next < 0 ? text.length : next + 1));
    start = afterNewline(next);
  }
  return files;
}

const afterNewline = (index: number): number => (index < 0 ? -1 : index + 1);

function parseSection(text: string, start: number, end: number): FileDiff {
  const header = emptyHeader();
  let pos = start;
  let hunkStart = -1;
  while (pos < end) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 || nl >= end ? end : nl;
    let line = text.slice(pos, lineEnd);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('@@ ')) {
      hunkStart = pos;
      break;
    }
    readHeaderLine(header, line);
    // What follows "GIT binary patch" is base85 data, not header lines.
    if (header.binary) break;
    pos = lineEnd + 1;
  }
  const submodule = header.oldMode === SUBMODULE_MODE || header.newMode === SUBMODULE_MODE;
  const body = hunkStart >= 0 && !submodule && !header.binary ? convertHunks(text.slice(hunkStart, end)) : undefined;
  return buildFile(header, body, submodule);
}

interface HunkBody {
  hunks: Hunk[];
  additions: number;
  deletions: number;
  oldNoEol: boolean;
  newNoEol: boolean;
}

function convertHunks(hunkText: string): HunkBody {
  const parsed = parseDiffLib(hunkText)[0];
  const body: HunkBody = { hunks: [], additions: 0, deletions: 0, oldNoEol: false, newNoEol: false };
  for (const chunk of parsed?.chunks ?? []) {
    const lines: DiffLine[] = [];
    let previous: DiffLine['kind'] | undefined;
    for (const change of chunk.changes) {
      const content = change.content;
      if (content.charCodeAt(0) === 0x5c /* '\' */) {
        // "\ No newline at end of file" refers to the line before it; parse-diff repeats that line.
        if (previous !== 'add') body.oldNoEol = true;
        if (previous !== 'del') body.newNoEol = true;
        continue;
      }
      const end = content.endsWith('\r') ? content.length - 1 : content.length;
      const lineText = content.slice(1, end);
      if (change.type === 'add') {
        lines.push({ kind: 'add', newLine: change.ln, text: lineText });
        body.additions++;
      } else if (change.type === 'del') {
        lines.push({ kind: 'del', oldLine: change.ln, text: lineText });
        body.deletions++;
      } else {
        lines.push({ kind: 'context', oldLine: change.ln1, newLine: change.ln2, text: lineText });
      }
      previous = lines[lines.length - 1]!.kind;
    }
    body.hunks.push({
      oldStart: chunk.oldStart,
      oldLines: chunk.oldLines,
      newStart: chunk.newStart,
      newLines: chunk.newLines,
      section: hunkSection(chunk.content),
      lines,
    });
  }
  return body;
}

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

function buildFile(header: FileHeader, body: HunkBody | undefined, submodule: boolean): FileDiff {
  const status = statusOf(header);
  const oldPath = header.renameFrom ?? header.copyFrom ?? header.minusPath ?? header.gitOld ?? header.gitNew ?? '';
  const newPath = header.renameTo ?? header.copyTo ?? header.plusPath ?? header.gitNew ?? oldPath;
  const path = status === 'deleted' ? oldPath : newPath;
  const hunks = body?.hunks ?? [];
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
  };
  if (header.oldMode !== undefined) file.oldMode = header.oldMode;
  if (header.newMode !== undefined) file.newMode = header.newMode;
  return file;
}
