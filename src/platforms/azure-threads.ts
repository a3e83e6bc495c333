import { isSummary, readFingerprint } from './markers.ts';
import {
  type AzureComment,
  type AzureThread,
  type AzureThreadCreate,
  commentTypeName,
  FINGERPRINT_PROPERTY,
  readProperty,
  RESOLVED_STATUSES,
  statusName,
  stringProperty,
  SUMMARY_PROPERTY,
} from './azure-api.ts';
import type { Anchor, ExistingComments, InlineComment, PostedComment } from './types.ts';

/** Where a thread sits in the PR's iterations; without it Azure may fail to place the comment on the code. */
export interface ThreadTracking {
  changeTrackingId: number;
  lastIteration: number;
}

export function inlineThreadBody(comment: InlineComment, tracking: ThreadTracking): AzureThreadCreate {
  return {
    comments: [{ parentCommentId: 0, commentType: 'text', content: comment.body }],
    status: 'active',
    threadContext: { filePath: `/${comment.anchor.path}`, ...positions(comment.anchor) },
    pullRequestThreadContext: {
      changeTrackingId: tracking.changeTrackingId,
      // Iteration 1 against the latest is what the web UI sends for a comment made on the full PR diff.
      iterationContext: { firstComparingIteration: 1, secondComparingIteration: tracking.lastIteration },
    },
    properties: { [FINGERPRINT_PROPERTY]: stringProperty(comment.finding.fingerprint) },
  };
}

/**
 * Offset 1 on both ends anchors whole lines: the end offset is exclusive, so the last line of a range shows
 * as its start, which is how the web UI marks a line-level comment.
 */
function positions(anchor: Anchor): NonNullable<AzureThread['threadContext']> {
  const start = { line: anchor.startLine ?? anchor.line, offset: 1 };
  const end = { line: anchor.line, offset: 1 };
  return anchor.side === 'new' ? { rightFileStart: start, rightFileEnd: end } : { leftFileStart: start, leftFileEnd: end };
}

/**
 * A thread with no file context. `closed` rather than `active`: a summary is not something to act on, and an
 * active thread would hold up branch policies that require every comment to be resolved.
 */
export function summaryThreadBody(body: string): AzureThreadCreate {
  return {
    comments: [{ parentCommentId: 0, commentType: 'text', content: body }],
    status: 'closed',
    properties: { [SUMMARY_PROPERTY]: stringProperty('1') },
  };
}

/** The summary's id carries both halves of its address, because Azure edits a comment within a thread. */
export function summaryId(threadId: number | string, commentId: number | string): string {
  return `${threadId}:${commentId}`;
}

export function parseSummaryId(id: string): { threadId: string; commentId: string } {
  const match = /^(\d+):(\d+)$/.exec(id);
  if (!match) throw new Error(`not an Azure summary id (threadId:commentId): ${id}`);
  return { threadId: match[1]!, commentId: match[2]! };
}

/** The thread's opening comment: the others are replies, which may quote loom's text, marker and all. */
function firstComment(thread: AzureThread): AzureComment | undefined {
  const roots = (thread.comments ?? []).filter((c) => !c.parentCommentId);
  return roots.sort((a, b) => (a.id ?? 0) - (b.id ?? 0))[0];
}

/**
 * Finds what loom posted before: the property bag first (it survives edits), the hidden marker as a fallback.
 * A thread someone deleted counts as resolved, so loom neither posts that finding again nor touches it.
 */
export function existingFromThreads(threads: AzureThread[]): ExistingComments {
  const summaries: string[] = [];
  let summaryBody: string | undefined;
  const inline: PostedComment[] = [];
  // Thread ids grow with time, so ascending id order is oldest first.
  for (const thread of [...threads].sort((a, b) => a.id - b.id)) {
    const first = firstComment(thread);
    if (!first || first.id === undefined || commentTypeName(first.commentType) === 'system') continue;
    const content = first.content ?? '';
    const deleted = thread.isDeleted === true || first.isDeleted === true;
    if (readProperty(thread.properties, SUMMARY_PROPERTY) !== undefined || isSummary(content)) {
      if (deleted) continue;
      if (summaries.length === 0) summaryBody = content;
      summaries.push(summaryId(thread.id, first.id));
      continue;
    }
    const fingerprint = readProperty(thread.properties, FINGERPRINT_PROPERTY) ?? readFingerprint(content);
    if (!fingerprint) continue;
    inline.push({
      id: String(first.id),
      threadId: String(thread.id),
      fingerprint,
      resolved: deleted || RESOLVED_STATUSES.has(statusName(thread.status)),
    });
  }
  const [first, ...extra] = summaries;
  return {
    ...(first !== undefined && { summary: { id: first, body: summaryBody ?? '' } }),
    extraSummaries: extra,
    inline,
  };
}
