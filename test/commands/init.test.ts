import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guessPlatform, runInit } from '../../src/commands/init.ts';
import { checkConfigText } from '../../src/config/check.ts';
import { configJsonSchema } from '../../src/config/json-schema.ts';
import { initTemplatesDir } from '../../src/paths.ts';
import YAML from 'yaml';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';

let repo: TestRepo;
beforeEach(() => {
  repo = makeRepo();
});
afterEach(() => repo.remove());

async function init(opts: { force?: boolean; env?: Record<string, string | undefined> } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runInit({
    cwd: repo.dir,
    env: opts.env ?? {},
    ...(opts.force !== undefined && { force: opts.force }),
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { code, stdout, stderr };
}

const read = (path: string) => readFileSync(join(repo.dir, path), 'utf8');

describe('runInit', () => {
  it('writes a valid config, its schema and starter prompts', async () => {
    const result = await init();
    expect(result.code).toBe(0);
    for (const path of ['.loom/config.yaml', '.loom/config.schema.json', '.loom/prompts/review.md', '.loom/prompts/security.md']) {
      expect(result.stdout).toContain(`created ${path}\n`);
    }
    const config = read('.loom/config.yaml');
    expect(config.split('\n')[0]).toBe('# yaml-language-server: $schema=./config.schema.json');
    expect(JSON.parse(read('.loom/config.schema.json'))).toEqual(configJsonSchema());

    const checked = checkConfigText(config, { file: '.loom/config.yaml', cwd: repo.dir, env: { OPENAI_API_KEY: 'k' } });
    expect(checked.issues).toEqual([]);
    expect(checked.config?.pipelines.map((p) => [p.name, p.prompt_file])).toEqual([
      ['review', '.loom/prompts/review.md'],
      ['security', '.loom/prompts/security.md'],
    ]);

    for (const prompt of ['.loom/prompts/review.md', '.loom/prompts/security.md']) {
      const text = read(prompt);
      expect(text).toContain('{{diff}}');
      expect(text).toContain('"file"');
      expect(text).toContain('"line"');
      expect(text).toContain('"side": "old"');
      expect(text).toContain('[]');
    }
  });

  it('keeps existing files unless forced', async () => {
    repo.write({ '.loom/prompts/review.md': 'my own prompt {{diff}}\n' });
    const first = await init();
    expect(first.stdout).toContain('kept .loom/prompts/review.md');
    expect(first.stdout).not.toContain('created .loom/prompts/review.md');
    expect(read('.loom/prompts/review.md')).toBe('my own prompt {{diff}}\n');

    writeFileSync(join(repo.dir, '.loom/config.yaml'), 'concurrency: 2\n');
    const second = await init();
    expect(second.stdout).not.toContain('created');
    expect(read('.loom/config.yaml')).toBe('concurrency: 2\n');

    const forced = await init({ force: true });
    expect(forced.stdout).toContain('created .loom/prompts/review.md');
    expect(read('.loom/prompts/review.md')).not.toBe('my own prompt {{diff}}\n');
    expect(read('.loom/config.yaml')).toContain('models:');
  });

  it('does not add config.yaml next to an existing config.yml', async () => {
    repo.write({ '.loom/config.yml': 'concurrency: 3\n' });
    const result = await init();
    expect(result.stdout).toContain('kept .loom/config.yml');
    expect(existsSync(join(repo.dir, '.loom/config.yaml'))).toBe(false);
  });

  it('prints the GitHub Actions workflow for a github.com remote', async () => {
    repo.git('remote', 'add', 'origin', 'git@github.com:acme/app.git');
    const { stdout } = await init({ env: { OPENAI_API_KEY: 'k' } });
    expect(stdout).toContain('GitHub Actions');
    expect(stdout).toContain('fetch-depth: 0');
    expect(stdout).toContain('pull-requests: write');
    expect(stdout).toContain('OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}');
    expect(stdout).toMatch(/run: npx .*loom-review review/);
    expect(stdout).not.toContain('OPENAI_API_KEY is not set');
  });

  it('prints a GitLab CI job for a GitLab remote, and a generic note without a remote', async () => {
    repo.git('remote', 'add', 'origin', 'https://gitlab.example.com/acme/app.git');
    const gitlab = await init();
    expect(gitlab.stdout).toContain('merge_request_event');
    expect(gitlab.stdout).toContain('GIT_DEPTH: "0"');
    expect(gitlab.stdout).toContain('LOOM_GITLAB_TOKEN');
    expect(gitlab.stdout).toContain('OPENAI_API_KEY is not set');

    repo.git('remote', 'remove', 'origin');
    const none = await init();
    expect(none.stdout).toContain('Could not tell the CI platform');
  });
});

describe('CI snippets', () => {
  it('are all well-formed YAML', () => {
    const dir = join(initTemplatesDir(), 'ci');
    const snippets = readdirSync(dir).filter((f) => f.endsWith('.yml'));
    expect(snippets.sort()).toEqual(['azure.yml', 'bitbucket.yml', 'github.yml', 'gitlab.yml']);
    for (const file of snippets) {
      const doc = YAML.parseDocument(readFileSync(join(dir, file), 'utf8'));
      expect(doc.errors, file).toEqual([]);
      expect(JSON.stringify(doc.toJS()), file).toContain('loom-review review');
    }
  });
});

describe('guessPlatform', () => {
  it('recognises the hosts in https, ssh and scp-like remotes', () => {
    expect(guessPlatform('https://github.com/acme/app.git')).toBe('github');
    expect(guessPlatform('git@github.com:acme/app.git')).toBe('github');
    expect(guessPlatform('ssh://git@ssh.github.com:443/acme/app.git')).toBe('github');
    expect(guessPlatform('git@gitlab.com:acme/app.git')).toBe('gitlab');
    expect(guessPlatform('https://gitlab.acme.io/group/app')).toBe('gitlab');
    expect(guessPlatform('https://acme@dev.azure.com/acme/proj/_git/app')).toBe('azure');
    expect(guessPlatform('git@ssh.dev.azure.com:v3/acme/proj/app')).toBe('azure');
    expect(guessPlatform('https://acme.visualstudio.com/proj/_git/app')).toBe('azure');
    expect(guessPlatform('git@bitbucket.org:acme/app.git')).toBe('bitbucket');
    expect(guessPlatform('https://codeberg.org/acme/app.git')).toBe('unknown');
    expect(guessPlatform('https://notgithub.com/acme/app.git')).toBe('unknown');
    expect(guessPlatform(undefined)).toBe('unknown');
    expect(guessPlatform('/srv/git/app.git')).toBe('unknown');
  });
});
