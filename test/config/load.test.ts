import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoomError } from '../../src/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { makeTempDir, SEED_CONFIG, type TempDir } from './temp-dir.ts';

let repo: TempDir;
beforeEach(() => {
  repo = makeTempDir();
});
afterEach(() => repo.remove());

async function rejection(promise: Promise<unknown>): Promise<LoomError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(LoomError);
  return error as LoomError;
}

describe('loadConfig', () => {
  it('uses the built-in default when there is no file', async () => {
    const loaded = await loadConfig({ cwd: repo.dir, env: {} });
    expect(loaded.path).toBeUndefined();
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config.models.default).toMatchObject({ base_url: 'https://api.openai.com/v1', model: 'gpt-4o', api_key_env: 'OPENAI_API_KEY' });
    expect(loaded.config.pipelines.map((p) => p.name)).toEqual(['review']);
    expect(loaded.config.triggers.branches).toBeUndefined();
    expect(loaded.config.triggers.max_changes).toBeUndefined();
  });

  it('applies OPENAI_BASE_URL and LOOM_MODEL (or OPENAI_MODEL) to the default model', async () => {
    const a = await loadConfig({ cwd: repo.dir, env: { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', LOOM_MODEL: 'qwen2.5-coder', OPENAI_MODEL: 'ignored' } });
    expect(a.config.models.default).toMatchObject({ base_url: 'http://127.0.0.1:11434/v1', model: 'qwen2.5-coder' });
    const b = await loadConfig({ cwd: repo.dir, env: { OPENAI_MODEL: 'gpt-4o-mini' } });
    expect(b.config.models.default).toMatchObject({ base_url: 'https://api.openai.com/v1', model: 'gpt-4o-mini' });
    // The override must not leak into the next default (zod shares nested default objects).
    const c = await loadConfig({ cwd: repo.dir, env: {} });
    expect(c.config.models.default).toMatchObject({ base_url: 'https://api.openai.com/v1', model: 'gpt-4o' });
  });

  it('rejects an OPENAI_BASE_URL that is not a URL without echoing it', async () => {
    const error = await rejection(loadConfig({ cwd: repo.dir, env: { OPENAI_BASE_URL: 'not a url secret' } }));
    expect(error.code).toBe('config-invalid');
    expect(error.message).toContain('OPENAI_BASE_URL');
    expect(error.message).not.toContain('secret');
  });

  it('ignores the env overrides once a config file exists', async () => {
    repo.write({ '.loom/config.yaml': SEED_CONFIG, '.loom/prompts/security.md': '{{diff}}\n' });
    const loaded = await loadConfig({ cwd: repo.dir, env: { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1', LOOM_MODEL: 'other', OPENAI_API_KEY: 'k' } });
    expect(loaded.path).toBe(join(repo.dir, '.loom/config.yaml'));
    expect(loaded.config.models.default).toMatchObject({ base_url: 'https://api.openai.com/v1', model: 'gpt-4o' });
    expect(loaded.warnings).toEqual([]);
  });

  it('falls back to config.yml, prefers config.yaml, and returns warnings', async () => {
    repo.write({ '.loom/config.yml': 'concurrency: 7\n' });
    const yml = await loadConfig({ cwd: repo.dir, env: {} });
    expect(yml.path).toBe(join(repo.dir, '.loom/config.yml'));
    expect(yml.config.concurrency).toBe(7);
    expect(yml.warnings.map((w) => w.message)).toEqual([
      'models.default.api_key_env: OPENAI_API_KEY is not set; loom will not be able to call this model',
    ]);
    repo.write({ '.loom/config.yaml': 'concurrency: 9\n' });
    expect((await loadConfig({ cwd: repo.dir, env: { OPENAI_API_KEY: 'k' } })).config.concurrency).toBe(9);
  });

  it('reads an explicit path relative to cwd and fails clearly when it is missing', async () => {
    repo.write({ 'ci/loom.yaml': 'fail_on: blocker\n' });
    const loaded = await loadConfig({ cwd: repo.dir, path: 'ci/loom.yaml', env: { OPENAI_API_KEY: 'k' } });
    expect(loaded.config.fail_on).toBe('blocker');
    expect(loaded.path).toBe(join(repo.dir, 'ci/loom.yaml'));
    const error = await rejection(loadConfig({ cwd: repo.dir, path: 'ci/nope.yaml', env: {} }));
    expect(error.code).toBe('config-not-found');
    expect(error.message).toContain('ci/nope.yaml');
    expect(error.message).toContain('loom init');
  });

  it('throws config-invalid listing every error, one per line, with the relative path', async () => {
    repo.write({ '.loom/config.yaml': 'fail_on: sometimes\nconcurrency: 0\n' });
    const error = await rejection(loadConfig({ cwd: repo.dir, env: {} }));
    expect(error.code).toBe('config-invalid');
    expect(error.message.split('\n')).toEqual([
      '.loom/config.yaml:1:10: fail_on: must be one of blocker, warning, info, never (got "sometimes")',
      '.loom/config.yaml:2:14: concurrency: must be at least 1 (got 0)',
    ]);
  });
});
