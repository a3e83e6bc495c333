import type { FileDiff } from '../diff/types.ts';

export interface ConflictHit {
  path: string;
  line: number;
  endLine?: number;
}

const OPEN = /^<{7}(?: |$)/;
const CLOSE = /^>{7}(?: |$)/;
const MIDDLE = /^={7}$/;

/** Every marker starts with '<', '>' or '=': other lines need no pattern at all. */
export function mayBeMarker(text: string): boolean {
  // An empty line is common; reading past its end would throw optimized code out.
  if (text.length === 0) return false;
  const first = text.charCodeAt(0);
  return first === 0x3c || first === 0x3e || first === 0x3d;
}

/**
 * Merge-conflict blocks in added lines. A lone `=======` is a valid setext heading underline, so only a block
 * that starts with `<<<<<<<` (or a stray `>>>>>>>`) is reported.
 */
export function findConflictMarkers(files: readonly FileDiff[]): ConflictHit[] {
  const hits: ConflictHit[] = [];
  for (const file of files) {
    if (file.binary) continue;
    let open: ConflictHit | undefined;
    for (const hunk of file.hunks) {
      for (const line of hunk.lines) {
        if (line.kind !== 'add' || line.newLine === undefined) continue;
        if (!mayBeMarker(line.text)) continue;
        if (OPEN.test(line.text)) {
          open = { path: file.path, line: line.newLine };
          hits.push(open);
        } else if (CLOSE.test(line.text)) {
          if (open) open.endLine = line.newLine;
          else hits.push({ path: file.path, line: line.newLine });
          open = undefined;
        } else if (MIDDLE.test(line.text) && open) {
          open.endLine = line.newLine;
        }
      }
      // A block never spans hunks in a real conflict; a later `>>>>>>>` belongs to another block.
      open = undefined;
    }
  }
  return hits;
}
