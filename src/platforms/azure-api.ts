/**
 * The slices of the Azure DevOps Git REST API 7.1 that loom reads and writes (names as in the official
 * description, `GitPullRequestCommentThread` and friends).
 */

/**
 * The spec declares these enums as strings, and the service answers with strings; its JSON reader also takes
 * the numbers the documentation examples send, but strings are what the schema validates and read better.
 */
export const THREAD_STATUSES = ['unknown', 'active', 'fixed', 'wontFix', 'closed', 'byDesign', 'pending'] as const;
export type ThreadStatus = (typeof THREAD_STATUSES)[number];
export const COMMENT_TYPES = ['unknown', 'text', 'codeChange', 'system'] as const;
export type CommentType = (typeof COMMENT_TYPES)[number];

/** Statuses the web UI shows as resolved. */
export const RESOLVED_STATUSES: ReadonlySet<ThreadStatus> = new Set(['fixed', 'wontFix', 'closed', 'byDesign']);

/** Thread properties loom sets; the property bag survives edits to the comment text. */
export const FINGERPRINT_PROPERTY = 'loom.fp';
export const SUMMARY_PROPERTY = 'loom.summary';

export interface AzureCommitRef {
  commitId?: string;
}

export interface AzurePullRequest {
  pullRequestId?: number;
  title?: string;
  description?: string;
  createdBy?: { displayName?: string };
  url?: string;
  repository?: { id?: string; name?: string; webUrl?: string };
  lastMergeSourceCommit?: AzureCommitRef;
  lastMergeTargetCommit?: AzureCommitRef;
}

export interface AzureIteration {
  id: number;
  sourceRefCommit?: AzureCommitRef;
  targetRefCommit?: AzureCommitRef;
  commonRefCommit?: AzureCommitRef;
}

export interface AzureIterationChanges {
  changeEntries?: { changeTrackingId?: number; changeType?: string; item?: { path?: string } }[];
  /** Zero (or absent) on the last page. */
  nextSkip?: number;
  nextTop?: number;
}

export interface AzurePosition {
  line: number;
  offset: number;
}

/** A property value as the service returns it: `{ "$type": "System.String", "$value": "…" }`. */
export interface AzureProperty {
  $type: string;
  $value: unknown;
}

export interface AzureComment {
  id?: number;
  parentCommentId?: number;
  content?: string;
  commentType?: CommentType | number;
  isDeleted?: boolean;
}

export interface AzureThread {
  id: number;
  status?: ThreadStatus | number;
  isDeleted?: boolean;
  comments?: AzureComment[];
  properties?: Record<string, AzureProperty | unknown> | null;
  threadContext?: {
    filePath?: string;
    rightFileStart?: AzurePosition | null;
    rightFileEnd?: AzurePosition | null;
    leftFileStart?: AzurePosition | null;
    leftFileEnd?: AzurePosition | null;
  } | null;
}

/** The body of POST …/threads. */
export interface AzureThreadCreate {
  comments: { parentCommentId: number; commentType: CommentType; content: string }[];
  status: ThreadStatus;
  threadContext?: NonNullable<AzureThread['threadContext']>;
  pullRequestThreadContext?: {
    changeTrackingId: number;
    iterationContext: { firstComparingIteration: number; secondComparingIteration: number };
  };
  properties: Record<string, AzureProperty>;
}

/** A status as the service may send it: the enum name, or its index in older payloads. */
export function statusName(status: ThreadStatus | number | undefined): ThreadStatus {
  if (typeof status === 'number') return THREAD_STATUSES[status] ?? 'unknown';
  return status ?? 'unknown';
}

export function commentTypeName(type: CommentType | number | undefined): CommentType {
  if (typeof type === 'number') return COMMENT_TYPES[type] ?? 'unknown';
  return type ?? 'unknown';
}

export function stringProperty(value: string): AzureProperty {
  return { $type: 'System.String', $value: value };
}

/** The string value of a thread property, however the service wrapped it. */
export function readProperty(properties: AzureThread['properties'], name: string): string | undefined {
  const raw = properties?.[name];
  if (typeof raw === 'string') return raw;
  if (raw && typeof raw === 'object' && '$value' in raw) {
    const value = (raw as AzureProperty).$value;
    return typeof value === 'string' ? value : value === undefined || value === null ? undefined : String(value);
  }
  return undefined;
}
