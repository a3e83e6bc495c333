import { runBuiltinChecks } from '../checks/index.ts';
import type { LoomConfig } from '../config/schema.ts';
import { partitionIgnored, pathMatcher } from '../diff/filter.ts';
import type { FileDiff } from '../diff/types.ts';
import { growingDiffIndex } from '../findings/diff-index.ts';
import type { Finding } from '../findings/finding.ts';
import { shortenDataUrls } from './data-urls.ts';

/** What planning takes from the diff: the files a model may read, as they arrive or all at once. */
export interface KeptFiles {
  /** Batches as the diff is read; taken once. After `all`, one batch of them all. */
  batches(): AsyncIterable<FileDiff[]>;
  /** Reads the whole diff, then gives every file; only before any batch is taken. */
  all(): Promise<FileDiff[]>;
}

/**
 * The diff as it is read (streamDiff), on its way to planning. Each batch is indexed, checked by the built-in
 * checks (which see every file: a leaked key in an ignored lock file is still a leaked key) and has its secrets
 * masked and its long data URLs shortened before any of it is handed on; files matching triggers.ignore_paths are
 * kept back. What the report needs of the whole diff (every file, the index, the ignored files, the checks'
 * findings) grows here.
 */
export class DiffFeed implements KeptFiles {
  /** Every file read so far, ignored or not. */
  readonly files: FileDiff[] = [];
  readonly index = growingDiffIndex();
  readonly ignored: { path: string; reason: string }[] = [];
  readonly findings: Finding[] = [];
  maskedCount = 0;
  /** Base64 payloads of data URLs shortened in what models are sent (see shortenDataUrls). */
  shortenedDataUrls = 0;
  private readonly source: AsyncIterator<FileDiff[]>;
  private readonly ignoredBy: (path: string) => string | undefined;
  private readonly checks: LoomConfig['checks'];
  private kept: FileDiff[] | undefined;
  private ended = false;

  constructor(diff: AsyncIterable<FileDiff[]>, rules: { ignorePaths: readonly string[]; checks: LoomConfig['checks'] }) {
    this.source = diff[Symbol.asyncIterator]();
    this.ignoredBy = pathMatcher(rules.ignorePaths);
    this.checks = rules.checks;
  }

  async *batches(): AsyncGenerator<FileDiff[], void, undefined> {
    if (this.kept) {
      yield this.kept;
      return;
    }
    for (let batch = await this.next(); batch; batch = await this.next()) if (batch.length > 0) yield batch;
  }

  async all(): Promise<FileDiff[]> {
    if (!this.kept) {
      const kept: FileDiff[] = [];
      for (let batch = await this.next(); batch; batch = await this.next()) kept.push(...batch);
      this.kept = kept;
    }
    return this.kept;
  }

  /** Reads what nobody took (no model to plan for, or planning stopped early): the report covers the whole diff. */
  async finish(): Promise<void> {
    while (await this.next());
  }

  private async next(): Promise<FileDiff[] | undefined> {
    if (this.ended) return undefined;
    const { value, done } = await this.source.next();
    if (done) {
      this.ended = true;
      return undefined;
    }
    return this.take(value);
  }

  private take(batch: FileDiff[]): FileDiff[] {
    this.files.push(...batch);
    this.index.add(batch);
    const builtin = runBuiltinChecks(batch, this.checks, this.index);
    this.findings.push(...builtin.findings);
    this.maskedCount += builtin.maskedCount;
    const masked = new Map(builtin.masked.map((f) => [f.path, f]));
    const { kept, ignored } = partitionIgnored(batch, this.ignoredBy);
    this.ignored.push(...ignored);
    const sendable = shortenDataUrls(kept.map((file) => masked.get(file.path) ?? file));
    this.shortenedDataUrls += sendable.shortened;
    return sendable.files;
  }
}
