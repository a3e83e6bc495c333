import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { giteaActionsEnv } from '../helpers/ci-env.ts';
import { GT_HUMAN, startFakeGitea, type FakeGitea } from '../helpers/fake-gitea.ts';
import { findingsReply, startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { context, DIFF_SUGGESTION, expectNoSecrets, type FeatureRepo, inDiff, KEY, makeFeatureRepo, outside } from './platform-env.ts';

const TOKEN = 'e2e0gitea0token0123456789abcdef01234567';

/** Gitea's runner sets GITEA_ACTIONS, Forgejo's FORGEJO_ACTIONS; both also set the GITHUB_* variables (see giteaActionsEnv). */
const FLAVORS = [
  { flavor: 'gitea', name: 'Gitea Actions', tokenVar: 'GITEA_TOKEN' },
  { flavor: 'forgejo', name: 'Forgejo Actions', tokenVar: 'FORGEJO_TOKEN' },
] as const;

describe.each(FLAVORS)('loom review in $name on a pull request (built CLI, fake $flavor and model)', ({ flavor, name, tokenVar }) => {
  let model: FakeOpenAi;
  let gt: FakeGitea;
  let fx: FeatureRepo;
  let work: string;

  beforeEach(async () => {
    fx = makeFeatureRepo();
    model = await startOpenAiServer(() => findingsReply([inDiff, context, outside]));
    gt = await startFakeGitea({ flavor, token: TOKEN, headSha: fx.headSha, diff: { 'src/db.js': { new: [1, 2, 3, 4, 5], old: [1, 2, 3] } } });
    gt.state.pullRequest.base.sha = fx.baseSha;
    gt.state.pullRequest.merge_base = fx.baseSha;
    work = mkdtempSync(join(tmpdir(), 'loom-gitea-'));
  });
  afterEach(async () => {
    await model.close();
    await gt.close();
    fx.repo.remove();
    rmSync(work, { recursive: true, force: true });
  });

  /** A `pull_request` job: the act-based runner writes the event file and exports the GitHub-compatible variables. */
  function actionsEnv(): Record<string, string> {
    return {
      ...giteaActionsEnv({ gt, flavor, headSha: fx.headSha, baseSha: fx.baseSha, token: TOKEN, work }),
      OPENAI_BASE_URL: model.url,
      OPENAI_API_KEY: KEY,
    };
  }

  const review = (args: string[] = []): Promise<CliResult> => runCli(['review', '--no-cache', ...args], { cwd: fx.repo.dir, env: actionsEnv() });
  const summaries = () => gt.state.issueComments.filter((c) => c.body.startsWith('<!-- loom:summary -->'));

  it('posts one review with the anchored findings and one summary; a re-run edits the summary in place', async () => {
    const first = await review(['--verbose']);

    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`CI: ${name}: pull request #${gt.index} on gitea ${gt.owner}/${gt.repo}`);
    expect(first.stderr).toContain(`token from ${tokenVar}`);
    expect(gt.state.reviews).toHaveLength(1);
    expect(gt.state.reviews[0]).toMatchObject({ state: 'COMMENT', commit_id: fx.headSha });
    const sent = gt.requests.find((r) => r.method === 'POST' && r.path.endsWith('/reviews'))!.body.comments;
    expect(sent.map((c: any) => [c.path, c.new_position, c.old_position]).sort()).toEqual([['src/db.js', 2, 0], ['src/db.js', 5, 0]]);
    const sql = gt.state.reviewComments.find((c) => c.position === 5)!.body;
    expect(sql).toContain(DIFF_SUGGESTION);
    expect(sql).not.toContain('```suggestion');
    expect(summaries()).toHaveLength(1);
    expect(summaries()[0]!.body).toContain('Far away');
    expect(summaries()[0]!.body).toContain('Not in the diff at all.');

    const second = await review();

    expect(second.code).toBe(0);
    expect(gt.state.reviews).toHaveLength(1);
    expect(gt.state.reviewComments).toHaveLength(2);
    expect(gt.state.issueComments).toHaveLength(1);
    const edits = gt.requests.filter((r) => r.method === 'PATCH');
    expect(edits.map((r) => r.path)).toEqual([`/repos/${gt.owner}/${gt.repo}/issues/comments/${summaries()[0]!.id}`]);
    expect(second.stderr).toMatch(/0 new inline comment\(s\), 2 already there/);
    expectNoSecrets([first, second], TOKEN, KEY);
  });

  it('says in the summary that an earlier comment is outdated when the model no longer reports its finding', async () => {
    const first = await review();
    const before = gt.requests.length;
    model.setHandler(() => findingsReply([inDiff, outside]));

    const next = await review();

    expect(next.code).toBe(0);
    // Gitea has no API to resolve a conversation: nothing is posted, only the summary is edited.
    expect(gt.requests.slice(before).filter((r) => r.method !== 'GET').map((r) => r.method)).toEqual(['PATCH']);
    expect(gt.state.reviewComments.every((c) => c.resolver === null)).toBe(true);
    expect(summaries()).toHaveLength(1);
    expect(summaries()[0]!.body).toMatch(/1 earlier inline comment\(s\) are outdated/);
    expectNoSecrets([first, next], TOKEN, KEY);
  });

  // A person's earlier quote of a loom summary must not be taken for loom's own (editing it would be refused).
  it('keeps its own summary when a person quoted the summary marker first', async () => {
    gt.addIssueComment('> <!-- loom:summary -->\n> quoted from an older loom summary', GT_HUMAN);

    const result = await review();

    expect(result.stderr).not.toMatch(/refused/);
    expect(gt.state.issueComments.filter((c) => c.user.login === gt.bot.login && c.body.startsWith('<!-- loom:summary -->'))).toHaveLength(1);
  });

  it('prints the report and says which permission is missing when the token is read-only, exiting per --fail-on', async () => {
    gt.failNext('POST', /\/pulls\/\d+\/reviews$/, 403, { message: 'user should have permission to write to the repository', url: '' });

    const result = await review(['--fail-on', 'blocker']);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('SQL built from user input');
    expect(result.stderr).toMatch(/gitea refused to take the review .*403.*pull-requests: write/);
    expect(gt.state.reviews).toHaveLength(0);
    expect(gt.state.issueComments).toHaveLength(0);
    expectNoSecrets([result], TOKEN, KEY);
  });
});
