import { LoomError } from '../errors.ts';
import {
  type BitbucketComment,
  type BitbucketPage,
  type BitbucketPullRequest,
  existingFromComments,
  expandSha,
  inlineCommentBody,
  summaryCommentBody,
} from './bitbucket-comments.ts';
import { createHttp, refusesOnlyThisComment, settled } from './http.ts';
import type { InlineComment, Platform, PlatformFactory, PostedComment, PullRequestInfo } from './types.ts';

export const BITBUCKET_API_URL = 'https://api.bitbucket.org/2.0';
/**
 * Bitbucket Cloud documents no comment size limit, and answers an overlong one with a bare 400. Bitbucket Data
 * Center states its own ("Please enter a non-empty value less than 32768 characters"): staying under it is the
 * cautious choice for Cloud too.
 */
export const BITBUCKET_MAX_BODY_CHARS = 32_000;
export const BITBUCKET_AUTH_HINT =
  "use a repository access token with the 'Pull requests: Write' scope in LOOM_BITBUCKET_TOKEN (app passwords were removed in 2026)";
/** The largest page the comments endpoint serves. */
const PAGE_LEN = 100;

/** Bitbucket Cloud pull requests through REST 2.0: one request per comment, resolvable inline comments. */
export const createBitbucketPlatform: PlatformFactory = (deps) => {
  const { ci, log } = deps;
  const [workspace, slug, ...rest] = ci.repo.split('/');
  if (!workspace || !slug || rest.length > 0 || ci.prNumber === undefined) {
    throw new LoomError('usage', `Bitbucket needs the repository as workspace/slug (got "${ci.repo}") and BITBUCKET_PR_ID (run loom in a pull-requests pipeline)`);
  }
  log.addSecret(deps.token);
  const apiUrl = (ci.apiUrl || BITBUCKET_API_URL).replace(/\/+$/, '');
  const repoPath = `/repositories/${encodeURIComponent(workspace)}/${encodeURIComponent(slug)}`;
  const pr = `${repoPath}/pullrequests/${ci.prNumber}`;
  const http = createHttp({
      baseUrl: apiUrl,
      headers: { authorization: `Bearer ${deps.token}` },
      log,
      ...(deps.fetch && { fetch: deps.fetch }),
      ...(deps.sleep && { sleep: deps.sleep }),
      authHint: BITBUCKET_AUTH_HINT,
    });
  const call = async <T>(method: string, path: string, body?: unknown, query?: Record<string, string | number>): Promise<T> =>
    (await http.request<T>(method, path, { ...(query && { query }), ...(body !== undefined && { body }) })).data;

  /** The merge base is a nicety (the diff can find it locally), so failing to read it is not an error. */
  async function mergeBase(destination: string | undefined, source: string | undefined): Promise<string | undefined> {
    if (!destination || !source) return undefined;
    try {
      // GET /repositories/{workspace}/{repo_slug}/merge-base/{destination}..{source}
      return (await call<{ hash?: string }>('GET', `${repoPath}/merge-base/${destination}..${source}`)).hash;
    } catch (error) {
      log.debug(`bitbucket merge base of ${destination}..${source} unavailable: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  async function listComments(): Promise<BitbucketComment[]> {
    const all: BitbucketComment[] = [];
    const origin = new URL(apiUrl).origin;
    const seen = new Set<string>();
    // GET …/pullrequests/{id}/comments?pagelen=100&q=deleted=false, then each page's `next` link
    let page = await call<BitbucketPage<BitbucketComment>>('GET', `${pr}/comments`, undefined, { pagelen: PAGE_LEN, q: 'deleted=false' });
    for (;;) {
      all.push(...(page.values ?? []));
      const next = page.next;
      if (!next || seen.has(next)) break;
      // The token goes wherever `next` points, so it must stay on the API's own host.
      if (new URL(next).origin !== origin) throw new LoomError('platform-http', `Bitbucket returned a next-page link outside ${origin}: ${next}`);
      seen.add(next);
      page = await call<BitbucketPage<BitbucketComment>>('GET', next);
    }
    return all;
  }

  async function postComment(comment: InlineComment): Promise<string | undefined> {
    try {
      // POST …/pullrequests/{id}/comments
      await call<BitbucketComment>('POST', `${pr}/comments`, inlineCommentBody(comment));
      return undefined;
    } catch (error) {
      if (refusesOnlyThisComment(error)) return `${error.status} ${error.detail}`;
      throw error;
    }
  }

  const platform: Platform = {
    id: 'bitbucket',
    maxBodyChars: BITBUCKET_MAX_BODY_CHARS,
    suggestionStyle: 'diff',
    // Bitbucket renders HTML comments as text.
    markerStyle: 'link-ref',
    canResolve: true,

    async getPullRequest(): Promise<PullRequestInfo> {
      // GET /repositories/{workspace}/{repo_slug}/pullrequests/{id}
      const data = await call<BitbucketPullRequest>('GET', pr);
      const source = data.source?.commit?.hash;
      const destination = data.destination?.commit?.hash;
      const base = await mergeBase(destination, source);
      return {
        title: data.title ?? '',
        description: data.description ?? '',
        author: data.author?.display_name ?? '',
        url: data.links?.html?.href ?? '',
        headSha: expandSha(source, ci.headSha) ?? '',
        ...(destination && { baseSha: destination }),
        ...(base && { mergeBase: base }),
      };
    },

    async listExisting() {
      return existingFromComments(await listComments());
    },

    async postInline(comments) {
      const rejected: { comment: InlineComment; reason: string }[] = [];
      // No batch endpoint: one POST per comment, in order, so a refusal is tied to its comment.
      for (const comment of comments) {
        const reason = await postComment(comment);
        if (reason !== undefined) rejected.push({ comment, reason });
      }
      return { rejected };
    },

    async resolve(comments: PostedComment[]) {
      for (const comment of comments) {
        if (comment.resolved) continue;
        // POST …/pullrequests/{id}/comments/{comment_id}/resolve
        await settled(call('POST', `${pr}/comments/${comment.id}/resolve`), [404, 409]);
      }
    },

    async upsertSummary(body, existing) {
      if (existing) {
        // PUT …/pullrequests/{id}/comments/{comment_id}
        await call('PUT', `${pr}/comments/${existing.id}`, summaryCommentBody(body));
        return;
      }
      // POST …/pullrequests/{id}/comments
      await call('POST', `${pr}/comments`, summaryCommentBody(body));
    },

    async deleteSummaries(ids) {
      for (const id of ids) {
        // DELETE …/pullrequests/{id}/comments/{comment_id}
        await settled(call('DELETE', `${pr}/comments/${id}`), [404, 409]);
      }
    },
  };
  return platform;
};



