/**
 * The platform fault matrix shared by the Azure DevOps, Bitbucket and Gitea suites (GitHub and GitLab have their
 * own files): every call an adapter makes answers each status once, through the built CLI, and the outcome must
 * follow one policy, the same as on GitHub and GitLab. Whatever happens, the report is on stdout, nothing crashes
 * and no secret leaks. `--fail-on blocker` with one blocker finding makes the exit code tell "done" (1) from
 * "could not be done" (3).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { findingsReply, startOpenAiServer } from '../helpers/openai-server.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { inDiff, KEY, makeFeatureRepo, type FeatureRepo } from '../e2e/platform-env.ts';
import { expectNoCrash, expectNoSecrets } from './support.ts';

export const TITLE = inDiff.title;
export const STATUSES = [401, 403, 404, 409, 422, 429, 500] as const;

/**
 * posted: on the PR (inline and summary); summary-only: the summary carries the finding in full (inline failed);
 * refused: a permission error, the report in the log, exit per --fail-on; failed: exit 3.
 */
export type Outcome = 'posted' | 'summary-only' | 'refused' | 'failed';

/** What a call is for decides what a fault on it must lead to. */
export type Role =
  /** Reading the PR: only its title, description or commits are missing; loom says so and goes on. */
  | 'read'
  /** A nicety (Bitbucket's merge base): a failure must not show in the outcome at all. */
  | 'optional'
  /** Listing what loom posted before: without it a re-run would post everything twice. */
  | 'list'
  /** Posting inline comments: a refusal moves the findings into the summary. */
  | 'inline'
  /** Reading what only inline comments need (Azure's iteration changes): as 'inline', but a 5xx is retried. */
  | 'inline-read'
  | 'create-summary'
  | 'update-summary';

/** 429 carries retry-after: 0 and is retried; 5xx is retried on idempotent methods only (a POST may have landed). */
export function expectedOutcome(role: Role, status: number): Outcome {
  if (status === 429) return 'posted';
  switch (role) {
    case 'read':
    case 'optional':
      return 'posted';
    case 'list':
      return status === 500 ? 'posted' : status <= 404 ? 'refused' : 'failed';
    case 'inline-read':
      if (status === 500) return 'posted';
    // falls through
    case 'inline':
      return status === 401 || status === 403 ? 'refused' : 'summary-only';
    case 'create-summary':
      return status <= 404 ? 'refused' : 'failed';
    case 'update-summary':
      // 403/404: not loom's to edit, or gone: a new summary is posted. 500 on PATCH/PUT is retried.
      return status === 401 ? 'refused' : status === 403 || status === 404 || status === 500 ? 'posted' : 'failed';
  }
}

/** One pull request job on a fake platform, with the feature repo and a model answering the one blocker finding. */
export interface Job {
  /** Runs `loom review` as the CI job would; checks no crash, no secret, the report on stdout. */
  review(args?: string[]): Promise<CliResult>;
  /** New-side lines of loom's inline comments carrying the finding. */
  inlineLines(): number[];
  /** Bodies of loom's summaries on the PR, oldest first. */
  summaries(): string[];
  /** Answers the next request that matches with `status`, `{ message: "injected <status>" }` in the platform's error shape. */
  failNext(method: string, path: RegExp, status: number, body?: (body: any) => boolean): void;
  /** Every request the fake platform received. */
  requests(): readonly { method: string; path: string; body?: any }[];
}

export interface FixtureParts {
  fx: FeatureRepo;
  /** `loom review` with the CI environment and the model's, checked (see Job.review). */
  run(env: Record<string, string>, args: string[], secret: string): Promise<CliResult>;
}

let shared: FeatureRepo | undefined;
/**
 * One feature repo per test file: a CI run only reads it (the commits are all there, so nothing is fetched, and
 * --no-cache writes no answer cache), and building one per test blocks the worker on synchronous git calls.
 */
function sharedRepo(): FeatureRepo {
  return (shared ??= makeFeatureRepo());
}
afterAll(() => shared?.repo.remove());

/**
 * Each test gets its own model and platform server, so the matrix runs concurrently (the CLI runs are
 * child processes: most of the time is spent waiting on them). `start` builds the platform side and returns the
 * job and how to close it.
 */
export async function withFixture<J>(
  start: (parts: FixtureParts) => Promise<{ job: J; close(): Promise<void> }>,
  run: (job: J) => Promise<void>,
): Promise<void> {
  const fx = sharedRepo();
  const model = await startOpenAiServer(() => findingsReply([inDiff]));
  let close: (() => Promise<void>) | undefined;
  try {
    const started = await start({
      fx,
      async run(env, args, secret) {
        const result = await runCli(['review', '--no-cache', ...args], { cwd: fx.repo.dir, env: { ...env, OPENAI_BASE_URL: model.url, OPENAI_API_KEY: KEY } });
        expectNoCrash(result);
        expectNoSecrets(result, secret, KEY);
        // Whatever happened on the platform, the report is on stdout.
        expect(result.stdout).toContain(TITLE);
        return result;
      },
    });
    close = started.close;
    await run(started.job);
  } finally {
    await close?.();
    await model.close();
  }
}

export interface PlatformCall<J> {
  role: Role;
  method: string;
  path: RegExp;
  /** Tells calls to the same endpoint apart (an inline comment from the summary). */
  body?: (body: any) => boolean;
  /** Makes the call happen at all (an earlier summary to update, an earlier review to read). */
  setup?(job: J): void;
}

export interface MatrixSpec<J extends Job> {
  platform: 'azure' | 'bitbucket' | 'gitea';
  /** What the refusal message must name for the user to fix it. */
  advice: RegExp;
  calls: Record<string, PlatformCall<J>>;
  withJob(run: (job: J) => Promise<void>): Promise<void>;
  /** Cases that go wrong today: they assert the correct outcome and are marked `it.fails` (see the BUG comments). */
  knownBugs?: Record<string, readonly number[]>;
}

/** The matrix is mostly waiting on child processes and retry-after/backoff sleeps: run more of it at once. */
vi.setConfig({ maxConcurrency: 10 });

export function faultMatrix<J extends Job>(spec: MatrixSpec<J>): void {
  const all = Object.keys(spec.calls).flatMap((call) => STATUSES.map((status) => [call, status, expectedOutcome(spec.calls[call]!.role, status)] as const));
  const isBug = ([call, status]: readonly [string, number, Outcome]) => spec.knownBugs?.[call]?.includes(status) ?? false;
  const check = (call: string, status: number, outcome: Outcome) =>
    spec.withJob(async (job) => {
      const { method, path, body, setup } = spec.calls[call]!;
      setup?.(job);
      job.failNext(method, path, status, body);

      const r = await job.review(['--fail-on', 'blocker']);

      // The call was made, so the fault was served (an outcome of 'posted' proves nothing otherwise).
      expect(job.requests().some((q) => q.method === method && path.test(q.path) && (!body || body(q.body)))).toBe(true);

      const summary = job.summaries().at(-1) ?? '';
      switch (outcome) {
        case 'posted':
          expect(r.code).toBe(1);
          expect(job.inlineLines()).toEqual([5]);
          expect(summary).toMatch(/Posted as inline comments[\s\S]*SQL built from user input/);
          break;
        case 'summary-only':
          expect(r.code).toBe(1);
          expect(job.inlineLines()).toEqual([]);
          expect(summary).toContain('Use a bound parameter.');
          expect(r.stderr).toMatch(new RegExp(`injected ${status}`));
          break;
        case 'refused':
          expect(r.code).toBe(1);
          expect(r.stderr).toMatch(new RegExp(`${spec.platform} refused to take the review \\(.*\\b${status} injected ${status}\\b.*\\)\\. To fix: .*${spec.advice.source}`));
          break;
        case 'failed':
          expect(r.code).toBe(3);
          expect(r.stderr).toMatch(new RegExp(`posting to ${spec.platform} failed: .*${status} injected ${status}.*The full report is printed above`));
          break;
      }
    });

  describe(`${spec.platform} faults on every call: the report always reaches the user`, () => {
    const ok = all.filter((c) => !isBug(c));
    const bugs = all.filter(isBug);
    it.concurrent.each(ok)('%s answers %i: %s', check);
    if (bugs.length > 0) it.concurrent.fails.each(bugs)('%s answers %i: %s (known bug)', check);
  });
}

/** The platform error body for an injected status, and retry-after: 0 on a 429 so the retry is immediate. */
export function injected(status: number): { message: string; headers: Record<string, string> } {
  return { message: `injected ${status}`, headers: status === 429 ? { 'retry-after': '0' } : {} };
}
