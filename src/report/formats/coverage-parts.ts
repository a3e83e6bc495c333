import type { Coverage } from '../report.ts';

/** An integer with its thousands grouped (`120,370`): a pull request's line and token counts run to millions. */
export function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `3 of 4 files, 1,200 of 1,350 changed lines`: what a review covered, as the text and markdown reports open it. */
export function coverageCounts(cov: Coverage): string {
  return `${grouped(cov.filesReviewed)} of ${grouped(cov.filesChanged)} files, ${grouped(cov.linesReviewed)} of ${grouped(cov.linesChanged)} changed lines`;
}

/** The parts of coverage beyond "reviewed N of M", in words; only non-zero parts, so a full review reads short. */
export function coverageParts(cov: Coverage): string[] {
  const parts: string[] = [];
  if (cov.linesSummarised > 0) parts.push(`${grouped(cov.linesSummarised)} removed line(s) summarised`);
  if (cov.linesSkipped > 0) parts.push(`${grouped(cov.linesSkipped)} line(s) in skipped files`);
  if (cov.linesNotReviewed > 0) parts.push(`${grouped(cov.linesNotReviewed)} line(s) NOT reviewed (failed calls, limits, or no model)`);
  return parts;
}
