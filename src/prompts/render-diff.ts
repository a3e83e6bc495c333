import type { DiffLine, Hunk } from '../diff/types.ts';
import type { UnitFile } from '../units/types.ts';

/**
 * Renders files for a model: every diff line starts with its line number in the file (new side for added and
 * context lines, old side for removed ones), so the model cites real lines instead of counting.
 *
 * The rendering is a sequence of segments, each one of the lines below plus its newline, and a blank line after
 * each file but the last. Every segment starts with `#`, `@`, `(`, `…` or a right-aligned line number, never with
 * whitespace that runs into a newline or with `/`: that is what lets token counts of segments add up exactly
 * (see units/exact.ts), so the planner never has to render and count a whole unit.
 */
export function renderDiff(files: readonly UnitFile[]): string {
  const out: string[] = [];
  for (const file of files) {
    out.push(fileHeaderLine(file));
    if (file.binary || file.modeOnly) continue;
    // Removals are summarised, not shown: the model can say little about code that is gone, and tokens matter.
    if (file.collapsed) {
      out.push(deletedFileLine(file), '');
      continue;
    }
    const width = lineNumberWidth(file);
    for (const hunk of file.hunks) {
      out.push(hunkHeaderLine(hunk));
      if (hunk.collapsed) {
        out.push(removedHunkLine(hunk));
        continue;
      }
      for (const line of hunk.lines) out.push(diffLineText(line, width));
    }
    if (file.noNewlineAtEof) out.push(NO_NEWLINE_LINE);
    out.push('');
  }
  return out.join('\n');
}

export const NO_NEWLINE_LINE = '(no newline at end of file)';

export function fileHeaderLine(file: UnitFile): string {
  return `### ${describeFile(file)}`;
}

export function hunkHeaderLine(hunk: Hunk): string {
  return `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines}${hunkHeaderTail(hunk)}`;
}

/** What a hunk header prints after its last number: ` @@` and git's section, if any. */
export function hunkHeaderTail(hunk: Pick<Hunk, 'section'>): string {
  // Built the same way with or without a section (see describeFile).
  const section = hunk.section;
  return ` @@${section === '' ? '' : ' '}${section}`;
}

/** `number marker text`, the number right-aligned to `width`; a line without a number (never from git) shows `?`. */
export function diffLineText(line: DiffLine, width: number): string {
  return String(printedNumber(line) ?? '?').padStart(width) + markedSpace(line) + line.text;
}

/**
 * ` + `, ` - ` or three spaces: the marker with the spaces around it, one constant string per kind. Built from its
 * parts, every line of every rendering cost two more short strings, and a large diff is rendered twice.
 */
export function markedSpace(line: DiffLine): string {
  return line.kind === 'add' ? ' + ' : line.kind === 'del' ? ' - ' : '   ';
}

/** The number a line is shown with: old side for removed lines, new side for added and context lines. */
export function printedNumber(line: DiffLine): number | undefined {
  return line.kind === 'del' ? line.oldLine : line.newLine;
}

/** The one line a deleted file is shown as. */
export function deletedFileLine(file: UnitFile): string {
  return `(file deleted: ${removedLines(file.hunks)} lines)`;
}

/** The one line a removed-only hunk is shown as. */
export function removedHunkLine(hunk: Hunk): string {
  return `… ${removedLines([hunk])} lines removed (not shown)`;
}

/** Digits line numbers are padded to in a file's rendering (those of the largest number its hunks reach). */
export function lineNumberWidth(file: UnitFile): number {
  return numberWidthOf(file.hunks);
}

/** Digits of the largest line number these hunks print. */
export function numberWidthOf(hunks: readonly Hunk[]): number {
  let max = 1;
  for (const hunk of hunks) max = Math.max(max, hunk.oldStart + hunk.oldLines, hunk.newStart + hunk.newLines);
  return String(max).length;
}

/**
 * The rename note is added to every header, '' where there is none: renderDiff inlines this, and text added only on a
 * branch renamed files take had no type feedback when V8 optimized renderDiff, so the first renamed file of a large
 * diff threw that code away and had it compiled again. (Binary and mode-only files are never rendered in a unit.)
 */
function describeFile(file: UnitFile): string {
  const oldPath = file.oldPath;
  const from = oldPath === file.path ? '' : oldPath;
  let notes = file.status;
  notes += from === '' ? '' : ', from ';
  notes += from;
  if (file.binary) notes += ', binary, not shown';
  if (file.modeOnly) notes += `, mode ${file.oldMode ?? '?'} -> ${file.newMode ?? '?'}`;
  return `${file.path} (${notes})`;
}

function removedLines(hunks: readonly Hunk[]): number {
  let n = 0;
  for (const hunk of hunks) {
    if (onlyRemovals(hunk)) n += hunk.oldLines;
    else for (const line of hunk.lines) if (line.kind === 'del') n++;
  }
  return n;
}

/**
 * Whether every line of a hunk is on the old side only, i.e. a removal: known from its counts, without walking
 * thousands of lines of a deleted file.
 */
export function onlyRemovals(hunk: Pick<Hunk, 'lines' | 'oldLines' | 'newLines'>): boolean {
  return hunk.newLines === 0 && hunk.oldLines === hunk.lines.length;
}
