import type { Finding } from '../findings/finding.ts';

/** A (pipeline x unit) model call that produced no findings because it failed. Never dropped silently. */
export interface UnitFailure {
  pipeline: string;
  /** Files the unit covered. */
  files: string[];
  reason: string;
  /** The unit's id within the run (absent for failures that are not about one unit). */
  unit?: string;
}

export interface PipelineStats {
  name: string;
  /** `builtin` for the deterministic checks. */
  model: string;
  calls: number;
  failedCalls: number;
  /** As the server reported them (0 from a server that reports no usage). */
  promptTokens: number;
  completionTokens: number;
  /**
   * Prompt tokens of the answered calls by loom's own count (`tokenizer`): each unit's diff and the pipeline's
   * rendered prompt and findings schema, what limits.max_prompt_tokens counts. A server that reports no usage, or
   * counts otherwise, does not change it. Absent for the built-in checks.
   */
  countedPromptTokens?: number;
  /** The tokenizer of `countedPromptTokens`: `o200k_base`, or `o200k_base x1.25` where it stands in for a model's own. */
  tokenizer?: string;
  /** Units answered from the answer cache (no call, no tokens). */
  cachedCalls?: number;
}

export interface Coverage {
  filesChanged: number;
  filesReviewed: number;
  /** Skipped by rule (ignore_paths, binary, mode-only), with the reason per file. */
  filesSkipped: { path: string; reason: string }[];
  linesChanged: number;
  /** Shown to a model line by line and answered. */
  linesReviewed: number;
  /** Removals shown to a model as a one-line summary (delete-only hunks and deleted files). */
  linesSummarised: number;
  /** In files skipped by rule (ignore_paths, skip_paths, binary, ...). */
  linesSkipped: number;
  /** Reviewable, but no model answered for them: a call failed, a limit was hit, or no model is connected. */
  linesNotReviewed: number;
}

/** Everything a sink needs. Formatters are pure functions of this object. */
export interface Report {
  tool: { name: 'loom'; version: string };
  range: { baseRef: string; headRef: string; baseSha: string; headSha: string; mergeBase: string };
  /** Sorted with compareFindings. */
  findings: Finding[];
  failures: UnitFailure[];
  /** Things the reader must know: skipped review, model not connected, shallow clone fetched, ... */
  notices: string[];
  pipelines: PipelineStats[];
  coverage: Coverage;
  /** Set when a trigger rule skipped the model review (the built-in checks may still have run). */
  skipped?: { reason: string };
}
