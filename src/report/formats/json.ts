import type { Finding, Severity, Side } from '../../findings/finding.ts';
import type { Coverage, PipelineStats, Report, UnitFailure } from '../report.ts';
import { countBySeverity } from './severity-counts.ts';

/**
 * The `--format json` document. A public contract: add fields freely, but removing or changing one bumps
 * `schemaVersion`. Optional fields (`endLine`, `suggestion`, `notShown`, `skipped`, `tokenizer`) are omitted when
 * absent, never null.
 */
export interface JsonReport {
  schemaVersion: 1;
  tool: { name: 'loom'; version: string };
  range: { baseRef: string; headRef: string; baseSha: string; headSha: string; mergeBase: string };
  summary: { blocker: number; warning: number; info: number; failedUnits: number };
  /** Most severe first, then by path and line. */
  findings: JsonFinding[];
  failures: UnitFailure[];
  notices: string[];
  coverage: Coverage;
  pipelines: PipelineStats[];
  skipped?: { reason: string };
}

export interface JsonFinding {
  path: string;
  line: number;
  endLine?: number;
  /** `old`: `line` is a line of the base version (a removed line). */
  side: Side;
  severity: Severity;
  pipeline: string;
  ruleId: string;
  title: string;
  body: string;
  suggestion?: string;
  inDiff: boolean;
  /** In the diff, but not in the part of it the model call was shown: never posted on that line. */
  notShown?: true;
  fingerprint: string;
}

export function toJsonReport(report: Report): JsonReport {
  const counts = countBySeverity(report.findings);
  // Built field by field (not spread) so the key order, and so the output, is fixed whatever the input carries.
  const doc: JsonReport = {
    schemaVersion: 1,
    tool: { name: report.tool.name, version: report.tool.version },
    range: {
      baseRef: report.range.baseRef,
      headRef: report.range.headRef,
      baseSha: report.range.baseSha,
      headSha: report.range.headSha,
      mergeBase: report.range.mergeBase,
    },
    summary: { blocker: counts.blocker, warning: counts.warning, info: counts.info, failedUnits: report.failures.length },
    findings: report.findings.map(jsonFinding),
    failures: report.failures.map((f) => ({ pipeline: f.pipeline, files: [...f.files], reason: f.reason })),
    notices: [...report.notices],
    coverage: {
      filesChanged: report.coverage.filesChanged,
      filesReviewed: report.coverage.filesReviewed,
      filesSkipped: report.coverage.filesSkipped.map((s) => ({ path: s.path, reason: s.reason })),
      linesChanged: report.coverage.linesChanged,
      linesReviewed: report.coverage.linesReviewed,
      linesSummarised: report.coverage.linesSummarised,
      linesSkipped: report.coverage.linesSkipped,
      linesNotReviewed: report.coverage.linesNotReviewed,
    },
    pipelines: report.pipelines.map((p) => ({
      name: p.name,
      model: p.model,
      calls: p.calls,
      failedCalls: p.failedCalls,
      promptTokens: p.promptTokens,
      completionTokens: p.completionTokens,
      cachedCalls: p.cachedCalls ?? 0,
      countedPromptTokens: p.countedPromptTokens ?? 0,
      ...(p.tokenizer !== undefined ? { tokenizer: p.tokenizer } : {}),
    })),
  };
  if (report.skipped) doc.skipped = { reason: report.skipped.reason };
  return doc;
}

function jsonFinding(f: Finding): JsonFinding {
  return {
    path: f.path,
    line: f.line,
    ...(f.endLine !== undefined ? { endLine: f.endLine } : {}),
    side: f.side,
    severity: f.severity,
    pipeline: f.pipeline,
    ruleId: f.ruleId,
    title: f.title,
    body: f.body,
    ...(f.suggestion !== undefined ? { suggestion: f.suggestion } : {}),
    inDiff: f.inDiff,
    ...(f.notShown ? { notShown: true as const } : {}),
    fingerprint: f.fingerprint,
  };
}

export function formatJson(report: Report): string {
  return JSON.stringify(toJsonReport(report), null, 2) + '\n';
}
