import { createHash } from 'node:crypto';
import type { Anchor } from './types.ts';

/** The three commits GitLab identifies a merge request diff version by (`diff_refs`, or one entry of `/versions`). */
export interface DiffRefs {
  base_sha: string;
  start_sha: string;
  head_sha: string;
}

/** One end of a multi-line range, as the discussions API takes it. */
export interface RangePoint {
  line_code: string;
  type: 'new' | 'old';
  old_line?: number;
  new_line?: number;
}

/** The `position` of a diff discussion on a text file (REST v4, JSON body). */
export interface TextPosition extends DiffRefs {
  position_type: 'text';
  old_path: string;
  new_path: string;
  old_line?: number;
  new_line?: number;
  line_range?: { start: RangePoint; end: RangePoint };
}

interface LinePair {
  old?: number;
  new?: number;
}

/**
 * Where a comment goes in GitLab's terms. GitLab identifies a diff line by its (old, new) pair rather than by a
 * side: an added line has only `new_line`, a deleted line only `old_line`, and a context line must carry both, or
 * GitLab answers 400 "line_code can't be blank". A range anchors on its last line and adds `line_range`.
 */
export function textPosition(anchor: Anchor, refs: DiffRefs): TextPosition {
  const end = endPair(anchor);
  // GitLab wants both paths even when equal; an added file's old path is its new path, never /dev/null.
  const oldPath = anchor.oldPath && anchor.oldPath !== '/dev/null' ? anchor.oldPath : anchor.path;
  const position: TextPosition = {
    position_type: 'text',
    base_sha: refs.base_sha,
    start_sha: refs.start_sha,
    head_sha: refs.head_sha,
    old_path: oldPath,
    new_path: anchor.path,
    ...lineFields(end),
  };
  const start = startPair(anchor);
  if (start) position.line_range = { start: rangePoint(anchor.path, start, anchor.startCounters), end: rangePoint(anchor.path, end, anchor.counters) };
  return position;
}

/**
 * `<sha1(path)>_<old>_<new>`, numbered as GitLab's own diff parser numbers its lines: a line added carries the old
 * side's running counter, a line removed the new side's (`counters`, from the local diff). Without them (an elided
 * file), 0 for the side the line is not on, which is right only at the start of an added or deleted file.
 */
export function lineCode(path: string, pair: LinePair, counters?: { old: number; new: number }): string {
  return `${createHash('sha1').update(path).digest('hex')}_${counters?.old ?? pair.old ?? 0}_${counters?.new ?? pair.new ?? 0}`;
}

function endPair(anchor: Anchor): LinePair {
  if (anchor.oldLine !== undefined || anchor.newLine !== undefined) return pair(anchor.oldLine, anchor.newLine);
  return anchor.side === 'new' ? { new: anchor.line } : { old: anchor.line };
}

function startPair(anchor: Anchor): LinePair | undefined {
  if (anchor.startLine === undefined || anchor.startLine >= anchor.line) return undefined;
  if (anchor.startOldLine !== undefined || anchor.startNewLine !== undefined) return pair(anchor.startOldLine, anchor.startNewLine);
  return anchor.side === 'new' ? { new: anchor.startLine } : { old: anchor.startLine };
}

function pair(oldLine: number | undefined, newLine: number | undefined): LinePair {
  return { ...(oldLine !== undefined && { old: oldLine }), ...(newLine !== undefined && { new: newLine }) };
}

function lineFields(p: LinePair): { old_line?: number; new_line?: number } {
  return { ...(p.old !== undefined && { old_line: p.old }), ...(p.new !== undefined && { new_line: p.new }) };
}

/** The API's rule for `type`: `new` for a line this MR added, `old` for every other line (deleted or context). */
function rangePoint(path: string, p: LinePair, counters?: { old: number; new: number }): RangePoint {
  const type = p.new !== undefined && p.old === undefined ? 'new' : 'old';
  return { line_code: lineCode(path, p, counters), type, ...lineFields(p) };
}
