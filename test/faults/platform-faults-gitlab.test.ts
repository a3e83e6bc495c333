/**
 * GitLab API faults through the built CLI in a merge request pipeline: each status on each call the adapter
 * makes. GitLab has no step summary, so the fallback is the job log: stdout always carries the report. Exit
 * codes as on GitHub: `--fail-on blocker` with one blocker finding gives 1 when the review was done (posted or
 * refused for permissions), 3 when it could not be done.
 */
import { describe, expect, it, vi } from 'vitest';
import { gitlabCiEnv } from '../helpers/ci-env.ts';
import { startFakeGitLab, type FakeGitLab, type FakeNote } from '../helpers/fake-gitlab.ts';
import { findingsReply, startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { inDiff, KEY, makeFeatureRepo, type FeatureRepo } from '../e2e/platform-env.ts';
import { expectNoCrash, expectNoSecrets } from './support.ts';

const TOKEN = 'glpat-faultsTokenValue0123456789';
const TITLE = inDiff.title;

interface Job {
  gl: FakeGitLab;
  /** Runs `loom review` as the merge request job would; checks no crash, no secret, report on stdout. */
  review(args?: string[]): Promise<CliResult>;
  summaries(): FakeNote[];
  diffNotes(): FakeNote[];
}

/** Each test gets its own repo and servers, so the fault matrix can run concurrently. */
async function withGitLab(run: (t: Job) => Promise<void>): Promise<void> {
  const fx: FeatureRepo = makeFeatureRepo();
  const model: FakeOpenAi = await startOpenAiServer(() => findingsReply([inDiff]));
  const gl = await startFakeGitLab({ token: TOKEN, project: { id: 123, path: 'group/sub/proj' } });
  gl.state.mergeRequest.sha = fx.headSha;
  gl.state.mergeRequest.diff_refs = { base_sha: fx.baseSha, start_sha: fx.baseSha, head_sha: fx.headSha };
  gl.state.versions = [{ id: 1, head_commit_sha: fx.headSha, base_commit_sha: fx.baseSha, start_commit_sha: fx.baseSha, created_at: '2026-01-01T00:00:00.000Z', state: 'collected' }];
  gl.state.diffLines = { 'src/db.js': [{ old: 1, new: 1 }, { old: 2, new: 2 }, { old: 3, new: 3 }, { new: 4 }, { new: 5 }] };
  // A merge request pipeline (as in test/e2e/gitlab-ci.test.ts), without a job token.
  const env = {
    ...gitlabCiEnv({ gl, headSha: fx.headSha, baseSha: fx.baseSha, token: TOKEN }),
    OPENAI_BASE_URL: model.url,
    OPENAI_API_KEY: KEY,
  };
  const job: Job = {
    gl,
    async review(args = ['--fail-on', 'blocker']) {
      const result = await runCli(['review', ...args], { cwd: fx.repo.dir, env });
      expectNoCrash(result);
      expectNoSecrets(result, TOKEN, KEY);
      expect(result.stdout).toContain(TITLE);
      return result;
    },
    summaries: () => gl.notes().filter((n) => n.type === null && n.body.startsWith('<!-- loom:summary -->')),
    diffNotes: () => gl.notes().filter((n) => n.type === 'DiffNote'),
  };
  try {
    await run(job);
  } finally {
    await model.close();
    await gl.close();
    fx.repo.remove();
  }
}

type Outcome = 'posted' | 'summary-only' | 'refused' | 'failed';

const CALLS = {
  'get the MR': { method: 'GET', path: /\/merge_requests\/7$/ },
  'list notes': { method: 'GET', path: /\/merge_requests\/7\/notes$/ },
  'post a diff thread': { method: 'POST', path: /\/merge_requests\/7\/discussions$/ },
  'create the summary': { method: 'POST', path: /\/merge_requests\/7\/notes$/ },
  'update the summary': { method: 'PUT', path: /\/merge_requests\/7\/notes\/\d+$/ },
} as const;
type Call = keyof typeof CALLS;

const STATUSES = [401, 403, 404, 409, 422, 429, 500] as const;

// The matrix is mostly waiting on child processes and retry-after/backoff sleeps: run more of it at once.
vi.setConfig({ maxConcurrency: 10 });

function expected(call: Call, status: number): Outcome {
  if (status === 429) return 'posted';
  switch (call) {
    case 'get the MR':
      return 'posted';
    case 'list notes':
      return status === 500 ? 'posted' : status <= 404 ? 'refused' : 'failed';
    case 'post a diff thread':
      return status === 401 || status === 403 ? 'refused' : 'summary-only';
    case 'create the summary':
      return status <= 404 ? 'refused' : 'failed';
    case 'update the summary':
      return status === 401 ? 'refused' : status === 403 || status === 404 || status === 500 ? 'posted' : 'failed';
  }
}

const cases = (Object.keys(CALLS) as Call[]).flatMap((call) => STATUSES.map((status) => [call, status, expected(call, status)] as const));

describe('GitLab faults on every call: the report always reaches the user', () => {
  it.concurrent.each(cases)('%s answers %i: %s', (call, status, outcome) =>
    withGitLab(async ({ gl, review, summaries, diffNotes }) => {
      if (call === 'update the summary') gl.addNote('<!-- loom:summary -->\nan earlier summary');
      const { method, path } = CALLS[call];
      gl.failNext({ method, path }, { status, json: { message: `injected ${status}` }, headers: status === 429 ? { 'retry-after': '0' } : {} });

      const r = await review();

      const summary = summaries().at(-1)?.body ?? '';
      switch (outcome) {
        case 'posted':
          expect(r.code).toBe(1);
          expect(diffNotes().map((n) => n.position?.new_line)).toEqual([5]);
          expect(summary).toMatch(/Posted as inline comments[\s\S]*SQL built from user input/);
          break;
        case 'summary-only':
          expect(r.code).toBe(1);
          expect(diffNotes()).toHaveLength(0);
          expect(summary).toContain('Use a bound parameter.');
          expect(r.stderr).toMatch(new RegExp(`injected ${status}`));
          break;
        case 'refused':
          expect(r.code).toBe(1);
          expect(r.stderr).toMatch(new RegExp(`gitlab refused to take the review \\(.*\\b${status}\\b.*\\)\\. To fix: .*LOOM_GITLAB_TOKEN`));
          break;
        case 'failed':
          expect(r.code).toBe(3);
          expect(r.stderr).toMatch(new RegExp(`posting to gitlab failed: .*${status} injected ${status}.*The full report is printed above`));
          break;
      }
    }),
  );
});

describe('GitLab volume', () => {
  it.concurrent('250 existing notes: every page is read, a re-run posts nothing twice and edits the one summary', () =>
    withGitLab(async ({ gl, review, summaries, diffNotes }) => {
      for (let i = 0; i < 250; i++) gl.addNote(`human note ${i}`, { author: { id: 9, username: 'alice' } });

      const first = await review();
      const second = await review();

      expect([first.code, second.code]).toEqual([1, 1]);
      expect(summaries()).toHaveLength(1);
      expect(diffNotes()).toHaveLength(1);
      expect(gl.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/discussions'))).toHaveLength(1);
      expect(gl.requests.filter((q) => q.method === 'PUT' && /\/notes\/\d+$/.test(q.path))).toHaveLength(1);
      expect(gl.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/notes')).map((q) => q.query.page)).toEqual(['1', '2', '3', '1', '2', '3']);
      expect(second.stderr).toMatch(/0 new inline comment\(s\), 1 already there/);
    }),
  );
});
