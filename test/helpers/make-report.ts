import { compareFindings, fingerprint, type Finding } from '../../src/findings/finding.ts';
import type { Coverage, Report } from '../../src/report/report.ts';

/**
 * A valid Finding. Unless overridden, the fingerprint is computed from the final path, rule, title and line, so
 * findings that differ in any of those get different fingerprints, like real ones.
 */
export function makeFinding(overrides: Partial<Finding> = {}): Finding {
  const base: Omit<Finding, 'fingerprint'> = {
    path: 'src/app.ts',
    line: 10,
    side: 'new',
    severity: 'warning',
    pipeline: 'review',
    ruleId: overrides.pipeline ?? 'review',
    title: 'Possible undefined access',
    body: '`user` may be undefined here.',
    inDiff: true,
    ...overrides,
  };
  return {
    ...base,
    fingerprint:
      overrides.fingerprint ??
      fingerprint({ path: base.path, ruleId: base.ruleId, title: base.title, flaggedText: `${base.side}:${base.line}` }),
  };
}

export type ReportOverrides = Partial<Omit<Report, 'range' | 'coverage'>> & {
  range?: Partial<Report['range']>;
  coverage?: Partial<Coverage>;
};

/** A valid Report; `findings` are sorted with compareFindings, as the Report contract requires. */
export function makeReport(overrides: ReportOverrides = {}): Report {
  const { range, coverage, findings, ...rest } = overrides;
  return {
    tool: { name: 'loom', version: '0.1.0' },
    failures: [],
    notices: [],
    pipelines: [{ name: 'review', model: 'gpt-4o', calls: 1, failedCalls: 0, promptTokens: 1200, completionTokens: 80, countedPromptTokens: 1190, tokenizer: 'o200k_base' }],
    ...rest,
    range: {
      baseRef: 'main',
      headRef: 'feature',
      baseSha: '1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      headSha: '2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      mergeBase: '1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      ...range,
    },
    coverage: { filesChanged: 1, filesReviewed: 1, filesSkipped: [], linesChanged: 10, linesReviewed: 10, linesSummarised: 0, linesSkipped: 0, linesNotReviewed: 0, ...coverage },
    findings: [...(findings ?? [])].sort(compareFindings),
  };
}
