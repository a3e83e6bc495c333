import type { DiffLine, FileDiff } from '../diff/types.ts';
import type { PreparedPipeline } from '../pipelines/run.ts';
import type { Coverage, UnitFailure } from '../report/report.ts';
import { changedLineCount } from '../units/count-lines.ts';
import { planOf } from '../units/plan.ts';
import type { ReviewUnit } from '../units/types.ts';

/**
 * What the review covered, line by line: a changed line counts as reviewed (or summarised) when at least one
 * pipeline's unit holding it was answered. Units reuse the diff's DiffLine objects, so identity is the key.
 * The four line counts always add up to `linesChanged`.
 */
export function coverageOf(
  files: readonly FileDiff[],
  skippedFiles: readonly { path: string; reason: string; lines?: number }[],
  pipelines: readonly PreparedPipeline[],
  failures: readonly UnitFailure[],
): Coverage {
  const failed = new Set(failures.map((f) => `${f.pipeline}\0${f.unit ?? ''}`));
  const answered = new Set<ReviewUnit>();
  for (const pipeline of pipelines) {
    if (pipeline.unavailable) continue;
    for (const unit of pipeline.units) if (!failed.has(`${pipeline.config.name}\0${unit.id}`)) answered.add(unit);
  }
  const reviewedFiles = new Set<string>();
  for (const unit of answered) for (const file of unit.files) reviewedFiles.add(file.path);
  const linesChanged = files.reduce((n, f) => n + changedLineCount(f), 0);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const linesOf = (s: (typeof skippedFiles)[number]) => s.lines ?? (byPath.has(s.path) ? changedLineCount(byPath.get(s.path)!) : 0);
  const linesSkipped = skippedFiles.reduce((n, s) => n + linesOf(s), 0);
  const coverage = (linesReviewed: number, linesSummarised: number): Coverage => ({
    filesChanged: files.length,
    filesReviewed: reviewedFiles.size,
    filesSkipped: skippedFiles.map(({ path, reason }) => ({ path, reason })),
    linesChanged,
    linesReviewed,
    linesSummarised,
    linesSkipped,
    linesNotReviewed: Math.max(0, linesChanged - linesReviewed - linesSummarised - linesSkipped),
  });

  // All from one plan (one model, the usual case): its units share no changed line, their counts add up.
  const plans = new Set([...answered].map((unit) => planOf(unit)));
  if (plans.size === 1 && !plans.has(undefined) && [...answered].every((unit) => unit.lines)) {
    let reviewedCount = 0;
    let summarisedCount = 0;
    for (const unit of answered) {
      reviewedCount += unit.lines!.reviewed;
      summarisedCount += unit.lines!.summarised;
    }
    return coverage(reviewedCount, summarisedCount);
  }

  const reviewed = new Set<DiffLine>();
  const summarised = new Set<DiffLine>();
  for (const unit of answered) {
    for (const file of unit.files) {
      for (const hunk of file.hunks) {
        const into = file.collapsed || hunk.collapsed ? summarised : reviewed;
        for (const line of hunk.lines) if (line.kind !== 'context') into.add(line);
      }
    }
  }
  for (const line of reviewed) summarised.delete(line);
  return coverage(reviewed.size, summarised.size);
}
