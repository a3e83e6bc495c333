import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitlabCiEnv } from '../helpers/ci-env.ts';
import { startFakeGitLab, type FakeGitLab } from '../helpers/fake-gitlab.ts';
import { findingsReply, startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { context, expectNoSecrets, type FeatureRepo, inDiff, KEY, makeFeatureRepo, outside } from './platform-env.ts';

const TOKEN = 'glpat-e2eTokenValue0123456789';
const JOB_TOKEN = 'glcbt-e2eJobTokenValue0123456789';

let model: FakeOpenAi;
let gl: FakeGitLab;
let fx: FeatureRepo;

beforeEach(async () => {
  fx = makeFeatureRepo();
  model = await startOpenAiServer(() => findingsReply([inDiff, context, outside]));
  const refs = { base_sha: fx.baseSha, start_sha: fx.baseSha, head_sha: fx.headSha };
  gl = await startFakeGitLab({ token: TOKEN, project: { id: 123, path: 'group/sub/proj' } });
  gl.state.mergeRequest.sha = fx.headSha;
  gl.state.mergeRequest.diff_refs = refs;
  gl.state.versions = [{ id: 1, head_commit_sha: fx.headSha, base_commit_sha: fx.baseSha, start_commit_sha: fx.baseSha, created_at: '2026-01-01T00:00:00.000Z', state: 'collected' }];
  // GitLab's diff of the MR: context lines carry both numbers, added lines only the new one.
  gl.state.diffLines = { 'src/db.js': [{ old: 1, new: 1 }, { old: 2, new: 2 }, { old: 3, new: 3 }, { new: 4 }, { new: 5 }] };
});
afterEach(async () => {
  await model.close();
  await gl.close();
  fx.repo.remove();
});

/** A merge request pipeline, with the project access token and the job token. */
function gitlabEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...gitlabCiEnv({ gl, headSha: fx.headSha, baseSha: fx.baseSha, token: TOKEN, jobToken: JOB_TOKEN }),
    OPENAI_BASE_URL: model.url,
    OPENAI_API_KEY: KEY,
    ...extra,
  };
}

const review = (args: string[] = [], env = gitlabEnv()): Promise<CliResult> => runCli(['review', '--no-cache', ...args], { cwd: fx.repo.dir, env });
const diffNotes = () => gl.state.discussions.filter((d) => d.notes[0]!.type === 'DiffNote').map((d) => d.notes[0]!);
const summaries = () => gl.notes().filter((n) => n.type === null && n.body.startsWith('<!-- loom:summary -->'));

describe('loom review in a GitLab merge request pipeline (built CLI, fake GitLab and model)', () => {
  it('opens one diff thread per anchored finding and one summary note; a re-run edits the summary in place', async () => {
    const first = await review(['--verbose']);

    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/CI: GitLab CI: pull request #7 on gitlab 123 .*token from LOOM_GITLAB_TOKEN/);
    const positions = diffNotes().map((n) => n.position!);
    expect(positions).toHaveLength(2);
    for (const p of positions) expect(p).toMatchObject({ position_type: 'text', base_sha: fx.baseSha, start_sha: fx.baseSha, head_sha: fx.headSha, old_path: 'src/db.js', new_path: 'src/db.js' });
    const added = diffNotes().find((n) => n.position!.new_line === 5)!;
    expect(added.position).not.toHaveProperty('old_line');
    expect(diffNotes().find((n) => n.position!.new_line === 2)!.position).toMatchObject({ old_line: 2, new_line: 2 });
    expect(added.body).toContain(`\`\`\`suggestion:-0+0\n${inDiff.suggestion}\n\`\`\``);
    expect(added.body).toMatch(/<!-- loom:fp=[0-9a-f]+ -->$/);
    expect(summaries()).toHaveLength(1);
    const summary = summaries()[0]!.body;
    expect(summary).toContain('Far away');
    expect(summary).toContain('Not in the diff at all.');

    const second = await review();

    expect(second.code).toBe(0);
    expect(diffNotes()).toHaveLength(2);
    expect(gl.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/discussions'))).toHaveLength(2);
    expect(gl.requests.filter((r) => r.method === 'PUT' && /\/notes\/\d+$/.test(r.path))).toHaveLength(1);
    expect(summaries()).toHaveLength(1);
    expect(second.stderr).toMatch(/0 new inline comment\(s\), 2 already there/);
    expectNoSecrets([first, second], TOKEN, JOB_TOKEN, KEY);
  });

  it('resolves the thread of a finding the model no longer reports', async () => {
    const first = await review();
    const contextThread = gl.state.discussions.find((d) => d.notes[0]!.position?.new_line === 2)!;
    model.setHandler(() => findingsReply([inDiff, outside]));

    const next = await review();

    expect(next.code).toBe(0);
    const resolves = gl.requests.filter((r) => r.method === 'PUT' && r.path.includes('/discussions/'));
    expect(resolves.map((r) => r.path)).toEqual([expect.stringContaining(`/discussions/${contextThread.id}`)]);
    expect(contextThread.notes[0]!.resolved).toBe(true);
    expect(gl.state.discussions.find((d) => d.notes[0]!.position?.new_line === 5)!.notes[0]!.resolved).toBe(false);
    expect(summaries()).toHaveLength(1);
    expect(summaries()[0]!.body).toMatch(/1 earlier comment thread\(s\) were resolved/);
    expectNoSecrets([first, next], TOKEN, JOB_TOKEN, KEY);
  });

  it('prints the report and names LOOM_GITLAB_TOKEN when GitLab refuses the token, exiting per --fail-on', async () => {
    gl.state.readOnly = true;

    const result = await review(['--fail-on', 'blocker']);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('SQL built from user input');
    expect(result.stderr).toMatch(/gitlab refused to take the review .*403/);
    expect(result.stderr).toMatch(/To fix: .*project access token.*LOOM_GITLAB_TOKEN/);
    expect(gl.state.discussions).toHaveLength(0);
    expectNoSecrets([result], TOKEN, JOB_TOKEN, KEY);
  });

  it('with only CI_JOB_TOKEN, says LOOM_GITLAB_TOKEN is needed, prints the report and posts nothing', async () => {
    const env = gitlabEnv();
    delete env.LOOM_GITLAB_TOKEN;

    const result = await review([], env);

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: no token to post to gitlab with: set LOOM_GITLAB_TOKEN/);
    expect(result.stdout).toContain('SQL built from user input');
    expect(result.stdout).toContain('Not in the diff at all.');
    expect(gl.requests).toHaveLength(0);
    expect(model.requests.length).toBeGreaterThan(0);
    expectNoSecrets([result], JOB_TOKEN, KEY);
  });
});
