import type { UnitFile } from '../units/types.ts';

/**
 * Renders files for a model: every diff line starts with its line number in the file (new side for added and
 * context lines, old side for removed ones), so the model cites real lines instead of counting.
 */
export function renderDiff(files: readonly UnitFile[]): string {
  const out: string[] = [];
  for (const file of files) {
    out.push(`### ${describeFile(file)}`);
    if (file.binary || file.modeOnly) continue;
    // Removals are summarised, not shown: the model can say little about code that is gone, and tokens matter.
    if (file.collapsed) {
      out.push(`(file deleted: ${removedLines(file.hunks)} lines)`, '');
      continue;
    }
    const width = String(maxLineNumber(file)).length;
    for (const hunk of file.hunks) {
      out.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@${hunk.section ? ` ${hunk.section}` : ''}`);
      if (hunk.collapsed) {
        out.push(`… ${removedLines([hunk])} lines removed (not shown)`);
        continue;
      }
      for (const line of hunk.lines) {
        const number = line.kind === 'del' ? line.oldLine : line.newLine;
        const marker = line.kind === 'add' ? '+' : line.kind === 'del' ? '-' : ' ';
        out.push(`${String(number ?? '').padStart(width)} ${marker} ${line.text}`);
      }
    }
    if (file.noNewlineAtEof) out.push('(no newline at end of file)');
    out.push('');
  }
  return out.join('\n');
}

function describeFile(file: UnitFile): string {
  const notes: string[] = [file.status];
  if (file.oldPath !== file.path) notes.push(`from ${file.oldPath}`);
  if (file.binary) notes.push('binary, not shown');
  if (file.modeOnly) notes.push(`mode ${file.oldMode ?? '?'} -> ${file.newMode ?? '?'}`);
  return `${file.path} (${notes.join(', ')})`;
}

function maxLineNumber(file: UnitFile): number {
  let max = 1;
  for (const hunk of file.hunks) max = Math.max(max, hunk.oldStart + hunk.oldLines, hunk.newStart + hunk.newLines);
  return max;
}

function removedLines(hunks: readonly { lines: readonly { kind: string }[] }[]): number {
  let n = 0;
  for (const hunk of hunks) for (const line of hunk.lines) if (line.kind === 'del') n++;
  return n;
}
