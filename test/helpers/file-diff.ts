import type { FileDiff, Hunk } from '../../src/diff/types.ts';

/**
 * Builds a FileDiff from hunks written like a unified diff: each line starts with '+', '-' or ' '.
 * Line numbers are computed the way git counts them, so tests state only the starts.
 */
export function fileDiff(path: string, hunks: { oldStart: number; newStart: number; lines: string[]; section?: string }[], extra: Partial<FileDiff> = {}): FileDiff {
  let additions = 0;
  let deletions = 0;
  const built: Hunk[] = hunks.map((h) => {
    let oldLine = h.oldStart;
    let newLine = h.newStart;
    const lines = h.lines.map((raw) => {
      const marker = raw[0];
      const text = raw.slice(1);
      if (marker === '+') {
        additions++;
        return { kind: 'add' as const, newLine: newLine++, text };
      }
      if (marker === '-') {
        deletions++;
        return { kind: 'del' as const, oldLine: oldLine++, text };
      }
      return { kind: 'context' as const, oldLine: oldLine++, newLine: newLine++, text };
    });
    return {
      oldStart: h.oldStart,
      newStart: h.newStart,
      oldLines: lines.filter((l) => l.oldLine !== undefined).length,
      newLines: lines.filter((l) => l.newLine !== undefined).length,
      section: h.section ?? '',
      lines,
    };
  });
  return { path, oldPath: path, status: 'modified', binary: false, modeOnly: false, noNewlineAtEof: false, hunks: built, additions, deletions, ...extra };
}
