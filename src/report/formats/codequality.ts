import type { Finding, Severity } from '../../findings/finding.ts';
import type { Report } from '../report.ts';
import { removeHtmlComments } from './html-comments.ts';
import { spanEnd } from './locations.ts';

export type CodeQualitySeverity = 'info' | 'minor' | 'major' | 'critical' | 'blocker';

/** One entry of a GitLab Code Quality report (the Code Climate fields GitLab reads). */
export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: CodeQualitySeverity;
  location: { path: string; lines: { begin: number; end?: number } };
}

/** GitLab's `blocker` is kept unused so a loom blocker does not outrank every other tool's worst. */
export const CODE_QUALITY_SEVERITY: Record<Severity, CodeQualitySeverity> = { blocker: 'critical', warning: 'major', info: 'minor' };

/**
 * GitLab Code Quality report. GitLab matches issues between the base and head pipelines by fingerprint, so it
 * must be unique in the file: a repeated one (the same finding reported twice in one file) gets `-2`, `-3`, ...
 * in report order, which keeps it stable across runs as long as the findings keep their relative order.
 *
 * The format has no notion of a removed line: as in SARIF, an old-side finding keeps its old line numbers and its
 * description says the line was removed.
 */
export function toCodeQuality(report: Report): CodeQualityIssue[] {
  const used = new Set<string>();
  return report.findings.map((f) => {
    const fingerprint = uniqueFingerprint(f.fingerprint, used);
    const end = spanEnd(f);
    const title = removeHtmlComments(f.title);
    return {
      description: f.side === 'old' ? `${title} (removed line${end ? 's' : ''} of the base version)` : title,
      check_name: f.ruleId,
      fingerprint,
      severity: CODE_QUALITY_SEVERITY[f.severity],
      location: { path: f.path, lines: end === undefined ? { begin: f.line } : { begin: f.line, end } },
    };
  });
}

function uniqueFingerprint(fingerprint: string, used: Set<string>): string {
  let candidate = fingerprint;
  for (let n = 2; used.has(candidate); n += 1) candidate = `${fingerprint}-${n}`;
  used.add(candidate);
  return candidate;
}

export function formatCodeQuality(report: Report): string {
  return JSON.stringify(toCodeQuality(report), null, 2) + '\n';
}

