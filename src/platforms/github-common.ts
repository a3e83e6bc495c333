/**
 * What the GitHub and Gitea adapters share. Kept free of Octokit so the Gitea chunk does not load it.
 */
import { LoomError } from '../errors.ts';
import type { CiContext, ExistingComments, InlineComment, PostedComment } from './types.ts';

/** More comments per review risk GitHub's content-creation limits and make one bad anchor costlier to isolate. */
export const MAX_COMMENTS_PER_REVIEW = 30;

export interface Rejected {
  comment: InlineComment;
  reason: string;
}

/**
 * Posts comments as reviews of at most `batchSize`. GitHub (and Gitea) reject a whole review when one anchor is
 * bad, so a refused batch is split in halves until each bad comment stands alone: the good ones are posted and
 * only the bad ones come back, with the platform's reason. `refusal` says whether an error is such a refusal
 * (its reason) or something to rethrow (auth, rate limit, server error).
 */
export async function postBisected(
  comments: InlineComment[],
  opts: {
    batchSize?: number;
    post(batch: InlineComment[]): Promise<void>;
    refusal(error: unknown): string | undefined;
  },
): Promise<Rejected[]> {
  const size = opts.batchSize ?? MAX_COMMENTS_PER_REVIEW;
  const rejected: Rejected[] = [];
  const attempt = async (batch: InlineComment[]): Promise<void> => {
    try {
      await opts.post(batch);
    } catch (error) {
      const reason = opts.refusal(error);
      if (reason === undefined) throw error;
      if (batch.length === 1) {
        rejected.push({ comment: batch[0]!, reason });
        return;
      }
      const mid = Math.ceil(batch.length / 2);
      await attempt(batch.slice(0, mid));
      await attempt(batch.slice(mid));
    }
  };
  for (let i = 0; i < comments.length; i += size) await attempt(comments.slice(i, i + size));
  return rejected;
}

/**
 * The oldest summary wins. Later ones by the same author are leftovers from races and get deleted; a summary
 * marker in someone else's comment is left alone (loom could neither edit nor delete it).
 */
export function pickSummary(summaries: { id: string; body: string; author?: string }[], inline: PostedComment[]): ExistingComments {
  const [first, ...rest] = summaries;
  if (!first) return { extraSummaries: [], inline };
  return {
    summary: { id: first.id, body: first.body },
    extraSummaries: rest.filter((s) => s.author === first.author).map((s) => s.id),
    inline,
  };
}

export function splitRepo(repo: string): { owner: string; repo: string } {
  const slash = repo.indexOf('/');
  if (slash <= 0 || slash === repo.length - 1) throw new LoomError('usage', `Repository "${repo}" is not in the form owner/name.`);
  return { owner: repo.slice(0, slash), repo: repo.slice(slash + 1) };
}

export function prNumberOf(ci: CiContext): number {
  if (ci.prNumber === undefined) throw new LoomError('usage', 'No pull request number: loom can only post comments on a pull request build.');
  return ci.prNumber;
}
