import { SEVERITIES, type Finding, type Severity } from '../../findings/finding.ts';
import type { Report } from '../report.ts';
import { coverageCounts, coverageParts, grouped } from './coverage-parts.ts';
import type { FormatOptions } from './format-options.ts';
import { firstItems, summariseSkipped } from './list-summaries.ts';
import { defuseTitle, sanitizeMarkdownBody } from './markdown-body.ts';
import { codeSpan, fencedBlock, inlineText } from './markdown-escape.ts';
import { lineRange, notInline, shortSha } from './locations.ts';
import { countBySeverity, notReviewedUnits, plural, severityLabel } from './severity-counts.ts';

const ICON: Record<Severity, string> = { blocker: '🔴', warning: '🟡', info: '🔵' };

/**
 * Markdown for a PR summary, a CI artifact or $GITHUB_STEP_SUMMARY. Plain CommonMark + GFM tables only: no
 * platform-specific syntax (```suggestion, alerts), since the same text goes to every platform.
 */
export function formatMarkdown(report: Report, opts: FormatOptions = {}): string {
  const blocks: string[] = ['## loom review'];
  if (report.skipped) blocks.push(`**Review skipped:** ${inlineText(report.skipped.reason)}`);
  blocks.push(verdict(report));

  const inline = report.findings.filter((f) => opts.postedInline?.has(f.fingerprint));
  const full = report.findings.filter((f) => !opts.postedInline?.has(f.fingerprint));
  if (full.length > 0) {
    blocks.push(inline.length > 0 ? '### Findings not posted inline' : '### Findings');
    for (const f of full) blocks.push(...findingBlocks(f));
  }
  if (inline.length > 0) {
    blocks.push('### Posted as inline comments', inline.map((f) => `- ${ICON[f.severity]} ${codeSpan(`${f.path}:${lineRange(f)}`)} ${inlineText(defuseTitle(f.title))}`).join('\n'));
  }
  if (report.failures.length > 0) {
    blocks.push('### Not reviewed', report.failures.map(failureItem).join('\n'));
  }
  if (report.notices.length > 0) {
    blocks.push('### Notices', report.notices.map((n) => `- ${inlineText(n)}`).join('\n'));
  }
  blocks.push(coverageLine(report));
  if (report.pipelines.length > 0) blocks.push(usageDetails(report));
  return blocks.join('\n\n') + '\n';
}

function verdict(report: Report): string {
  const counts = countBySeverity(report.findings);
  const { baseRef, headRef, baseSha, headSha } = report.range;
  const shas = baseSha && headSha ? ` (${codeSpan(shortSha(baseSha))}...${codeSpan(shortSha(headSha))})` : '';
  const range = `on ${codeSpan(`${baseRef}...${headRef}`)}${shas}`;
  const failed = report.failures.length;
  const incomplete = failed > 0 ? ` · ⚠️ **${notReviewedUnits(failed)}**: the review is incomplete` : '';
  if (report.findings.length === 0) return `✅ **No findings** ${range}${incomplete}`;
  const parts = SEVERITIES.map((s) => `${ICON[s]} **${counts[s]} ${severityLabel(s, counts[s])}**`);
  return `${parts.join(' · ')} ${range}${incomplete}`;
}

function findingBlocks(f: Finding): string[] {
  const range = lineRange(f);
  const many = f.endLine !== undefined && f.endLine > f.line;
  const where = f.side === 'old' ? `${codeSpan(f.path)} removed line${many ? 's' : ''} ${range}` : codeSpan(`${f.path}:${range}`);
  const meta = [where, f.severity, inlineText(f.pipeline)];
  const why = notInline(f);
  if (why) meta.push(why);
  const blocks = [`#### ${ICON[f.severity]} ${inlineText(defuseTitle(f.title))}`, meta.join(' · ')];
  const body = sanitizeMarkdownBody(f.body);
  if (body !== '') blocks.push(body);
  if (f.suggestion !== undefined) {
    blocks.push(`Suggested replacement for line${many ? 's' : ''} ${range}:`, fencedBlock(f.suggestion, extension(f.path)));
  }
  return blocks;
}

/** The file extension doubles as the fence's language, which GitHub and GitLab both highlight. */
function extension(path: string): string {
  return /\.([A-Za-z0-9]+)$/.exec(path)?.[1] ?? '';
}

function failureItem(failure: Report['failures'][number]): string {
  const { shown, more } = firstItems(failure.files, 5);
  const files = shown.map((p) => codeSpan(p)).join(', ') + (more > 0 ? ` and ${more} more` : '');
  return `- **${inlineText(failure.pipeline)}** on ${files}: ${inlineText(failure.reason)}`;
}

function coverageLine(report: Report): string {
  const cov = report.coverage;
  let line = `Reviewed ${coverageCounts(cov)}`;
  for (const part of coverageParts(cov)) line += `; ${part}`;
  const skipped = summariseSkipped(cov.filesSkipped);
  if (skipped.kind === 'files' && skipped.files.length > 0) {
    line += `; skipped: ${skipped.files.map((s) => `${codeSpan(s.path)} (${inlineText(s.reason)})`).join(', ')}`;
  } else if (skipped.kind === 'reasons') {
    line += `; skipped: ${skipped.reasons.map((r) => `${plural(r.count, 'file')} (${inlineText(r.reason)})`).join(', ')}`;
  }
  return `${line}.`;
}

function usageDetails(report: Report): string {
  const cell = (s: string) => inlineText(s, { inTable: true });
  const total = report.pipelines.reduce(
    (t, p) => ({
      calls: t.calls + p.calls,
      failed: t.failed + p.failedCalls,
      sent: t.sent + (p.countedPromptTokens ?? 0),
      prompt: t.prompt + p.promptTokens,
      completion: t.completion + p.completionTokens,
    }),
    { calls: 0, failed: 0, sent: 0, prompt: 0, completion: 0 },
  );
  const rows = [
    '| Pipeline | Model | Calls | Failed | Prompt tokens sent | Prompt tokens reported | Completion tokens reported |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...report.pipelines.map(
      (p) =>
        `| ${cell(p.name)} | ${cell(p.model)} | ${grouped(p.calls)} | ${grouped(p.failedCalls)} | ${grouped(p.countedPromptTokens ?? 0)} | ${grouped(p.promptTokens)} | ${grouped(p.completionTokens)} |`,
    ),
    `| **Total** | | ${grouped(total.calls)} | ${grouped(total.failed)} | ${grouped(total.sent)} | ${grouped(total.prompt)} | ${grouped(total.completion)} |`,
  ];
  const tokenizers = [...new Set(report.pipelines.flatMap((p) => (p.tokenizer ? [p.tokenizer] : [])))];
  const note = `Sent: the prompts of the answered calls by loom's count${tokenizers.length > 0 ? ` (${tokenizers.map(cell).join(', ')})` : ''}. Reported: the usage the model's server returned.`;
  const summary = `Model usage: ${plural(total.calls, 'call')}, ${grouped(total.sent)} prompt tokens sent; reported ${grouped(total.prompt)} prompt + ${grouped(total.completion)} completion`;
  // The blank lines inside <details> are what make GitHub and GitLab render the table as markdown.
  return `<details>\n<summary>${summary}</summary>\n\n${rows.join('\n')}\n\n${note}\n\n</details>`;
}
