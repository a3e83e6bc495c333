/**
 * Bad input through the built CLI: broken configs, odd diffs and odd repositories. Each ends with a clear
 * message and the right exit code (2 usage/config, 3 the review could not be done), never a stack trace.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli, type CliResult } from '../helpers/run-cli.ts';
import { expectNoCrash, KEY, userText } from './support.ts';

const CONFIG = (url: string) => `models:\n  default:\n    base_url: ${url}\n    model: m\n    max_retries: 0\npipelines:\n  - name: review\n    template: review\ncache:\n  enabled: false\n`;

interface Ctx {
  /** Flags line 1 of every file it is shown (the `### path (status)` headings of the rendered diff). */
  model: FakeOpenAi;
  /** main holds `base`; branch feature adds `feature` (plus the config unless it is given). */
  branchRepo(base: Record<string, string | Buffer>, feature: Record<string, string | Buffer | null>, config?: string): TestRepo;
  /** A temp dir removed after the test. */
  tempDir(prefix: string): string;
  removeAfter(dir: string): void;
}

/** Each test owns its model server, repos and dirs, so the tests run concurrently. */
async function withCtx(run: (c: Ctx) => Promise<void>): Promise<void> {
  const model = await startOpenAiServer((req) => {
    const files = [...userText(req).matchAll(/^### (.+) \((?:added|modified|renamed|deleted|copied)[^)]*\)$/gm)].map((m) => m[1]!);
    return { content: JSON.stringify(files.map((file) => ({ file, line: 1, title: `seen ${file}`, body: 'x' }))) };
  });
  const dirs: string[] = [];
  const ctx: Ctx = {
    model,
    branchRepo(base, feature, config = CONFIG(model.url)) {
      const repo = makeRepo({ '.loom/config.yaml': config, ...base });
      dirs.push(repo.dir);
      repo.git('checkout', '-q', '-b', 'feature');
      repo.write(feature);
      repo.commit('feature');
      return repo;
    },
    tempDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    removeAfter: (dir) => dirs.push(dir),
  };
  try {
    await run(ctx);
  } finally {
    await model.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

async function review(cwd: string, args: string[] = [], env: Record<string, string> = {}): Promise<CliResult & { json?: any }> {
  const result = await runCli(['review', '--dry-run', '--format', 'json', ...args], { cwd, env: { OPENAI_API_KEY: KEY, ...env } });
  expectNoCrash(result);
  let json: any;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return { ...result, json };
}

const seen = (json: any) => json.findings.filter((f: any) => f.pipeline === 'review').map((f: any) => [f.path, f.line, f.inDiff]);

describe('broken configs: exit 2 with file:line:col', () => {
  it.concurrent.each([
    ['invalid YAML', 'pipelines:\n  - name: review\n    template: [review\n', /\.loom\/config\.yaml:\d+:\d+: invalid YAML/],
    ['an unknown key', 'pipelines:\n  - name: review\n    templat: review\n', /\.loom\/config\.yaml:3:5: .*templat.*template/],
    ['a wrong type', 'concurrency: lots\npipelines:\n  - name: review\n', /\.loom\/config\.yaml:1:14: .*concurrency/],
    ['a missing prompt file', 'pipelines:\n  - name: review\n    prompt_file: .loom/prompts/nope.md\n', /\.loom\/config\.yaml:3:\d+: .*\.loom\/prompts\/nope\.md/],
  ])('%s', (_name, config, message) =>
    withCtx(async (c) => {
      const r = c.branchRepo({}, { 'a.js': 'x\n' }, config);

      const result = await review(r.dir, ['--base', 'main']);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
      expect(c.model.requests).toHaveLength(0);
    }),
  );

  it.concurrent('a remote model whose api_key_env is not set: says where and which variable to set, exit 3', () =>
    withCtx(async (c) => {
      const config = 'models:\n  default:\n    base_url: https://llm.example.com/v1\n    api_key_env: ACME_LLM_KEY\n    model: m\npipelines:\n  - name: review\n';
      const r = c.branchRepo({}, { 'a.js': 'x\n' }, config);

      const result = await review(r.dir, ['--base', 'main']);

      // The config check warns with the place, the unit fails saying what to set, and with no unit reviewed: exit 3.
      expect(result.stderr).toMatch(/config\.yaml:4:18: models\.default\.api_key_env: ACME_LLM_KEY is not set/);
      expect(result.json.failures).toEqual([{ pipeline: 'review', files: ['a.js'], reason: 'set ACME_LLM_KEY (models.default.api_key_env) to call m at https://llm.example.com/v1' }]);
      expect(result.code).toBe(3);
    }),
  );
});

describe('odd diffs', () => {
  it.concurrent('an empty diff: exit 0, says there is nothing to review, no model call', () =>
    withCtx(async (c) => {
      const r = c.branchRepo({}, {});

      const result = await review(r.dir, ['--base', 'main']);

      expect(result.code).toBe(0);
      expect(result.json.notices.join('\n')).toMatch(/Nothing to review/);
      expect(c.model.requests).toHaveLength(0);
    }),
  );

  it.concurrent('only binary files: exit 0, skipped as binary, no model call', () =>
    withCtx(async (c) => {
      const r = c.branchRepo({}, { 'img/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0xff, 0x00, 0x10]), 'data.bin': Buffer.alloc(64, 0) });

      const result = await review(r.dir, ['--base', 'main']);

      expect(result.code).toBe(0);
      expect(result.json.coverage.filesSkipped).toEqual(expect.arrayContaining([{ path: 'img/logo.png', reason: 'binary' }, { path: 'data.bin', reason: 'binary' }]));
      expect(c.model.requests).toHaveLength(0);
    }),
  );

  it('a 50 MB generated dist/bundle.js: finishes within a 400 MB heap, skipped visibly, never sent to the model', () =>
    withCtx(async (c) => {
      const line = 'var x=function(a){return a+1};'.padEnd(59, ' ') + '\n';
      const r = c.branchRepo({}, { 'src/a.js': 'x\n', 'dist/bundle.js': line.repeat(Math.ceil((50 * 1024 * 1024) / line.length)) });

      const result = await review(r.dir, ['--base', 'main'], { NODE_OPTIONS: '--max-old-space-size=400' });

      expect(result.code).toBe(0);
      expect(result.json.coverage.filesSkipped).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'dist/bundle.js' })]));
      expect(seen(result.json)).toEqual([['src/a.js', 1, true]]);
      expect(c.model.requests.every((q) => !userText(q).includes('dist/bundle.js'))).toBe(true);
    }),
  );

  it.concurrent('a line of 300,000 letters (one piece to the tokenizer): counted in moments, skipped visibly as over the budget, the rest reviewed', () =>
    withCtx(async (c) => {
      // Random letters, so the tokenizer merges them pair by pair; merged by scanning every pair for the lowest, as
      // before, this one line took more than 30 s to count.
      let seed = 5;
      const letter = () => String.fromCharCode(97 + ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 26));
      const r = c.branchRepo({}, { 'src/a.js': 'x\n', 'data/sequence.txt': `${Array.from({ length: 300_000 }, letter).join('')}\n` });

      const result = await review(r.dir, ['--base', 'main']);

      expect(result.code).toBe(0);
      expect(result.json.coverage.filesSkipped).toEqual(expect.arrayContaining([{ path: 'data/sequence.txt', reason: expect.stringMatching(/longer than the model's input budget/) }]));
      expect(seen(result.json)).toEqual([['src/a.js', 1, true]]);
    }),
  );

  it.concurrent('CRLF files, latin-1 bytes, paths with spaces and unicode: reviewed and anchored', () =>
    withCtx(async (c) => {
      const r = c.branchRepo(
        { 'win.txt': 'one\r\ntwo\r\n' },
        {
          'win.txt': 'one\r\nTWO\r\nthree\r\n',
          'latin1.txt': Buffer.from('caf\xe9 cr\xe8me\n', 'latin1'),
          'docs/my file ü 名前.md': 'hello\n',
        },
      );

      const result = await review(r.dir, ['--base', 'main']);

      expect(result.code).toBe(0);
      expect(seen(result.json).sort()).toEqual([
        ['docs/my file ü 名前.md', 1, true],
        ['latin1.txt', 1, true],
        ['win.txt', 1, true],
      ]);
      const prompt = userText(c.model.requests[0]!);
      expect(prompt).not.toContain('\r');
      expect(prompt).toMatch(/^\s*2 \+ TWO$/m);
    }),
  );

  it.concurrent('a submodule, a symlink and a rename with edits', () =>
    withCtx(async (c) => {
      const r = c.branchRepo({ 'old/name.js': 'a\nb\nc\nd\ne\nf\n' }, { 'old/name.js': null, 'new/name.js': 'a\nb\nc\nd\ne\nF\n' });
      symlinkSync('new/name.js', join(r.dir, 'link.js'));
      const sub = makeRepo({ 'x.txt': 'x\n' });
      c.removeAfter(sub.dir);
      r.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.dir, 'vendor/sub');
      r.commit('submodule and symlink');

      const result = await review(r.dir, ['--base', 'main']);

      expect(result.code).toBe(0);
      expect(seen(result.json).sort()).toEqual([
        ['.gitmodules', 1, true],
        ['link.js', 1, true],
        ['new/name.js', 1, false],
      ]);
      expect(userText(c.model.requests[0]!)).toMatch(/### new\/name\.js \(renamed, from old\/name\.js\)/);
      expect(result.json.coverage.filesSkipped).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'vendor/sub' })]));
    }),
  );
});

describe('odd repositories', () => {
  it.concurrent('a detached HEAD is reviewed like a branch', () =>
    withCtx(async (c) => {
      const r = c.branchRepo({}, { 'a.js': 'x\n' });
      r.git('checkout', '-q', '--detach', 'HEAD');

      const result = await review(r.dir, ['--base', 'main']);

      expect(result.code).toBe(0);
      expect(seen(result.json)).toEqual([['a.js', 1, true]]);
    }),
  );

  it.concurrent('no merge base (unrelated histories): exit 3 with the fetch-depth advice', () =>
    withCtx(async (c) => {
      const r = c.branchRepo({}, {});
      r.git('checkout', '-q', '--orphan', 'other');
      r.write({ 'z.js': 'z\n' });
      r.commit('unrelated');

      const result = await review(r.dir, ['--base', 'main']);

      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/no merge base between main and HEAD.*fetch-depth: 0/);
    }),
  );

  it.concurrent('not a git repository: exit 3, clear message', () =>
    withCtx(async (c) => {
      const dir = c.tempDir('loom-nogit-');

      const result = await review(dir, ['--base', 'main'], { GIT_CEILING_DIRECTORIES: tmpdir() });

      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/not a git repository: .*Run loom inside the repository/);
    }),
  );

  it.concurrent('--base naming a branch that does not exist: exit 2', () =>
    withCtx(async (c) => {
      const r = c.branchRepo({}, { 'a.js': 'x\n' });

      const result = await review(r.dir, ['--base', 'no-such-branch']);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/base no-such-branch is not a branch or commit in this repository/);
    }),
  );

  it.concurrent('a repository without commits: exit 2, says to commit first', () =>
    withCtx(async (c) => {
      const dir = c.tempDir('loom-empty-');
      execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });

      const result = await review(dir, ['--base', 'main']);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/no commits yet.*Commit your work first/);
    }),
  );
});
