import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bitbucketPipelinesEnv } from '../helpers/ci-env.ts';
import { startFakeBitbucket, type FakeBitbucket, type FakeBitbucketComment } from '../helpers/fake-bitbucket.ts';
import { findingsReply, startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { context, DIFF_SUGGESTION, expectNoSecrets, type FeatureRepo, inDiff, KEY, makeFeatureRepo, outside } from './platform-env.ts';

const TOKEN = 'ATCTT3xFfGN0e2eBitbucketToken0123456789';

let model: FakeOpenAi;
let bb: FakeBitbucket;
let fx: FeatureRepo;

beforeEach(async () => {
  fx = makeFeatureRepo();
  model = await startOpenAiServer(() => findingsReply([inDiff, context, outside]));
  // Bitbucket reports 12-character hashes.
  bb = await startFakeBitbucket({
    token: TOKEN,
    pullRequest: { id: 5, title: 'Add find', description: 'Adds a lookup by name.', author: 'Ada Lovelace', sourceHash: fx.headSha.slice(0, 12), destinationHash: fx.baseSha.slice(0, 12) },
    mergeBase: fx.baseSha,
  });
});
afterEach(async () => {
  await model.close();
  await bb.close();
  fx.repo.remove();
});

function bitbucketEnv(): Record<string, string> {
  return { ...bitbucketPipelinesEnv({ bb, cloneDir: fx.repo.dir, headSha: fx.headSha, token: TOKEN }), OPENAI_BASE_URL: model.url, OPENAI_API_KEY: KEY };
}

const review = (args: string[] = []): Promise<CliResult> => runCli(['review', '--no-cache', ...args], { cwd: fx.repo.dir, env: bitbucketEnv() });
const inline = () => bb.state.comments.filter((c) => c.inline !== undefined && !c.deleted);
const summaries = () => bb.state.comments.filter((c) => c.inline === undefined && !c.deleted);
const onLine = (to: number): FakeBitbucketComment => inline().find((c) => c.inline!.to === to)!;

describe('loom review in a Bitbucket Pipelines pull request build (built CLI, fake Bitbucket and model)', () => {
  it('posts one inline comment per anchored finding and one summary; a re-run edits the summary in place', async () => {
    const first = await review(['--verbose']);

    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/CI: Bitbucket Pipelines: pull request #5 on bitbucket acme\/api .*token from LOOM_BITBUCKET_TOKEN/);
    const posted = bb.requests.filter((r) => r.method === 'POST' && r.body?.inline).map((r) => r.body.inline);
    expect(posted.sort((a, b) => a.to - b.to)).toEqual([{ path: 'src/db.js', to: 2 }, { path: 'src/db.js', to: 5 }]);
    const sql = onLine(5).content.raw;
    expect(sql).toContain(DIFF_SUGGESTION);
    expect(sql).toMatch(/\[\/\/\]: # \(loom:fp=[0-9a-f]+\)$/);
    expect(sql).not.toContain('<!--');
    expect(summaries()).toHaveLength(1);
    const summary = summaries()[0]!.content.raw;
    expect(summary.startsWith('[//]: # (loom:summary)\n')).toBe(true);
    expect(summary).not.toContain('<!-- loom');
    expect(summary).toContain('Far away');
    expect(summary).toContain('Not in the diff at all.');

    const second = await review();

    expect(second.code).toBe(0);
    expect(inline()).toHaveLength(2);
    expect(summaries()).toHaveLength(1);
    expect(bb.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/comments'))).toHaveLength(3);
    const edits = bb.requests.filter((r) => r.method === 'PUT');
    expect(edits.map((r) => r.path)).toEqual([expect.stringMatching(new RegExp(`/comments/${summaries()[0]!.id}$`))]);
    expect(second.stderr).toMatch(/0 new inline comment\(s\), 2 already there/);
    expectNoSecrets([first, second], TOKEN, KEY);
  });

  it('resolves the comment of a finding the model no longer reports', async () => {
    const first = await review();
    model.setHandler(() => findingsReply([inDiff, outside]));

    const next = await review();

    expect(next.code).toBe(0);
    const resolves = bb.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/resolve'));
    expect(resolves.map((r) => r.path)).toEqual([expect.stringMatching(new RegExp(`/comments/${onLine(2).id}/resolve$`))]);
    expect(onLine(2).resolution).toBeDefined();
    expect(onLine(5).resolution).toBeUndefined();
    expect(summaries()).toHaveLength(1);
    expect(summaries()[0]!.content.raw).toMatch(/1 earlier comment thread\(s\) were resolved/);
    expectNoSecrets([first, next], TOKEN, KEY);
  });

  it('prints the report and names LOOM_BITBUCKET_TOKEN when Bitbucket refuses, exiting per --fail-on', async () => {
    bb.failNext({ method: 'POST', path: /\/comments$/ }, { status: 403, json: { type: 'error', error: { message: 'Your credentials lack one or more required privilege scopes.' } } }, 10);

    const result = await review(['--fail-on', 'blocker']);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('SQL built from user input');
    expect(result.stderr).toMatch(/bitbucket refused to take the review .*403/);
    expect(result.stderr).toMatch(/To fix: .*repository access token.*LOOM_BITBUCKET_TOKEN/);
    expect(bb.state.comments).toHaveLength(0);
    expectNoSecrets([result], TOKEN, KEY);
  });
});
