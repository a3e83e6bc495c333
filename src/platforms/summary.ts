import { grouped } from '../report/formats/coverage-parts.ts';
import { formatMarkdown } from '../report/formats/markdown.ts';
import type { Report } from '../report/report.ts';
import { summaryMarker, type MarkerStyle } from './markers.ts';

/**
 * The one summary comment: the markdown report with already-posted findings listed briefly, and the marker
 * first so that cutting the text to the platform's limit can never cut the marker off.
 */
export function renderSummary(report: Report, opts: { postedInline: ReadonlySet<string>; markerStyle: MarkerStyle; maxChars: number }): string {
  const marker = summaryMarker(opts.markerStyle);
  const text = formatMarkdown(report, { postedInline: opts.postedInline });
  return `${marker}\n${truncateMarkdown(text, opts.maxChars - marker.length - 1)}`;
}

/** Cuts at a paragraph boundary, closes a code fence left open, and says that it cut. */
export function truncateMarkdown(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const note = `\n\n_… cut to fit the platform's limit of ${grouped(maxChars)} characters: the full report is in the CI log and in any --output files._\n`;
  let cut = text.slice(0, Math.max(0, maxChars - note.length - 10));
  const paragraph = cut.lastIndexOf('\n\n');
  if (paragraph > cut.length / 2) cut = cut.slice(0, paragraph);
  const fences = cut.match(/^\s*(`{3,}|~{3,})/gm) ?? [];
  if (fences.length % 2 === 1) cut += `\n${fences.at(-1)!.trim().replace(/[^`~]/g, '')}`;
  return cut + note;
}
