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
 * `shown`: the part of the diff the finding's author was shown (a review unit); a line of the diff outside it is
 * not anchored either (`notShown`).
 */
export function buildFinding(draft: FindingDraft, index: DiffIndex, shown?: DiffIndex): Finding {
  const path = index.resolvePath(draft.path) ?? draft.path;
  const inDiff = index.anchor(path, draft.side, draft.line, draft.endLine);
  const notShown = inDiff !== undefined && shown !== undefined && shown.anchor(path, draft.side, inDiff.line) === undefined;
  const anchored = notShown ? undefined : inDiff;
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
  if (notShown) finding.notShown = true;
  // A suggestion replaces new-side lines; on a removed line there is nothing to replace.
  if (draft.suggestion !== undefined && draft.side === 'new') finding.suggestion = draft.suggestion;
  return finding;
}

/**
 * Same fingerprint = same finding (two pipelines may still report the same line: different rule ids). The copy
 * that can be posted on its line is kept: one from a call that was shown the line, not another's guess.
 */
export function dedupeFindings(findings: readonly Finding[]): Finding[] {
  const anchored = new Set(findings.filter((f) => f.inDiff).map((f) => f.fingerprint));
  const seen = new Set<string>();
  return findings.filter((f) => (f.inDiff || !anchored.has(f.fingerprint)) && !seen.has(f.fingerprint) && seen.add(f.fingerprint));
}
