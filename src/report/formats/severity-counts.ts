import { SEVERITIES, type Finding, type Severity } from '../../findings/finding.ts';

export type SeverityCounts = Record<Severity, number>;

export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { blocker: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

/** `info` is a mass noun, so it never takes an `s`. */
export function severityLabel(severity: Severity, count: number): string {
  return severity === 'info' || count === 1 ? severity : `${severity}s`;
}

/** `2 blockers, 1 warning, 0 info`: every severity is listed so the line reads the same in every report. */
export function formatCounts(counts: SeverityCounts): string {
  return SEVERITIES.map((s) => `${counts[s]} ${severityLabel(s, counts[s])}`).join(', ');
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * `2 units not reviewed`: units no model answered for, whatever kept it (a failed call, a limit, a stop, a cut
 * prompt); each one's reason is listed with it.
 */
export function notReviewedUnits(count: number): string {
  return `${plural(count, 'unit')} not reviewed`;
}
