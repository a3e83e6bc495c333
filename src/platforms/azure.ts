import { LoomError } from '../errors.ts';
import type { AzureIteration, AzureIterationChanges, AzurePullRequest, AzureThread, AzureThreadCreate } from './azure-api.ts';
import { existingFromThreads, inlineThreadBody, parseSummaryId, summaryThreadBody } from './azure-threads.ts';
import { createHttp, refusesOnlyThisComment, settled } from './http.ts';
import type { InlineComment, Platform, PlatformFactory, PostedComment, PullRequestInfo } from './types.ts';

/**
 * The 7.1 description states no limit on comment content, but the service refuses a longer one with "A discussion
 * comment cannot be longer than 150000 characters. Parameter name: comment.Content" (a .NET string length: UTF-16
 * code units, as a JavaScript string's length counts).
 */
export const AZURE_MAX_BODY_CHARS = 150_000;
export const AZURE_API_VERSION = '7.1';
export const AZURE_AUTH_HINT =
  "map the token with `env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)` and grant the build service 'Contribute to pull requests' " +
  'on the repository (Project settings > Repositories > Security)';
/** The largest page the iteration changes endpoint serves. */
const CHANGES_PAGE = 2000;

/** Azure Repos pull requests through the Git REST API 7.1, one thread per inline comment. */
export const createAzurePlatform: PlatformFactory = (deps) => {
  const { ci, log } = deps;
  if (!ci.azure?.collectionUri || !ci.azure.project || !ci.repo || ci.prNumber === undefined) {
    throw new LoomError(
      'usage',
      'Azure DevOps needs SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, BUILD_REPOSITORY_ID and SYSTEM_PULLREQUEST_PULLREQUESTID (run loom in a pull request build)',
    );
  }
  log.addSecret(deps.token);
  const collectionUri = ci.azure.collectionUri.endsWith('/') ? ci.azure.collectionUri : `${ci.azure.collectionUri}/`;
  const project = ci.azure.project;
  const prNumber = ci.prNumber;
  const pr = `/pullRequests/${prNumber}`;
  const http = createHttp({
      baseUrl: `${collectionUri}${encodeURIComponent(project)}/_apis/git/repositories/${encodeURIComponent(ci.repo)}`,
      headers: { authorization: `Bearer ${deps.token}` },
      log,
      ...(deps.fetch && { fetch: deps.fetch }),
      ...(deps.sleep && { sleep: deps.sleep }),
      authHint: AZURE_AUTH_HINT,
    });
  const call = async <T>(method: string, path: string, body?: unknown, query: Record<string, string | number> = {}): Promise<T> =>
    (await http.request<T>(method, path, { query: { ...query, 'api-version': AZURE_API_VERSION }, ...(body !== undefined && { body }) })).data;

  let iterationOnce: Promise<AzureIteration> | undefined;
  // A failed read is not kept: the next caller asks again, so one fault costs one call, not the whole review.
  const lastIteration = () =>
    (iterationOnce ??= fetchLastIteration().catch((error: unknown) => {
      iterationOnce = undefined;
      throw error;
    }));
  async function fetchLastIteration(): Promise<AzureIteration> {
    // GET …/pullRequests/{id}/iterations
    const { value = [] } = await call<{ value?: AzureIteration[] }>('GET', `${pr}/iterations`);
    const last = value.reduce<AzureIteration | undefined>((a, b) => (a === undefined || b.id > a.id ? b : a), undefined);
    if (!last) throw new LoomError('platform-http', `Azure DevOps lists no iterations for pull request ${prNumber}`);
    return last;
  }

  let trackingOnce: Promise<Map<string, number>> | undefined;
  const trackingIds = () =>
    (trackingOnce ??= fetchTrackingIds().catch((error: unknown) => {
      trackingOnce = undefined;
      throw error;
    }));
  /** Change tracking ids by path, for the latest iteration against the merge base (the diff loom reviewed). */
  async function fetchTrackingIds(): Promise<Map<string, number>> {
    const iteration = (await lastIteration()).id;
    const byPath = new Map<string, number>();
    for (let skip = 0; ; ) {
      // GET …/pullRequests/{id}/iterations/{iterationId}/changes?$compareTo=0&$top=2000&$skip=n
      const page = await call<AzureIterationChanges>('GET', `${pr}/iterations/${iteration}/changes`, undefined, {
        $compareTo: 0,
        $top: CHANGES_PAGE,
        ...(skip > 0 && { $skip: skip }),
      });
      for (const entry of page.changeEntries ?? []) {
        if (entry.item?.path !== undefined && entry.changeTrackingId !== undefined) byPath.set(entry.item.path, entry.changeTrackingId);
      }
      if (!page.nextSkip || page.nextSkip <= skip) break;
      skip = page.nextSkip;
    }
    return byPath;
  }

  async function postThread(comment: InlineComment): Promise<string | undefined> {
    const [tracking, iteration] = await Promise.all([trackingIds(), lastIteration()]);
    const changeTrackingId = tracking.get(`/${comment.anchor.path}`);
    if (changeTrackingId === undefined) return `/${comment.anchor.path} is not among the files changed in iteration ${iteration.id} of the pull request`;
    try {
      // POST …/pullRequests/{id}/threads
      await call<AzureThread>('POST', `${pr}/threads`, inlineThreadBody(comment, { changeTrackingId, lastIteration: iteration.id }));
      return undefined;
    } catch (error) {
      if (refusesOnlyThisComment(error)) return `${error.status} ${error.detail}`;
      throw error;
    }
  }

  const platform: Platform = {
    id: 'azure',
    maxBodyChars: AZURE_MAX_BODY_CHARS,
    suggestionStyle: 'diff',
    markerStyle: 'html',
    canResolve: true,

    async getPullRequest(): Promise<PullRequestInfo> {
      // GET …/pullRequests/{id}
      const data = await call<AzurePullRequest>('GET', pr);
      const iteration = await lastIteration();
      const headSha = data.lastMergeSourceCommit?.commitId ?? iteration.sourceRefCommit?.commitId ?? ci.headSha ?? '';
      const baseSha = data.lastMergeTargetCommit?.commitId ?? iteration.targetRefCommit?.commitId;
      const mergeBase = iteration.commonRefCommit?.commitId;
      return {
        title: data.title ?? '',
        description: data.description ?? '',
        author: data.createdBy?.displayName ?? '',
        url: webUrl(data, { collectionUri, project, prNumber }),
        headSha,
        ...(baseSha !== undefined && { baseSha }),
        ...(mergeBase !== undefined && { mergeBase }),
      };
    },

    async listExisting() {
      // GET …/pullRequests/{id}/threads
      const { value = [] } = await call<{ value?: AzureThread[] }>('GET', `${pr}/threads`);
      return existingFromThreads(value);
    },

    async postInline(comments) {
      const rejected: { comment: InlineComment; reason: string }[] = [];
      // Azure has no batch endpoint; one at a time keeps the request rate polite and the order stable.
      for (const comment of comments) {
        const reason = await postThread(comment);
        if (reason !== undefined) rejected.push({ comment, reason });
      }
      return { rejected };
    },

    async resolve(comments: PostedComment[]) {
      for (const comment of comments) {
        if (comment.resolved || comment.threadId === undefined) continue;
        // PATCH …/pullRequests/{id}/threads/{threadId}
        await settled(call('PATCH', `${pr}/threads/${comment.threadId}`, { status: 'fixed' } satisfies Partial<AzureThreadCreate>), [404]);
      }
    },

    async upsertSummary(body, existing) {
      if (existing) {
        const { threadId, commentId } = parseSummaryId(existing.id);
        // PATCH …/pullRequests/{id}/threads/{threadId}/comments/{commentId}
        await call('PATCH', `${pr}/threads/${threadId}/comments/${commentId}`, { content: body });
        return;
      }
      // POST …/pullRequests/{id}/threads
      await call<AzureThread>('POST', `${pr}/threads`, summaryThreadBody(body));
    },

    async deleteSummaries(ids) {
      for (const id of ids) {
        const { threadId, commentId } = parseSummaryId(id);
        // DELETE …/pullRequests/{id}/threads/{threadId}/comments/{commentId}
        await settled(call('DELETE', `${pr}/threads/${threadId}/comments/${commentId}`), [404]);
      }
    },
  };
  return platform;
};

/** The page people open: the repository's web URL when the API gives it, else the REST URL. */
function webUrl(data: AzurePullRequest, at: { collectionUri: string; project: string; prNumber: number }): string {
  const id = data.pullRequestId ?? at.prNumber;
  if (data.repository?.webUrl) return `${data.repository.webUrl.replace(/\/+$/, '')}/pullrequest/${id}`;
  if (data.repository?.name) return `${at.collectionUri}${encodeURIComponent(at.project)}/_git/${encodeURIComponent(data.repository.name)}/pullrequest/${id}`;
  return data.url ?? '';
}



