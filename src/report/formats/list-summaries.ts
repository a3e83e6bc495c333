import type { Coverage } from '../report.ts';

/** Up to `max` items, then how many more: a unit can cover dozens of files and a summary must stay readable. */
export function firstItems<T>(items: readonly T[], max: number): { shown: T[]; more: number } {
  return items.length <= max ? { shown: [...items], more: 0 } : { shown: items.slice(0, max), more: items.length - max };
}

export type SkippedSummary =
  | { kind: 'files'; files: Coverage['filesSkipped'] }
  | { kind: 'reasons'; reasons: { reason: string; count: number }[] };

/**
 * A few skipped files are listed by name; many (a vendored folder, hundreds of lock files) are counted per reason,
 * in order of first appearance, so the summary stays short without hiding that anything was skipped.
 */
export function summariseSkipped(skipped: Coverage['filesSkipped'], maxListed = 10): SkippedSummary {
  if (skipped.length <= maxListed) return { kind: 'files', files: skipped };
  const counts = new Map<string, number>();
  for (const s of skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  return { kind: 'reasons', reasons: [...counts].map(([reason, count]) => ({ reason, count })) };
}
