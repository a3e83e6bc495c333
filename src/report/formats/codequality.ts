import { createHash } from 'node:crypto';
import { BUILTIN_PIPELINE } from '../../checks/index.ts';
import type { Finding, Severity } from '../../findings/finding.ts';
import type { Report } from '../report.ts';
import { removeHtmlComments } from './html-comments.ts';
import { grouped } from './coverage-parts.ts';
import { firstItems } from './list-summaries.ts';
import { spanEnd } from './locations.ts';
import { plural } from './severity-counts.ts';

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
 * description says the line was removed. Nor of coverage: the units no model answered for follow the findings as
 * issues of their own (notReviewed).
 */
export function toCodeQuality(report: Report): CodeQualityIssue[] {
  const used = new Set<string>();
  const findings = report.findings.map((f) => {
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
  return [...findings, ...notReviewed(report, used), ...noModel(report, used)];
}

/** check_name of the entries that stand for units no model answered for. */
const NOT_REVIEWED_CHECK = 'loom/not-reviewed';

/**
 * Units no model answered for (a call failed, a limit was reached), one entry per pipeline and reason at the first
 * file they cover: the widget shows an incomplete review as new issues, never as a clean report. The fingerprint
 * is the pipeline and the reason, so the entry goes away once a run reviews those files.
 */
function notReviewed(report: Report, used: Set<string>): CodeQualityIssue[] {
  const groups = new Map<string, { pipeline: string; reason: string; files: Set<string>; units: number }>();
  for (const failure of report.failures) {
    if (failure.files.length === 0) continue;
    const key = `${failure.pipeline}\u0000${failure.reason}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { pipeline: failure.pipeline, reason: failure.reason, files: new Set(), units: 0 }));
    group.units++;
    for (const path of failure.files) group.files.add(path);
  }
  return [...groups].map(([key, group]) => {
    const files = [...group.files];
    const { shown, more } = firstItems(files, 5);
    const listed = shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
    const description = `Not reviewed by the ${group.pipeline} pipeline (${plural(group.units, 'unit')}, ${plural(files.length, 'file')}: ${listed}): ${removeHtmlComments(group.reason)}`;
    return notReviewedIssue(description, key, files[0]!, used);
  });
}

/** A loom/not-reviewed issue at the top of `path`; its fingerprint is `key`'s, the same from run to run. */
function notReviewedIssue(description: string, key: string, path: string, used: Set<string>): CodeQualityIssue {
  return {
    description,
    check_name: NOT_REVIEWED_CHECK,
    fingerprint: uniqueFingerprint(createHash('sha256').update(`${NOT_REVIEWED_CHECK}\u0000${key}`).digest('hex').slice(0, 16), used),
    severity: 'major',
    location: { path, lines: { begin: 1 } },
  };
}

/**
 * A run in which no model pipeline ran (none connected, or none enabled) and no trigger rule skipped the review has
 * no units to name, yet no changed line was reviewed by a model: one issue says so, at the config file a model is
 * connected in, so the widget does not show the run as a clean review.
 */
function noModel(report: Report, used: Set<string>): CodeQualityIssue[] {
  const { linesChanged, linesNotReviewed } = report.coverage;
  if (report.skipped || linesNotReviewed === 0 || report.pipelines.some((p) => p.name !== BUILTIN_PIPELINE)) return [];
  const description = `No model reviewed this change: ${grouped(linesNotReviewed)} of ${grouped(linesChanged)} changed lines were not reviewed. The summary says how to connect one.`;
  return [notReviewedIssue(description, 'no model', '.loom/config.yaml', used)];
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

