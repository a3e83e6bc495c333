import type { Finding, Severity } from '../../findings/finding.ts';
import type { Report } from '../report.ts';
import { removeHtmlComments } from './html-comments.ts';
import { spanEnd } from './locations.ts';
import type { SarifLevel, SarifLog, SarifNotification, SarifResult, SarifRule } from './sarif-types.ts';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
/** Where code-scanning users land from "tool: loom"; the npm page is the one address that exists for sure. */
export const LOOM_INFORMATION_URI = 'https://www.npmjs.com/package/loom-review';
/** Also the key in `partialFingerprints`: versioned, so a change of fingerprint algorithm can use a new key. */
export const FINGERPRINT_KEY = 'loom/v1';
const SRCROOT = 'SRCROOT';

export const SARIF_LEVEL: Record<Severity, SarifLevel> = { blocker: 'error', warning: 'warning', info: 'note' };

/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF consumers: one run, one rule per distinct ruleId.
 *
 * `partialFingerprints` carries loom's own line-independent fingerprint under `loom/v1`, and deliberately not
 * `primaryLocationLineHash`: that key has a meaning (GitHub's rolling hash of the line) loom does not compute.
 */
export function toSarif(report: Report): SarifLog {
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const results: SarifResult[] = [];
  for (const f of report.findings) {
    let index = ruleIndex.get(f.ruleId);
    if (index === undefined) {
      index = rules.length;
      ruleIndex.set(f.ruleId, index);
      rules.push(ruleFor(f, report));
    }
    results.push(resultFor(f, index));
  }

  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'loom',
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: LOOM_INFORMATION_URI,
            rules,
          },
        },
        // The category that keeps loom's alerts from replacing another tool's on upload.
        automationDetails: { id: 'loom/' },
        // Left without a `uri`: the checkout's absolute path is not the formatter's to know, and consumers
        // (GitHub included) resolve SRCROOT-relative paths against the repository root.
        originalUriBaseIds: { [SRCROOT]: { description: { text: 'The root of the repository checkout.' } } },
        invocations: [
          {
            // A failed unit means part of the diff was not reviewed: the run did not fully succeed.
            executionSuccessful: report.failures.length === 0,
            toolExecutionNotifications: notifications(report),
          },
        ],
        results,
        // versionControlProvenance would need the repository URL (required there), which the report lacks.
        properties: { range: { ...report.range }, coverage: { ...report.coverage, filesSkipped: report.coverage.filesSkipped.map((s) => ({ ...s })) }, usage: report.pipelines.map((p) => ({ ...p })) },
      },
    ],
  };
}

export function formatSarif(report: Report): string {
  return JSON.stringify(toSarif(report), null, 2) + '\n';
}

/** The rule takes the level of its first finding, which is its most severe since findings are sorted. */
function ruleFor(f: Finding, report: Report): SarifRule {
  const builtin = f.ruleId.startsWith('builtin/');
  const model = report.pipelines.find((p) => p.name === f.pipeline)?.model;
  const what = builtin
    ? `loom built-in check ${f.ruleId.slice('builtin/'.length)}`
    : `loom review pipeline ${f.pipeline}`;
  const how = builtin
    ? 'A deterministic check that runs on the added lines of the diff, without a model.'
    : `Findings written by a language model${model ? ` (${model})` : ''} following the ${f.pipeline} pipeline's prompt; each result's message explains the specific issue.`;
  return {
    id: f.ruleId,
    name: f.ruleId,
    shortDescription: { text: what },
    fullDescription: { text: `${what}. ${how}` },
    defaultConfiguration: { level: SARIF_LEVEL[f.severity] },
    help: { text: `${how} Configure pipelines in .loom/config.yaml.` },
    properties: { pipeline: f.pipeline },
  };
}

/**
 * SARIF locations describe the new version of a file only. A finding on a removed line (`side: 'old'`) is kept,
 * not dropped or moved to line 1: its region holds the OLD line number, `properties.side` is `old`, and the
 * message says so, so a reader of the alert is not misled by the line it lands on.
 */
function resultFor(f: Finding, ruleIndex: number): SarifResult {
  const end = spanEnd(f);
  const where =
    f.side === 'old'
      ? `\n\n(About line${end ? `s ${f.line}-${end}` : ` ${f.line}`} of the base version, removed by this change.)`
      : '';
  const body = removeHtmlComments(f.body).trim();
  const text = removeHtmlComments(body ? `${f.title}\n\n${body}` : f.title) + where;
  return {
    ruleId: f.ruleId,
    ruleIndex,
    level: SARIF_LEVEL[f.severity],
    message: { text },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodePath(f.path), uriBaseId: SRCROOT },
          region: end === undefined ? { startLine: f.line } : { startLine: f.line, endLine: end },
        },
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
    properties: {
      pipeline: f.pipeline,
      severity: f.severity,
      inDiff: f.inDiff,
      side: f.side,
      ...(f.suggestion !== undefined ? { suggestion: f.suggestion } : {}),
    },
  };
}

/**
 * A repo-relative path as a relative URI reference (RFC 3986): each segment percent-encoded, so spaces, `#`, `%`,
 * non-ASCII and a `:` in the first segment (which would read as a scheme) are all safe. Lone surrogates, which
 * encodeURIComponent rejects, become U+FFFD.
 */
export function encodePath(path: string): string {
  const wellFormed = path.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return wellFormed.split('/').map(encodeURIComponent).join('/');
}

function notifications(report: Report): SarifNotification[] {
  const list: SarifNotification[] = report.failures.map((failure) => ({
    level: 'warning',
    message: { text: `Pipeline ${failure.pipeline} could not review ${failure.files.join(', ')}: ${failure.reason}` },
    properties: { pipeline: failure.pipeline, files: [...failure.files] },
  }));
  if (report.skipped) list.push({ level: 'note', message: { text: `Review skipped: ${report.skipped.reason}` } });
  for (const notice of report.notices) list.push({ level: 'note', message: { text: notice } });
  return list;
}
