import { isSummary, readFingerprint } from './markers.ts';
import type { ExistingComments, InlineComment, PostedComment } from './types.ts';

/** The slices of Bitbucket Cloud REST 2.0 loom reads and writes (names as in swagger.v3.json). */
export interface BitbucketPullRequest {
  id?: number;
  title?: string;
  description?: string;
  author?: { display_name?: string };
  links?: { html?: { href?: string } };
  source?: { commit?: { hash?: string } };
  destination?: { commit?: { hash?: string } };
}

export interface BitbucketInline {
  path: string;
  from?: number;
  to?: number;
  start_from?: number;
  start_to?: number;
}

export interface BitbucketComment {
  id: number;
  created_on?: string;
  content?: { raw?: string };
  deleted?: boolean;
  inline?: BitbucketInline | null;
  parent?: { id?: number } | null;
  resolution?: { type?: string } | null;
}

export interface BitbucketPage<T> {
  values?: T[];
  next?: string;
}

/** The body of POST …/comments: `to` lines are on the new side, `from` lines on the old side. */
export function inlineCommentBody(comment: InlineComment): { content: { raw: string }; inline: BitbucketInline } {
  const { anchor } = comment;
  const range = anchor.startLine !== undefined && anchor.startLine < anchor.line;
  const inline: BitbucketInline =
    anchor.side === 'new'
      ? { path: anchor.path, ...(range && { start_to: anchor.startLine }), to: anchor.line }
      : { path: anchor.path, ...(range && { start_from: anchor.startLine }), from: anchor.line };
  return { content: { raw: comment.body }, inline };
}

export function summaryCommentBody(body: string): { content: { raw: string } } {
  return { content: { raw: body } };
}

/**
 * Finds what loom posted before by its hidden markers. Replies are skipped: they may quote loom's text,
 * marker included. The summary is a top-level comment without `inline`; the oldest wins.
 */
export function existingFromComments(comments: BitbucketComment[]): ExistingComments {
  const summaries: BitbucketComment[] = [];
  const inline: PostedComment[] = [];
  for (const comment of comments) {
    if (comment.deleted || comment.parent) continue;
    const raw = comment.content?.raw ?? '';
    if (!comment.inline && isSummary(raw)) {
      summaries.push(comment);
      continue;
    }
    const fingerprint = readFingerprint(raw);
    if (fingerprint) inline.push({ id: String(comment.id), fingerprint, resolved: Boolean(comment.resolution) });
  }
  // Comment ids grow with time, so ascending id order is oldest first.
  summaries.sort((a, b) => a.id - b.id);
  const [first, ...extra] = summaries;
  return {
    ...(first && { summary: { id: String(first.id), body: first.content?.raw ?? '' } }),
    extraSummaries: extra.map((c) => String(c.id)),
    inline,
  };
}

/**
 * Bitbucket often reports 12-character hashes. When the CI's full hash starts with the API's short one they are
 * the same commit, and the full one is what git and the rest of loom need.
 */
export function expandSha(apiHash: string | undefined, fullFromCi: string | undefined): string | undefined {
  if (!apiHash) return fullFromCi;
  if (fullFromCi && fullFromCi.length > apiHash.length && fullFromCi.toLowerCase().startsWith(apiHash.toLowerCase())) return fullFromCi;
  return apiHash;
}
