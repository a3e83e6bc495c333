import { createHash } from 'node:crypto';

export const SEVERITIES = ['blocker', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is more severe; used by --fail-on and sorting. */
export const SEVERITY_RANK: Record<Severity, number> = { blocker: 3, warning: 2, info: 1 };

export type Side = 'new' | 'old';

/** The one result type: produced by pipelines and built-in checks, consumed by every sink. */
export interface Finding {
  /** Repo-relative POSIX path (new side; for a deleted file its old path). */
  path: string;
  /** 1-based line on `side` of the file. */
  line: number;
  /** Inclusive end line on the same side, when the finding spans lines. */
  endLine?: number;
  side: Side;
  severity: Severity;
  /** Pipeline name, or `builtin` for deterministic checks. */
  pipeline: string;
  /** Stable id of the kind of finding: `<pipeline>` for model findings, `builtin/<check>` for checks. */
  ruleId: string;
  title: string;
  /** Markdown explanation. */
  body: string;
  /** Replacement text for line..endLine, when the reviewer proposed one. */
  suggestion?: string;
  /** True when line..endLine lie inside the diff's hunks on `side` (so a platform can anchor it). */
  inDiff: boolean;
  /**
   * The line is in the diff, but not in the part of it the model call was shown (a large pull request is reviewed
   * in parts): a guess, so it is listed like a finding outside the diff and never posted on that line.
   */
  notShown?: true;
  /** Stable across line shifts: hash of path, rule, title and the normalised flagged lines. */
  fingerprint: string;
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    a.path.localeCompare(b.path) ||
    a.line - b.line ||
    a.title.localeCompare(b.title)
  );
}

/** `flaggedText` is the text of the lines the finding covers, so the hash survives code moving up or down. */
export function fingerprint(parts: { path: string; ruleId: string; title: string; flaggedText: string }): string {
  const normalise = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  return createHash('sha256')
    .update([parts.path, parts.ruleId, normalise(parts.title), normalise(parts.flaggedText)].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
}

export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold];
}
