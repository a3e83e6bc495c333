import { Octokit } from '@octokit/rest';
import { VERSION } from '../version.ts';
import { pickSummary, postBisected, prNumberOf, splitRepo } from './github-common.ts';
import { installGitHubRequestHook } from './github-request.ts';
import { PlatformHttpError } from './http.ts';
import { isSummary, readFingerprint } from './markers.ts';
import type { InlineComment, Platform, PlatformFactory, PostedComment } from './types.ts';

/** GitHub refuses bodies over 65,536 characters; the margin leaves room for markers added after truncation. */
const MAX_BODY_CHARS = 60_000;

export const createGitHubPlatform: PlatformFactory = (deps) => {
  deps.log.addSecret(deps.token);
  const { owner, repo } = splitRepo(deps.ci.repo);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // Octokit's request-log plugin reports every failure at error level; loom turns failures into its own errors.
  const octokitLog = { debug: () => {}, info: (m: unknown) => deps.log.debug(String(m)), warn: (m: unknown) => deps.log.warn(String(m)), error: (m: unknown) => deps.log.debug(String(m)) };
  const octokit = new Octokit({
    auth: deps.token,
    baseUrl: deps.ci.apiUrl,
    userAgent: `loom/${VERSION}`,
    log: octokitLog,
    request: { ...(deps.fetch ? { fetch: deps.fetch } : {}), log: octokitLog },
  });
  installGitHubRequestHook(octokit, { log: deps.log, sleep });
  const pr = () => ({ owner, repo, pull_number: prNumberOf(deps.ci) });
  const issue = () => ({ owner, repo, issue_number: prNumberOf(deps.ci) });

  const createReview = async (batch: InlineComment[], headSha: string) => {
    // POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews
    await octokit.rest.pulls.createReview({
      ...pr(),
      commit_id: headSha,
      // Without an event the review would stay PENDING (invisible, and it blocks the next run); COMMENT needs a body.
      event: 'COMMENT',
      body: `loom: ${batch.length} comment${batch.length === 1 ? '' : 's'}`,
      comments: batch.map(toReviewComment),
    });
  };

  /** A crashed run can leave a PENDING review, and GitHub allows one per user and PR; only its author can see it. */
  const deletePendingReviews = async () => {
    // GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews
    const reviews = await allPages((page) => octokit.rest.pulls.listReviews({ ...pr(), per_page: PAGE, page }));
    for (const review of reviews.filter((r) => r.state === 'PENDING')) {
      deps.log.debug(`deleting pending review ${review.id} left by an earlier run`);
      // DELETE /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}
      await octokit.rest.pulls.deletePendingReview({ ...pr(), review_id: review.id });
    }
  };

  const platform: Platform = {
    id: 'github',
    maxBodyChars: MAX_BODY_CHARS,
    suggestionStyle: 'github',
    markerStyle: 'html',
    canResolve: false,

    async getPullRequest() {
      // GET /repos/{owner}/{repo}/pulls/{pull_number}
      const { data } = await octokit.rest.pulls.get(pr());
      return {
        title: data.title,
        description: data.body ?? '',
        author: data.user?.login ?? '',
        url: data.html_url,
        headSha: data.head.sha,
        baseSha: data.base.sha,
      };
    },

    async listExisting() {
      // GET /repos/{owner}/{repo}/issues/{issue_number}/comments
      const issueComments = await allPages((page) => octokit.rest.issues.listComments({ ...issue(), per_page: PAGE, page }));
      // GET /repos/{owner}/{repo}/pulls/{pull_number}/comments
      const reviewComments = await allPages((page) => octokit.rest.pulls.listReviewComments({ ...pr(), per_page: PAGE, page }));
      const summaries = issueComments
        .filter((c) => c.body !== undefined && isSummary(c.body))
        .sort((a, b) => a.id - b.id)
        .map((c) => ({ id: String(c.id), body: c.body ?? '', author: c.user?.login }));
      const inline: PostedComment[] = [];
      for (const c of reviewComments) {
        const fingerprint = readFingerprint(c.body);
        if (fingerprint) inline.push({ id: String(c.id), fingerprint, resolved: false });
      }
      return pickSummary(summaries, inline);
    },

    async postInline(comments, ctx) {
      let pendingCleared = false;
      const rejected = await postBisected(comments, {
        post: async (batch) => {
          try {
            await createReview(batch, ctx.headSha);
          } catch (error) {
            if (pendingCleared || !isPendingConflict(error)) throw error;
            pendingCleared = true;
            await deletePendingReviews();
            await createReview(batch, ctx.headSha);
          }
        },
        refusal: (error) => (error instanceof PlatformHttpError && error.status === 422 && !isPendingConflict(error) ? error.detail : undefined),
      });
      return { rejected };
    },

    async resolve() {
      // GitHub's REST API cannot resolve review threads (canResolve is false, so this is never called).
    },

    async upsertSummary(body, existing) {
      if (existing) {
        try {
          // PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}
          await octokit.rest.issues.updateComment({ owner, repo, comment_id: Number(existing.id), body });
          return;
        } catch (error) {
          // Someone deleted the summary since listExisting: post a new one rather than fail the run.
          if (!(error instanceof PlatformHttpError && error.status === 404)) throw error;
        }
      }
      // POST /repos/{owner}/{repo}/issues/{issue_number}/comments
      await octokit.rest.issues.createComment({ ...issue(), body });
    },

    async deleteSummaries(ids) {
      for (const id of ids) {
        try {
          // DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}
          await octokit.rest.issues.deleteComment({ owner, repo, comment_id: Number(id) });
        } catch (error) {
          if (!(error instanceof PlatformHttpError && error.status === 404)) throw error;
        }
      }
    },
  };
  return platform;
};

function toReviewComment(comment: InlineComment) {
  const { anchor } = comment;
  const side = anchor.side === 'new' ? ('RIGHT' as const) : ('LEFT' as const);
  const range = anchor.startLine !== undefined && anchor.startLine < anchor.line;
  return {
    path: anchor.path,
    body: comment.body,
    line: anchor.line,
    side,
    ...(range ? { start_line: anchor.startLine, start_side: side } : {}),
  };
}

function isPendingConflict(error: unknown): boolean {
  return error instanceof PlatformHttpError && error.status === 422 && /one pending review/i.test(error.detail);
}

const PAGE = 100;

/**
 * Pages through a list. Not octokit.paginate: it answers a 409 with an empty list, and an empty list of earlier
 * comments would make loom post everything again.
 */
async function allPages<T>(fetchPage: (page: number) => Promise<{ data: T[] }>): Promise<T[]> {
  const all: T[] = [];
  // 100 pages of 100 is far beyond any real pull request; the cap only stops a server that never ends.
  for (let page = 1; page <= 100; page++) {
    const { data } = await fetchPage(page);
    all.push(...data);
    if (data.length < PAGE) break;
  }
  return all;
}
