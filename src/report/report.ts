import type { Finding } from '../findings/finding.ts';

/** A (pipeline x unit) model call that produced no findings because it failed. Never dropped silently. */
export interface UnitFailure {
  pipeline: string;
  /** Files the unit covered. */
  files: string[];
  reason: string;
}

export interface PipelineStats {
  name: string;
  /** `builtin` for the deterministic checks. */
  model: string;
  calls: number;
  failedCalls: number;
  promptTokens: number;
  completionTokens: number;
}

export interface Coverage {
  filesChanged: number;
  filesReviewed: number;
  /** Skipped by rule (ignore_paths, binary, mode-only), with the reason per file. */
  filesSkipped: { path: string; reason: string }[];
  linesChanged: number;
  linesReviewed: number;
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
