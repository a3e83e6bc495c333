import { isSummary, readFingerprint } from './markers.ts';
import type { ExistingComments, PostedComment } from './types.ts';

/** The fields loom reads from a note of the notes and discussions APIs. */
export interface GitLabNote {
  id: number;
  /** `null` for a plain MR comment, `DiffNote` on a diff line, `DiscussionNote` in a general thread. */
  type: string | null;
  body: string;
  system: boolean;
  author?: { id: number; username?: string };
  resolvable?: boolean;
  resolved?: boolean;
}

export interface GitLabDiscussion {
  id: string;
  individual_note: boolean;
  notes: GitLabNote[];
}

/**
 * The summary is the oldest plain note carrying the summary marker; later ones (older runs, races) are extras to
 * delete. Only notes by `authorId` count when it is known: loom must never edit or delete a human's note that
 * quotes its marker.
 */
export function findSummaries(notes: GitLabNote[], authorId: number | undefined): Pick<ExistingComments, 'summary' | 'extraSummaries'> {
  const mine = notes
    .filter((n) => !n.system && n.type === null && isSummary(n.body) && byAuthor(n, authorId))
    .sort((a, b) => a.id - b.id);
  const [oldest, ...rest] = mine;
  return { ...(oldest && { summary: { id: String(oldest.id), body: oldest.body } }), extraSummaries: rest.map((n) => String(n.id)) };
}

/**
 * Threads loom opened: the first note carries a fingerprint marker. DiscussionNote is accepted next to DiffNote
 * because GitLab keeps a note whose position it could not map as a general thread, and such a note must not be
 * posted again on every run.
 */
export function findInline(discussions: GitLabDiscussion[], authorId: number | undefined): PostedComment[] {
  const found: PostedComment[] = [];
  for (const discussion of discussions) {
    const first = discussion.notes[0];
    if (!first || first.system || (first.type !== 'DiffNote' && first.type !== 'DiscussionNote') || !byAuthor(first, authorId)) continue;
    const fingerprint = readFingerprint(first.body);
    if (fingerprint === undefined) continue;
    found.push({ id: String(first.id), threadId: discussion.id, fingerprint, resolved: first.resolved === true });
  }
  return found;
}

function byAuthor(note: GitLabNote, authorId: number | undefined): boolean {
  return authorId === undefined || note.author?.id === authorId;
}
