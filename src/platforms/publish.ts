import type { DiffIndex } from '../findings/diff-index.ts';
import type { Logger } from '../log.ts';
import type { Report } from '../report/report.ts';
import { PlatformHttpError } from './http.ts';
import { anchorFor, renderInlineBody } from './inline.ts';
import { renderSummary } from './summary.ts';
import type { InlineComment, Platform } from './types.ts';

export interface PublishOutcome {
  posted: number;
  alreadyPosted: number;
  /** Findings that went into the summary: not on a commentable line, or refused by the platform. */
  inSummary: number;
  rejected: number;
  resolved: number;
  /** Earlier comments whose finding is gone, on a platform that cannot resolve them. */
  outdated: number;
}

/**
 * The re-run algorithm, the same for every platform: list what loom posted before, post only new
 * fingerprints on commentable lines, move everything else into the one summary, resolve (or report) what
 * disappeared, and edit the summary in place.
 */
export async function publishReport(report: Report, platform: Platform, ctx: { index: DiffIndex; headSha: string; log: Logger }): Promise<PublishOutcome> {
  const existing = await platform.listExisting();
  const previous = new Map(existing.inline.map((c) => [c.fingerprint, c]));
  const current = new Set(report.findings.map((f) => f.fingerprint));
  const postedInline = new Set<string>();
  const candidates: InlineComment[] = [];
  let inSummary = 0;
  for (const finding of report.findings) {
    if (previous.has(finding.fingerprint)) {
      postedInline.add(finding.fingerprint);
      continue;
    }
    const anchor = anchorFor(finding, ctx.index);
    if (!anchor) {
      inSummary++;
      continue;
    }
    const body = renderInlineBody(finding, anchor, { suggestionStyle: platform.suggestionStyle, markerStyle: platform.markerStyle, maxChars: platform.maxBodyChars, index: ctx.index });
    candidates.push({ finding, anchor, body });
  }

  const notices: string[] = [];
  let rejected: { comment: InlineComment; reason: string }[] = [];
  let batchFailed = false;
  if (candidates.length > 0) {
    try {
      rejected = (await platform.postInline(candidates, { headSha: ctx.headSha })).rejected;
    } catch (error) {
      if (error instanceof PlatformHttpError && (error.status === 401 || error.status === 403)) throw error;
      // The summary still carries every finding, so a failed batch loses nothing.
      rejected = candidates.map((comment) => ({ comment, reason: error instanceof Error ? error.message : String(error) }));
      batchFailed = true;
      ctx.log.warn(`posting inline comments failed; all ${candidates.length} go into the summary: ${ctx.log.redact(rejected[0]!.reason)}`);
    }
  }
  const refused = new Set(rejected.map((r) => r.comment.finding.fingerprint));
  for (const c of candidates) if (!refused.has(c.finding.fingerprint)) postedInline.add(c.finding.fingerprint);
  if (batchFailed) {
    notices.push(`Posting inline comments to ${platform.id} failed, so all ${rejected.length} new finding(s) are listed here in full.`);
  } else if (rejected.length > 0) {
    for (const r of rejected) ctx.log.warn(`${platform.id} refused an inline comment on ${r.comment.anchor.path}:${r.comment.anchor.line}: ${ctx.log.redact(r.reason)}`);
    notices.push(`${rejected.length} finding(s) could not be posted inline (${platform.id} refused the line), so they are listed here in full.`);
  }

  const gone = existing.inline.filter((c) => !current.has(c.fingerprint) && !c.resolved);
  let resolved = 0;
  let outdated = 0;
  if (gone.length > 0 && platform.canResolve) {
    try {
      await platform.resolve(gone);
      resolved = gone.length;
    } catch (error) {
      ctx.log.warn(`could not resolve ${gone.length} outdated comment thread(s): ${ctx.log.redact(error instanceof Error ? error.message : String(error))}`);
      outdated = gone.length;
    }
  } else {
    outdated = gone.length;
  }
  if (resolved > 0) notices.push(`${resolved} earlier comment thread(s) were resolved: their findings no longer appear.`);
  if (outdated > 0) notices.push(`${outdated} earlier inline comment(s) are outdated: their findings no longer appear in this revision.`);

  const summary = renderSummary({ ...report, notices: [...report.notices, ...notices] }, { postedInline, markerStyle: platform.markerStyle, maxChars: platform.maxBodyChars });
  try {
    await platform.upsertSummary(summary, existing.summary);
  } catch (error) {
    // A summary loom may not edit (someone else's comment that forged the marker) must not cost the summary.
    if (!existing.summary || !(error instanceof PlatformHttpError) || (error.status !== 403 && error.status !== 404)) throw error;
    ctx.log.warn(`could not edit the earlier summary (${error.status}); posting a new one`);
    await platform.upsertSummary(summary);
  }
  if (existing.extraSummaries.length > 0) {
    await platform.deleteSummaries(existing.extraSummaries).catch((error: unknown) => ctx.log.warn(`could not delete duplicate summaries: ${ctx.log.redact(String(error))}`));
  }
  return {
    posted: candidates.length - rejected.length,
    alreadyPosted: report.findings.length - candidates.length - inSummary,
    inSummary: inSummary + rejected.length,
    rejected: rejected.length,
    resolved,
    outdated,
  };
}
