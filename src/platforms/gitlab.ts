import { MergeRequestDiscussions, MergeRequestNotes, MergeRequests, Users } from '@gitbeaker/rest';
import { LoomError } from '../errors.ts';
import { findInline, findSummaries, type GitLabDiscussion, type GitLabNote } from './gitlab-existing.ts';
import { type DiffRefs, textPosition } from './gitlab-position.ts';
import { createGitLabRequester } from './gitlab-requester.ts';
import { PlatformHttpError } from './http.ts';
import type { InlineComment, Platform, PlatformFactory, PostedComment, PullRequestInfo } from './types.ts';

/** GitLab's note limit is 1,000,000 characters; the margin covers the marker and counting differences. */
const MAX_BODY_CHARS = 1_000_000 - 1_000;
/** GitLab fills diff_refs in the background right after an MR is created; one short wait is usually enough. */
const DIFF_REFS_RETRY_MS = 3_000;
const PER_PAGE = 100;
/** 200 pages of 100: far beyond any real MR, and a stop if a proxy keeps answering with the same next page. */
const MAX_PAGES = 200;

interface GitLabMergeRequest {
  title: string;
  description: string | null;
  author?: { username?: string };
  web_url: string;
  sha: string;
  diff_refs: DiffRefs | null;
}

interface DiffVersion {
  head_commit_sha: string;
  base_commit_sha: string;
  start_commit_sha: string;
}

interface Page<T> {
  data: T[];
  paginationInfo: { next: number | null };
}

/**
 * GitLab merge requests through gitbeaker (REST v4). Inline comments are one diff discussion each, not draft
 * notes: bulk_publish publishes every pending draft of the token's user (a human's unfinished review too, when
 * loom runs with a personal token) and a draft with a bad position can fail the whole publish.
 */
export const createGitLabPlatform: PlatformFactory = (deps) => {
  const { ci, log } = deps;
  log.addSecret(deps.token);
  if (ci.prNumber === undefined) throw new LoomError('usage', 'GitLab: no merge request iid (CI_MERGE_REQUEST_IID is not set; run loom in a merge request pipeline)');
  const iid = ci.prNumber;
  const project = projectRef(ci.repo);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const requesterFn = createGitLabRequester({ fetch: deps.fetch ?? fetch, sleep, log, ...(ci.tokenVar !== undefined && { tokenVar: ci.tokenVar }) });
  // queryTimeout null: gitbeaker's timeout spans all retries of a call; the requester times each attempt instead.
  const options = { host: gitlabHost(ci.apiUrl), token: deps.token, requesterFn, queryTimeout: null };
  const mergeRequests = new MergeRequests(options);
  const notes = new MergeRequestNotes(options);
  const discussions = new MergeRequestDiscussions(options);
  const users = new Users(options);
  let userId: number | undefined;

  // GET /projects/:id/merge_requests/:iid
  async function loadMergeRequest(): Promise<GitLabMergeRequest> {
    const mr = (await mergeRequests.show(project, iid)) as unknown as GitLabMergeRequest;
    if (mr.diff_refs) return mr;
    log.debug(`GitLab has no diff_refs for !${iid} yet; asking again in ${DIFF_REFS_RETRY_MS / 1000} s`);
    await sleep(DIFF_REFS_RETRY_MS);
    return (await mergeRequests.show(project, iid)) as unknown as GitLabMergeRequest;
  }

  // GET /user: loom's own notes are the ones this token's user wrote.
  async function currentUserId(): Promise<number> {
    userId ??= ((await users.showCurrentUser()) as unknown as { id: number }).id;
    return userId;
  }

  /**
   * The diff version loom's line numbers belong to. When the MR got a push during the run, diff_refs describe a
   * diff loom never saw: mixing its base/start with the reviewed head names no version GitLab knows (400
   * "line_code can't be blank") or lands on the wrong lines. So loom anchors on the version whose head is the
   * reviewed commit (GitLab shows such threads "on an old version of the diff"), and when there is none every
   * comment is returned as rejected, which puts it in the summary.
   */
  // GET /projects/:id/merge_requests/:iid, then GET /projects/:id/merge_requests/:iid/versions if the head moved
  async function refsFor(headSha: string): Promise<{ refs: DiffRefs } | { reason: string }> {
    const mr = await loadMergeRequest();
    const current = mr.diff_refs;
    if (current && sameSha(current.head_sha, headSha)) return { refs: current };
    const versions = (await mergeRequests.allDiffVersions(project, iid)) as unknown as DiffVersion[];
    const reviewed = versions.find((v) => sameSha(v.head_commit_sha, headSha));
    const moved = current ? `!${iid} received new commits during the review (head is now ${short(current.head_sha)}, loom reviewed ${short(headSha)})` : undefined;
    if (reviewed) {
      if (moved) log.warn(`${moved}: anchoring inline comments on the reviewed version of the diff`);
      return { refs: { base_sha: reviewed.base_commit_sha, start_sha: reviewed.start_commit_sha, head_sha: reviewed.head_commit_sha } };
    }
    const reason = moved ?? `GitLab has no diff version for ${short(headSha)} (diff_refs is still empty)`;
    log.warn(`${reason}: inline comments go into the summary`);
    return { reason };
  }

  // POST /projects/:id/merge_requests/:iid/discussions
  async function postDiscussion(comment: InlineComment, refs: DiffRefs): Promise<void> {
    // JSON, not gitbeaker's create(): that form-encodes the position by splitting on '&', mangling such paths.
    const endpoint = `projects/${encodeURIComponent(project)}/merge_requests/${iid}/discussions`;
    const response = await mergeRequests.requester.post(endpoint, { body: { body: comment.body, position: textPosition(comment.anchor, refs) } });
    const first = (response.body as Partial<GitLabDiscussion> | null)?.notes?.[0];
    if (first && first.type !== 'DiffNote') log.warn(`GitLab kept the comment on ${comment.anchor.path}:${comment.anchor.line} as a general thread, not on the line`);
  }

  // GET /projects/:id/merge_requests/:iid/notes and …/discussions, page by page via x-next-page
  async function allPages<T>(what: string, fetchPage: (page: number) => Promise<unknown>): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1, count = 1; ; count++) {
      const { data, paginationInfo } = (await fetchPage(page)) as Page<T>;
      items.push(...data);
      const next = paginationInfo.next;
      if (!next || next <= page) return items;
      if (count >= MAX_PAGES) {
        log.warn(`GitLab: stopped listing ${what} after ${MAX_PAGES} pages`);
        return items;
      }
      page = next;
    }
  }

  const platform: Platform = {
    id: 'gitlab',
    maxBodyChars: MAX_BODY_CHARS,
    suggestionStyle: 'gitlab',
    markerStyle: 'html',
    canResolve: true,

    // GET /projects/:id/merge_requests/:iid
    async getPullRequest(): Promise<PullRequestInfo> {
      const mr = await loadMergeRequest();
      return {
        title: mr.title,
        description: mr.description ?? '',
        author: mr.author?.username ?? '',
        url: mr.web_url,
        headSha: mr.sha,
        // start_sha is the target branch tip the diff was taken against; base_sha the merge base.
        ...(mr.diff_refs && { baseSha: mr.diff_refs.start_sha, mergeBase: mr.diff_refs.base_sha }),
      };
    },

    // GET /user, GET /projects/:id/merge_requests/:iid/notes, GET /projects/:id/merge_requests/:iid/discussions
    async listExisting() {
      const author = await currentUserId();
      const allNotes = await allPages<GitLabNote>('notes', (page) =>
        notes.all(project, iid, { perPage: PER_PAGE, page, sort: 'asc', orderBy: 'created_at', showExpanded: true }),
      );
      const threads = await allPages<GitLabDiscussion>('discussions', (page) => discussions.all(project, iid, { perPage: PER_PAGE, page, showExpanded: true }));
      return { ...findSummaries(allNotes, author), inline: findInline(threads, author) };
    },

    // POST /projects/:id/merge_requests/:iid/discussions, one per comment (see refsFor for the SHAs)
    async postInline(comments, ctx) {
      if (comments.length === 0) return { rejected: [] };
      const target = await refsFor(ctx.headSha);
      if ('reason' in target) return { rejected: comments.map((comment) => ({ comment, reason: target.reason })) };
      const rejected: { comment: InlineComment; reason: string }[] = [];
      for (const comment of comments) {
        try {
          await postDiscussion(comment, target.refs);
        } catch (error) {
          if (!isPerComment(error)) throw error;
          rejected.push({ comment, reason: error instanceof PlatformHttpError ? error.detail : error.message });
        }
      }
      return { rejected };
    },

    // PUT /projects/:id/merge_requests/:iid/discussions/:discussion_id?resolved=true
    async resolve(comments: PostedComment[]) {
      await forEachTolerant(comments.filter((c) => c.threadId !== undefined), (c) => discussions.resolve(project, iid, c.threadId!, true));
    },

    // PUT /projects/:id/merge_requests/:iid/notes/:note_id, or POST /projects/:id/merge_requests/:iid/notes
    async upsertSummary(body, existing) {
      if (existing) {
        try {
          await notes.edit(project, iid, Number(existing.id), { body });
          return;
        } catch (error) {
          // Deleted since listExisting: post a new one rather than lose the summary.
          if (!(error instanceof PlatformHttpError && error.status === 404)) throw error;
        }
      }
      await notes.create(project, iid, body);
    },

    // DELETE /projects/:id/merge_requests/:iid/notes/:note_id
    async deleteSummaries(ids) {
      await forEachTolerant(ids, (id) => notes.remove(project, iid, Number(id)));
    },
  };
  return platform;
};

/** gitbeaker wants the instance root: CI_API_V4_URL minus `/api/v4` (which may sit under a relative URL root). */
export function gitlabHost(apiUrl: string): string {
  const match = /^(https?:\/\/.+?)\/api\/v4\/*$/.exec(apiUrl.trim());
  if (!match) throw new LoomError('usage', `GitLab API URL ${apiUrl} does not end in /api/v4 (it normally comes from CI_API_V4_URL)`);
  return match[1]!;
}

/** The project id, or its full path unencoded: gitbeaker encodes it (group/sub/proj → group%2Fsub%2Fproj). */
export function projectRef(repo: string): string {
  return /%2f/i.test(repo) ? decodeURIComponent(repo) : repo;
}

/** A refused anchor, a rate limit that outlasted its retries or a server error costs one comment; auth and a missing MR stop the batch. */
function isPerComment(error: unknown): error is LoomError {
  if (error instanceof PlatformHttpError) return error.status !== 401 && error.status !== 403 && error.status !== 404;
  return error instanceof LoomError;
}

/**
 * Runs every call: one failure does not keep the others from being tried, and a 404 means already gone. A refused
 * token stops at once (every other call would be refused too); any other failure is thrown after the rest.
 */
async function forEachTolerant<T>(items: T[], call: (item: T) => Promise<unknown>): Promise<void> {
  let failure: unknown;
  for (const item of items) {
    try {
      await call(item);
    } catch (error) {
      if (error instanceof PlatformHttpError && error.status === 404) continue;
      if (error instanceof PlatformHttpError && (error.status === 401 || error.status === 403)) throw error;
      failure ??= error;
    }
  }
  if (failure !== undefined) throw failure;
}

function sameSha(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function short(sha: string): string {
  return sha.slice(0, 8);
}
