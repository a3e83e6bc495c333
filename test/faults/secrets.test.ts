/**
 * Secrets through the built CLI. Tokens in the diff are masked before anything reaches a model, reported by
 * the built-in check, and never printed in any format, --verbose included. The API key and the platform token
 * loom holds never reach stdout or stderr, even when a server echoes them back in an error body.
 *
 * Every secret-looking value is assembled at runtime, so this file itself does not look like a leak.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { githubActionsEnv, gitlabCiEnv } from '../helpers/ci-env.ts';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.ts';
import { startFakeGitLab, type FakeGitLab } from '../helpers/fake-gitlab.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { findingsReply, startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { inDiff, makeFeatureRepo, type FeatureRepo } from '../e2e/platform-env.ts';
import { expectNoCrash, expectNoSecrets } from './support.ts';

const join_ = (...parts: string[]) => parts.join('');
const GITHUB_PAT = join_('gh', 'p_', 'R7xQ2mLk9VbN4cTz8WpY1sHd6FgJ3aKe0UoI');
const AWS_KEY = join_('AK', 'IA', 'QW7ERT5YUI3OPAS2');
const KEY_BODY = [join_('MIIEpAIBAAKCAQEA3', 'xq9Lk2mPz7Vt1Yb'), join_('Qm8Rw3Ks9Lp2Nd5F', 'g7Hj1Kx4Cv6Bn0Mq')];
const PRIVATE_KEY = [join_('-----BEGIN RSA ', 'PRIVATE KEY-----'), ...KEY_BODY, join_('-----END RSA ', 'PRIVATE KEY-----')].join('\n');
const OLD_AWS_KEY = join_('AK', 'IA', 'ZX9CVB8NML7KJH6G');
const DIFF_SECRETS = [GITHUB_PAT, AWS_KEY, ...KEY_BODY, OLD_AWS_KEY];

const API_KEY = join_('sk-', 'faults', 'SecretApiKey0123456789');
const GH_TOKEN = join_('gh', 's_', 'faultsPlatformToken0123456789');
const GL_TOKEN = join_('glpat-', 'faultsPlatformToken0123');

interface Ctx {
  /** Answers one finding on src/config.js unless a test sets another handler. */
  model: FakeOpenAi;
  /** A temp dir for outputs, the event file and the step summary. */
  work: string;
  /** Removes the repo after the test. */
  own(repo: TestRepo): TestRepo;
}

/** Each test owns its server, repos and work dir, so the tests run concurrently. */
async function withCtx(run: (c: Ctx) => Promise<void>): Promise<void> {
  const model = await startOpenAiServer(() => findingsReply([{ file: 'src/config.js', line: 3, title: 'Hard-coded credentials', body: 'Move them out. The value was [loom:masked ...].' }]));
  const work = mkdtempSync(join(tmpdir(), 'loom-faults-secrets-'));
  const repos: TestRepo[] = [];
  try {
    await run({ model, work, own: (repo) => (repos.push(repo), repo) });
  } finally {
    await model.close();
    for (const repo of repos) repo.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

/** main has an old key on a line the PR keeps as context; feature adds a PAT, an AWS key and a private key block. */
function leakyRepo(c: Ctx): TestRepo {
  const repo = c.own(
    makeRepo({
      'src/config.js': `export const region = "eu";\nexport const legacy = "${OLD_AWS_KEY}";\nexport const a = 1;\n`,
      '.loom/config.yaml': `models:\n  default:\n    base_url: ${c.model.url}\n    model: m\n    max_retries: 0\npipelines:\n  - name: review\n    template: review\ncache:\n  enabled: false\n`,
    }),
  );
  repo.git('checkout', '-q', '-b', 'feature');
  repo.write({
    'src/config.js': `export const region = "eu";\nexport const legacy = "${OLD_AWS_KEY}";\nexport const a = 2;\nexport const token = "${GITHUB_PAT}";\nexport const aws = '${AWS_KEY}';\n`,
    'deploy/id_rsa': `${PRIVATE_KEY}\n`,
  });
  repo.commit('add credentials');
  return repo;
}

const FORMATS = ['text', 'markdown', 'json', 'sarif', 'codequality'] as const;

describe('secrets in the diff', () => {
  it.concurrent.each(FORMATS)('are masked for the model, reported, and never printed (stdout %s, every --output, --verbose)', (format) =>
    withCtx(async (c) => {
      const r = leakyRepo(c);
      const outputs = FORMATS.flatMap((f) => ['--output', `${f}=${join(c.work, `out.${f}`)}`]);

      const result = await runCli(['review', '--base', 'main', '--dry-run', '--verbose', '--format', format, ...outputs], { cwd: r.dir, env: { OPENAI_API_KEY: API_KEY } });

      expectNoCrash(result);
      expect(result.code).toBe(0);
      expectNoSecrets(result, ...DIFF_SECRETS, API_KEY);
      for (const f of FORMATS) {
        const text = readFileSync(join(c.work, `out.${f}`), 'utf8');
        for (const secret of DIFF_SECRETS) expect(text, `${f} output`).not.toContain(secret);
      }
      // What the model received: masks, never the values.
      expect(c.model.requests).toHaveLength(1);
      const sent = JSON.stringify(c.model.requests[0]!.body);
      for (const secret of DIFF_SECRETS) expect(sent).not.toContain(secret);
      expect(sent).toContain('[loom:masked github-token]');
      expect(sent).toContain('[loom:masked aws-access-key-id]');
      expect(sent).toContain('[loom:masked private-key]');
      // The built-in check reports each added secret on its line.
      const json = JSON.parse(readFileSync(join(c.work, 'out.json'), 'utf8'));
      const builtin = json.findings.filter((f: any) => f.pipeline === 'builtin').map((f: any) => [f.path, f.line, f.ruleId]);
      expect(builtin.sort()).toEqual([
        ['deploy/id_rsa', 1, 'builtin/secret/private-key'],
        ['src/config.js', 4, 'builtin/secret/github-token'],
        ['src/config.js', 5, 'builtin/secret/aws-access-key-id'],
      ]);
      expect(json.notices.join('\n')).toMatch(/secret-looking value\(s\) were masked/);
    }),
  );

  // BUG: src/commands/review.ts masks secrets in the diff only; the PR title and description (read from the
  // platform and rendered into the prompt by src/prompts/render.ts) go to the model as they are. Fix: run the
  // same SECRET_PATTERNS / private-key masking (src/checks/secrets.ts) over pr.title and pr.description before
  // building `base` in runReview (and count them in the "masked" notice).
  it.concurrent('a token in the pull request description is masked before it reaches the model', () =>
    withCtx(async (c) => {
      const feature = makeFeatureRepo();
      // The built-in review template shows the model the PR title and description.
      feature.repo.write({ '.loom/config.yaml': 'pipelines:\n  - name: review\n    template: review\n' });
      const fx = { ...feature, headSha: feature.repo.commit('review template') };
      const gh = await startFakeGitHub({ token: GH_TOKEN, headSha: fx.headSha, baseSha: fx.baseSha });
      try {
        gh.state.pullRequest.body = `Deploy with ${AWS_KEY} please`;
        const env = githubEnv(c, gh, fx);

        const result = await runCli(['review'], { cwd: fx.repo.dir, env });

        expectNoCrash(result);
        expect(c.model.requests.length).toBeGreaterThan(0);
        expect(JSON.stringify(c.model.requests[0]!.body)).toContain('Deploy with');
        expect(JSON.stringify(c.model.requests[0]!.body)).not.toContain(AWS_KEY);
      } finally {
        await gh.close();
        fx.repo.remove();
      }
    }),
  );
});

describe('keys and tokens loom holds', () => {
  it.concurrent.each([
    ['a 401 body echoing the key', { status: 401, json: { error: { message: `Incorrect API key provided: ${API_KEY}. You can find your API key at https://example.com.` } } }],
    ['an HTML 500 page echoing the key', { status: 500, text: `<html><body><pre>Authorization: Bearer ${API_KEY}</pre></body></html>`, headers: { 'content-type': 'text/html' } }],
    ['a 400 naming a parameter and echoing the key', { status: 400, json: { detail: `response_format not supported for key ${API_KEY}` } }],
    ['an answer quoting the key', { content: JSON.stringify([{ file: 'src/db.js', line: 5, title: `uses ${API_KEY}`, body: `the key ${API_KEY} leaked`, suggestion: API_KEY }]) }],
  ] as const)('the model API key: %s is redacted everywhere, --verbose too', (_name, reply) =>
    withCtx(async (c) => {
      const fx = makeFeatureRepo();
      c.own(fx.repo);
      // No retries: the point is the message, not the backoff.
      fx.repo.write({ '.loom/config.yaml': `models:\n  default:\n    base_url: ${c.model.url}\n    model: m\n    max_retries: 0\npipelines:\n  - name: security\n    template: security\ncache:\n  enabled: false\n` });
      fx.repo.commit('no retries');
      c.model.setHandler(() => reply as any);

      for (const format of ['markdown', 'json'] as const) {
        const result = await runCli(['review', '--base', 'main', '--dry-run', '--verbose', '--format', format], {
          cwd: fx.repo.dir,
          env: { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: c.model.url },
        });
        expectNoCrash(result);
        expectNoSecrets(result, API_KEY);
        expect(`${result.stdout}${result.stderr}`).toMatch(/sk-f\*{4}/);
      }
    }),
  );

  it.concurrent('the GitHub token: echoed in error bodies of the API, never printed (--verbose)', () =>
    withCtx(async (c) => {
      const fx = makeFeatureRepo();
      c.own(fx.repo);
      const gh = await startFakeGitHub({ token: GH_TOKEN, headSha: fx.headSha, baseSha: fx.baseSha, diff: { 'src/db.js': { RIGHT: [1, 2, 3, 4, 5] } } });
      try {
        c.model.setHandler(() => findingsReply([inDiff]));
        gh.failNext('GET', /\/pulls\/42$/, 404, { message: `Not Found for token ${GH_TOKEN}` });
        gh.failNext('POST', /\/pulls\/42\/reviews$/, 422, { message: `Validation Failed (${GH_TOKEN})`, errors: [`token ${GH_TOKEN}`] });
        gh.failNext('POST', /\/issues\/42\/comments$/, 403, { message: `Resource not accessible by integration: ${GH_TOKEN}` });

        const result = await runCli(['review', '--verbose'], { cwd: fx.repo.dir, env: githubEnv(c, gh, fx) });

        expectNoCrash(result);
        expect(result.code).toBe(0);
        expectNoSecrets(result, GH_TOKEN, API_KEY);
        expect(result.stderr).toMatch(/ghs_\*{4}/);
        const stepSummary = join(c.work, 'step-summary.md');
        expect(existsSync(stepSummary) && readFileSync(stepSummary, 'utf8')).toContain(inDiff.title);
        expect(readFileSync(stepSummary, 'utf8')).not.toContain(GH_TOKEN);
      } finally {
        await gh.close();
      }
    }),
  );

  it.concurrent('the GitLab token: echoed in a 500 and a 403 body, never printed (--verbose)', () =>
    withCtx(async (c) => {
      const fx = makeFeatureRepo();
      c.own(fx.repo);
      const gl: FakeGitLab = await startFakeGitLab({ token: GL_TOKEN, project: { id: 123, path: 'group/sub/proj' } });
      try {
        c.model.setHandler(() => findingsReply([inDiff]));
        gl.state.mergeRequest.sha = fx.headSha;
        gl.state.mergeRequest.diff_refs = { base_sha: fx.baseSha, start_sha: fx.baseSha, head_sha: fx.headSha };
        gl.failNext({ method: 'POST', path: /\/discussions$/ }, { status: 500, json: { message: `boom ${GL_TOKEN}` } });
        gl.failNext({ method: 'POST', path: /\/notes$/ }, { status: 403, json: { message: `403 Forbidden for ${GL_TOKEN}` } });

        const result = await runCli(['review', '--verbose'], {
          cwd: fx.repo.dir,
          env: {
            ...gitlabCiEnv({ gl, headSha: fx.headSha, baseSha: fx.baseSha, token: GL_TOKEN, sourceBranchSha: null }),
            OPENAI_BASE_URL: c.model.url,
            OPENAI_API_KEY: API_KEY,
          },
        });

        expectNoCrash(result);
        expectNoSecrets(result, GL_TOKEN, API_KEY);
        expect(result.stdout).toContain(inDiff.title);
        expect(result.stderr).toMatch(/boom glpa\*{4}/);
        expect(result.stderr).toMatch(/gitlab refused to take the review .*403 Forbidden for glpa\*{4}/);
      } finally {
        await gl.close();
      }
    }),
  );
});

/** A GitHub Actions `pull_request` job whose event names no repositories and which sets no GITHUB_SERVER_URL. */
function githubEnv(c: Ctx, gh: FakeGitHub, fx: FeatureRepo): Record<string, string> {
  return {
    ...githubActionsEnv({ gh, headSha: fx.headSha, baseSha: fx.baseSha, token: GH_TOKEN, work: c.work, serverUrl: null, eventRepos: false }),
    OPENAI_BASE_URL: c.model.url,
    OPENAI_API_KEY: API_KEY,
  };
}
