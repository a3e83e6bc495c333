import type { DiffIndex } from './diff-index.ts';
import { fingerprint, type Finding, type Severity, type Side } from './finding.ts';

export interface FindingDraft {
  path: string;
  line: number;
  endLine?: number;
  side: Side;
  severity: Severity;
  pipeline: string;
  ruleId: string;
  title: string;
  body: string;
  suggestion?: string;
}

/**
 * Checks a draft against the diff: a line inside a hunk is anchored (an end line past the hunk is clamped to
 * it), anything else is kept with `inDiff: false` so it reaches the summary instead of a failing API call.
 */
export function buildFinding(draft: FindingDraft, index: DiffIndex): Finding {
  const path = index.resolvePath(draft.path) ?? draft.path;
  const anchored = index.anchor(path, draft.side, draft.line, draft.endLine);
  const line = anchored?.line ?? draft.line;
  const endLine = anchored ? anchored.endLine : draft.endLine !== undefined && draft.endLine > draft.line ? draft.endLine : undefined;
  const flagged: string[] = [];
  for (let n = line; n <= (endLine ?? line); n++) flagged.push(index.lineText(path, draft.side, n) ?? '');
  const finding: Finding = {
    path,
    line,
    side: draft.side,
    severity: draft.severity,
    pipeline: draft.pipeline,
    ruleId: draft.ruleId,
    title: draft.title,
    body: draft.body,
    inDiff: anchored !== undefined,
    fingerprint: fingerprint({ path, ruleId: draft.ruleId, title: draft.title, flaggedText: flagged.join('\n') }),
  };
  if (endLine !== undefined) finding.endLine = endLine;
  // A suggestion replaces new-side lines; on a removed line there is nothing to replace.
  if (draft.suggestion !== undefined && draft.side === 'new') finding.suggestion = draft.suggestion;
  return finding;
}

/** Same fingerprint = same finding (two pipelines may still report the same line: different rule ids). */
export function dedupeFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => !seen.has(f.fingerprint) && seen.add(f.fingerprint));
}
