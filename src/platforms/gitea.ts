import { pickSummary, postBisected, prNumberOf, splitRepo } from './github-common.ts';
import { createHttp, PlatformHttpError, type HttpClient } from './http.ts';
import { isSummary, readFingerprint } from './markers.ts';
import type { InlineComment, Platform, PlatformFactory, PostedComment } from './types.ts';

/** Gitea documents no body limit; GitHub's, with its margin, is a safe guess. */
const MAX_BODY_CHARS = 60_000;
/** Gitea's default MAX_RESPONSE_ITEMS; a larger limit is silently capped, which would end paging early. */
const PAGE_LIMIT = 50;
/** Guards against an instance that ignores `page` and answers every page with the same full list. */
const MAX_PAGES = 200;
/**
 * Marks the reviews loom creates, so a re-run fetches the comments of its own reviews only (one request per
 * review) instead of every review on the PR.
 */
export const REVIEW_MARKER = '<!-- loom:review -->';

interface GiteaUser {
  login?: string;
}
interface GiteaComment {
  id: number;
  body?: string;
  user?: GiteaUser | null;
}
interface GiteaReview {
  id: number;
  body?: string;
  comments_count?: number;
}
interface GiteaReviewComment {
  id: number;
  body?: string;
  resolver?: GiteaUser | null;
}
interface GiteaPullRequest {
  title: string;
  body?: string | null;
  user?: GiteaUser | null;
  html_url: string;
  head: { sha: string };
  base: { sha: string };
  merge_base?: string;
}

export const createGiteaPlatform: PlatformFactory = (deps) => {
  deps.log.addSecret(deps.token);
  const { owner, repo } = splitRepo(deps.ci.repo);
  const http = createHttp({
    baseUrl: deps.ci.apiUrl,
    headers: { authorization: `token ${deps.token}` },
    log: deps.log,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  const base = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  const pulls = () => `${base}/pulls/${prNumberOf(deps.ci)}`;
  const issues = () => `${base}/issues/${prNumberOf(deps.ci)}`;
  const forgejo = deps.ci.ci === 'forgejo-actions';

  const platform: Platform = {
    id: 'gitea',
    maxBodyChars: MAX_BODY_CHARS,
    suggestionStyle: 'diff',
    markerStyle: 'html',
    canResolve: false,

    async getPullRequest() {
      // GET /repos/{owner}/{repo}/pulls/{index}
      const { data } = await http.request<GiteaPullRequest>('GET', pulls());
      return {
        title: data.title,
        description: data.body ?? '',
        author: data.user?.login ?? '',
        url: data.html_url,
        headSha: data.head.sha,
        baseSha: data.base.sha,
        ...(data.merge_base ? { mergeBase: data.merge_base } : {}),
      };
    },

    async listExisting() {
      // GET /repos/{owner}/{repo}/issues/{index}/comments
      const comments = await listPages<GiteaComment>(http, `${issues()}/comments`);
      const summaries = comments
        .filter((c) => c.body !== undefined && isSummary(c.body))
        .sort((a, b) => a.id - b.id)
        .map((c) => ({ id: String(c.id), body: c.body ?? '', author: c.user?.login }));
      // GET /repos/{owner}/{repo}/pulls/{index}/reviews
      const reviews = await listPages<GiteaReview>(http, `${pulls()}/reviews`);
      const inline: PostedComment[] = [];
      for (const review of reviews) {
        if (!review.body?.includes(REVIEW_MARKER) || review.comments_count === 0) continue;
        // GET /repos/{owner}/{repo}/pulls/{index}/reviews/{id}/comments
        const { data } = await http.request<GiteaReviewComment[]>('GET', `${pulls()}/reviews/${review.id}/comments`);
        for (const c of data ?? []) {
          const fingerprint = readFingerprint(c.body ?? '');
          // Gitea lets a reader resolve a conversation; the pipeline decides what that means for a re-run.
          if (fingerprint) inline.push({ id: String(c.id), fingerprint, resolved: Boolean(c.resolver) });
        }
      }
      return pickSummary(summaries, inline);
    },

    async postInline(comments, ctx) {
      const rejected = await postBisected(comments, {
        post: async (batch) => {
          // POST /repos/{owner}/{repo}/pulls/{index}/reviews
          await http.request('POST', `${pulls()}/reviews`, {
            body: {
              commit_id: ctx.headSha,
              event: 'COMMENT',
              body: `loom: ${batch.length} comment${batch.length === 1 ? '' : 's'}\n\n${REVIEW_MARKER}`,
              comments: batch.map((c) => toReviewComment(c, forgejo)),
            },
          });
        },
        refusal: (error) => (error instanceof PlatformHttpError && error.status === 422 ? error.detail : undefined),
      });
      return { rejected };
    },

    async resolve() {
      // Gitea's API has no endpoint to resolve a conversation (canResolve is false, so this is never called).
    },

    async upsertSummary(body, existing) {
      if (existing) {
        try {
          // PATCH /repos/{owner}/{repo}/issues/comments/{id}
          await http.request('PATCH', `${base}/issues/comments/${encodeURIComponent(existing.id)}`, { body: { body } });
          return;
        } catch (error) {
          // Someone deleted the summary since listExisting: post a new one rather than fail the run.
          if (!(error instanceof PlatformHttpError && error.status === 404)) throw error;
        }
      }
      // POST /repos/{owner}/{repo}/issues/{index}/comments
      await http.request('POST', `${issues()}/comments`, { body: { body } });
    },

    async deleteSummaries(ids) {
      for (const id of ids) {
        try {
          // DELETE /repos/{owner}/{repo}/issues/comments/{id}
          await http.request('DELETE', `${base}/issues/comments/${encodeURIComponent(id)}`);
        } catch (error) {
          if (!(error instanceof PlatformHttpError && error.status === 404)) throw error;
        }
      }
    },
  };
  return platform;
};

/**
 * `new_position` / `old_position` are file line numbers despite their names; the unused side is 0. Forgejo's
 * `extra_lines_count` counts lines after the commented one, so a range is anchored on its first line there;
 * Gitea has no ranges and gets the last line, where GitHub would show the comment.
 */
export function toReviewComment(comment: InlineComment, forgejo: boolean) {
  const { anchor } = comment;
  const range = forgejo && anchor.startLine !== undefined && anchor.startLine < anchor.line;
  const line = range ? anchor.startLine! : anchor.line;
  return {
    path: anchor.path,
    body: comment.body,
    new_position: anchor.side === 'new' ? line : 0,
    old_position: anchor.side === 'old' ? line : 0,
    ...(range ? { extra_lines_count: anchor.line - anchor.startLine! } : {}),
  };
}

/**
 * Pages with `page`/`limit` until a short page. Gitea's issue-comments endpoint ignores both and returns
 * everything, so a page that brings nothing new also ends the walk.
 */
async function listPages<T extends { id: number }>(http: HttpClient, path: string): Promise<T[]> {
  const seen = new Set<number>();
  const all: T[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { data } = await http.request<T[]>('GET', path, { query: { page, limit: PAGE_LIMIT } });
    const items = Array.isArray(data) ? data : [];
    const fresh = items.filter((item) => !seen.has(item.id));
    for (const item of fresh) {
      seen.add(item.id);
      all.push(item);
    }
    if (items.length < PAGE_LIMIT || fresh.length === 0) break;
  }
  return all;
}
