import type { Coverage } from '../report.ts';

/** The parts of coverage beyond "reviewed N of M", in words; only non-zero parts, so a full review reads short. */
export function coverageParts(cov: Coverage): string[] {
  const parts: string[] = [];
  if (cov.linesSummarised > 0) parts.push(`${cov.linesSummarised} removed line(s) summarised`);
  if (cov.linesSkipped > 0) parts.push(`${cov.linesSkipped} line(s) in skipped files`);
  if (cov.linesNotReviewed > 0) parts.push(`${cov.linesNotReviewed} line(s) NOT reviewed (failed calls, limits, or no model)`);
  return parts;
}
