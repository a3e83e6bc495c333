import { painter, type Paint, type StyleName } from './ansi.ts';
import { coverageCounts, coverageParts, grouped } from './coverage-parts.ts';
import type { Finding, Severity } from '../../findings/finding.ts';
import type { Report } from '../report.ts';
import type { FormatOptions } from './format-options.ts';
import { firstItems, summariseSkipped } from './list-summaries.ts';
import { groupByPath, lineRange, notInline, shortSha } from './locations.ts';
import { countBySeverity, formatCounts, notReviewedUnits, plural } from './severity-counts.ts';
import { terminalSafe, terminalSafeLine } from './terminal-safe.ts';
import { wrapProse } from './text-wrap.ts';

/** Fixed rather than read from the terminal: formatters are pure, and 100 columns reads well in CI logs too. */
const WIDTH = 100;
const BODY_INDENT = '      ';

/** Human-readable report for a terminal or a CI log. */
export function formatText(report: Report, opts: FormatOptions = {}): string {
  const c = painter(opts.color === true);
  const lines: string[] = [header(report, c), ''];

  if (report.findings.length === 0) lines.push('No findings.', '');
  for (const [path, findings] of groupByPath(report.findings)) {
    lines.push(c(terminalSafeLine(path), 'bold', 'underline'));
    for (const f of findings) lines.push(...findingLines(f, c), '');
  }

  if (report.failures.length > 0) {
    lines.push(c('Not reviewed:', 'bold', 'red'));
    for (const failure of report.failures) {
      const { shown, more } = firstItems(failure.files.map(terminalSafeLine), 5);
      const files = shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
      lines.push(`  ${terminalSafeLine(failure.pipeline)} on ${files}: ${terminalSafeLine(failure.reason)}`);
    }
    lines.push('');
  }
  if (report.notices.length > 0) {
    lines.push(c('Notices:', 'bold'));
    for (const notice of report.notices) lines.push(`  - ${terminalSafeLine(notice)}`);
    lines.push('');
  }
  if (report.skipped) lines.push(c(`Review skipped: ${terminalSafeLine(report.skipped.reason)}`, 'yellow'), '');

  lines.push(coverageLine(report));
  lines.push(...usageLines(report));
  lines.push('', countLine(report, c));
  return lines.join('\n') + '\n';
}

function header(report: Report, c: Paint): string {
  const { baseRef, headRef, baseSha, headSha } = report.range;
  const refs = terminalSafeLine(`${baseRef}...${headRef}`);
  const shas = baseSha && headSha ? c(` (${shortSha(baseSha)}...${shortSha(headSha)})`, 'dim') : '';
  return `${c(`loom ${report.tool.version}`, 'bold')} review of ${refs}${shas}`;
}

const SEVERITY_STYLE: Record<Severity, StyleName[]> = {
  blocker: ['red', 'bold'],
  warning: ['yellow', 'bold'],
  info: ['blue'],
};

function findingLines(f: Finding, c: Paint): string[] {
  const many = f.endLine !== undefined && f.endLine > f.line;
  const where = `${terminalSafeLine(f.path)}:${lineRange(f)}` + (f.side === 'old' ? ` (removed line${many ? 's' : ''})` : '');
  const severity = c(f.severity.toUpperCase().padEnd(7), ...SEVERITY_STYLE[f.severity]);
  const why = notInline(f);
  const outside = why ? c(` (${why})`, 'dim') : '';
  const lines = [`  ${c(where, 'cyan')}  ${severity}  ${c(terminalSafeLine(f.title), 'bold')}${outside}`];
  for (const line of wrapProse(terminalSafe(f.body), WIDTH - BODY_INDENT.length)) {
    lines.push(line === '' ? '' : BODY_INDENT + line);
  }
  if (f.suggestion !== undefined) {
    lines.push(c(`${BODY_INDENT}suggested replacement for line${many ? 's' : ''} ${lineRange(f)}:`, 'dim'));
    const code = terminalSafe(f.suggestion).replace(/\n$/, '');
    for (const line of code.split('\n')) lines.push(`${BODY_INDENT}${c('│', 'dim')} ${c(line, 'green')}`.trimEnd());
  }
  return lines;
}

function coverageLine(report: Report): string {
  const cov = report.coverage;
  let line = `Coverage: reviewed ${coverageCounts(cov)}`;
  for (const part of coverageParts(cov)) line += `; ${part}`;
  const skipped = summariseSkipped(cov.filesSkipped);
  if (skipped.kind === 'files' && skipped.files.length > 0) {
    line += `; skipped: ${skipped.files.map((s) => `${terminalSafeLine(s.path)} (${terminalSafeLine(s.reason)})`).join(', ')}`;
  } else if (skipped.kind === 'reasons') {
    line += `; skipped: ${skipped.reasons.map((r) => `${plural(r.count, 'file')} (${terminalSafeLine(r.reason)})`).join(', ')}`;
  }
  return line;
}

function usageLines(report: Report): string[] {
  if (report.pipelines.length === 0) return [];
  const names = report.pipelines.map((p) => `${terminalSafeLine(p.name)} (${terminalSafeLine(p.model)})`);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'Usage:',
    ...report.pipelines.map(
      (p, i) =>
        `  ${names[i]!.padEnd(width)}  ${plural(p.calls, 'call')}, ${p.failedCalls} failed, ` +
        (p.countedPromptTokens === undefined
          ? `${grouped(p.promptTokens)} prompt + ${grouped(p.completionTokens)} completion tokens`
          : `${grouped(p.countedPromptTokens)} prompt tokens sent by loom's count${p.tokenizer ? ` (${terminalSafeLine(p.tokenizer)})` : ''}; ` +
            `reported: ${grouped(p.promptTokens)} prompt + ${grouped(p.completionTokens)} completion`),
    ),
  ];
}

function countLine(report: Report, c: Paint): string {
  const counts = countBySeverity(report.findings);
  const failed = report.failures.length;
  const line = formatCounts(counts) + (failed > 0 ? `; ${notReviewedUnits(failed)}` : '');
  if (counts.blocker > 0 || failed > 0) return c(line, 'red', 'bold');
  return counts.warning > 0 ? c(line, 'yellow', 'bold') : c(line, 'green', 'bold');
}
