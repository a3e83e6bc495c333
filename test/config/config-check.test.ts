import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runConfigCheck } from '../../src/commands/config-check.ts';
import { makeTempDir, SEED_CONFIG, type TempDir } from './temp-dir.ts';

let repo: TempDir;
beforeEach(() => {
  repo = makeTempDir();
});
afterEach(() => repo.remove());

async function run(opts: { path?: string; env?: Record<string, string | undefined> } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runConfigCheck({
    cwd: repo.dir,
    env: opts.env ?? { OPENAI_API_KEY: 'sk-test-value' },
    ...(opts.path !== undefined && { path: opts.path }),
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { code, stdout, stderr };
}

describe('runConfigCheck', () => {
  it('says the seed config is valid', async () => {
    repo.write({ '.loom/config.yaml': SEED_CONFIG, '.loom/prompts/security.md': '{{diff}}\n' });
    expect(await run()).toEqual({ code: 0, stdout: '.loom/config.yaml: valid (1 pipeline, 1 model)\n', stderr: '' });
  });

  it('prints warnings but still exits 0', async () => {
    repo.write({ '.loom/config.yaml': SEED_CONFIG, '.loom/prompts/security.md': '{{diff}}\n' });
    const result = await run({ env: {} });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('.loom/config.yaml: valid (1 pipeline, 1 model)\n');
    expect(result.stderr).toBe(
      '.loom/config.yaml:4:18: warning: models.default.api_key_env: OPENAI_API_KEY is not set; loom will not be able to call this model\n',
    );
  });

  it('exits 2 with file:line:col lines for every error', async () => {
    repo.write({ '.loom/config.yml': 'modles: {}\nfail_on: sometimes\n' });
    const result = await run();
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      '.loom/config.yml:1:1: unknown key "modles" (did you mean "models"?)',
      '.loom/config.yml:2:10: fail_on: must be one of blocker, warning, info, never (got "sometimes")',
    ]);
  });

  it('checks an explicit path, shown relative to cwd', async () => {
    repo.write({ 'other/loom.yaml': 'pipelines:\n  - name: a\n  - name: b\n    template: security\n' });
    expect((await run({ path: 'other/loom.yaml' })).stdout).toBe('other/loom.yaml: valid (2 pipelines, 1 model)\n');
  });

  it('exits 2 when an explicit path does not exist', async () => {
    const result = await run({ path: 'missing.yaml' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('config file not found: missing.yaml');
  });

  it('says the built-in default is used when there is no file', async () => {
    const result = await run();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no config file');
    expect(result.stdout).toContain('built-in default (1 pipeline, 1 model)');
    expect(result.stdout).toContain('loom init');
  });
});
