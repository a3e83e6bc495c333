import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfigText } from '../../src/config/check.ts';
import { formatIssue, type ConfigIssue } from '../../src/config/issues.ts';
import { makeTempDir, SEED_CONFIG, type TempDir } from './temp-dir.ts';

let repo: TempDir;
const env = { OPENAI_API_KEY: 'sk-test-secret-value' };
const check = (text: string, over: { env?: Record<string, string | undefined> } = {}) =>
  checkConfigText(text, { file: '.loom/config.yaml', cwd: repo.dir, env: over.env ?? env });
const lines = (issues: ConfigIssue[]) => issues.map((i) => formatIssue('c.yaml', i));

beforeEach(() => {
  repo = makeTempDir({ '.loom/prompts/security.md': 'Find bugs.\n{{diff}}\n' });
});
afterEach(() => repo.remove());

describe('checkConfigText', () => {
  it('accepts the seed config verbatim', () => {
    const result = check(SEED_CONFIG);
    expect(result.issues).toEqual([]);
    expect(result.config?.pipelines[0]).toMatchObject({ name: 'security', model: 'default', severity: 'blocker', enabled: true });
    expect(result.config?.models.default).toMatchObject({ model: 'gpt-4o', temperature: 0, max_tokens: 4000, timeout_s: 120 });
    expect(result.config?.triggers).toEqual({ branches: ['main', 'develop'], ignore_paths: ['*.lock', 'dist/**'], max_changes: 1000 });
  });

  it('treats an empty or comment-only file as all defaults', () => {
    for (const text of ['', '# nothing yet\n']) {
      const result = check(text);
      expect(result.issues).toEqual([]);
      expect(result.config?.pipelines.map((p) => p.name)).toEqual(['review']);
      expect(result.config?.fail_on).toBe('never');
    }
  });

  it('reports an unknown top-level key at the key, with a suggestion', () => {
    const { issues, config } = check('concurrency: 2\nmodles: {}\n');
    expect(config).toBeUndefined();
    expect(lines(issues)).toEqual(['c.yaml:2:1: unknown key "modles" (did you mean "models"?)']);
  });

  it('suggests snake_case for a dashed nested key and lists the allowed keys when nothing is close', () => {
    const text = 'pipelines:\n  - name: a\n    prompt-file: x.md\n    zzz: 1\n';
    expect(lines(check(text).issues)).toEqual([
      'c.yaml:3:5: pipelines[0]: unknown key "prompt-file" (did you mean "prompt_file"?)',
      'c.yaml:4:5: pipelines[0]: unknown key "zzz" (allowed: name, model, prompt_file, template, severity, paths, instructions, enabled)',
    ]);
  });

  it('reports a bad enum value at the value, saying what is allowed', () => {
    const text = 'pipelines:\n  - name: security\n    severity: critical\n';
    expect(lines(check(text).issues)).toEqual([
      'c.yaml:3:15: pipelines[0].severity: must be one of blocker, warning, info (got "critical")',
    ]);
  });

  it('reports wrong types at the offending value', () => {
    const text = ['models:', '  default:', '    model: gpt-4o', '    temperature: "0.5"', '    max_tokens: 1.5', 'triggers:', '  branches: main', ''].join('\n');
    expect(lines(check(text).issues)).toEqual([
      'c.yaml:4:18: models.default.temperature: must be a number (got "0.5"; remove the quotes)',
      'c.yaml:5:17: models.default.max_tokens: must be a whole number (got 1.5)',
      'c.yaml:7:13: triggers.branches: must be a list (got "main")',
    ]);
  });

  it('points a missing required key at its parent map', () => {
    const text = 'models:\n  default:\n    temperature: 0.2\n';
    expect(lines(check(text).issues)).toEqual(['c.yaml:3:5: models.default: missing required key "model" (a string)']);
  });

  it('reports every problem in one pass, in file order', () => {
    const text = ['fail_on: sometimes', 'concurrency: 0', 'pipelines:', '  - name: x', '    severity: high', '    enabeld: true', 'guideline: x.md', ''].join('\n');
    const { issues } = check(text);
    expect(issues.every((i) => i.severity === 'error')).toBe(true);
    expect(lines(issues)).toEqual([
      'c.yaml:1:10: fail_on: must be one of blocker, warning, info, never (got "sometimes")',
      'c.yaml:2:14: concurrency: must be at least 1 (got 0)',
      'c.yaml:5:15: pipelines[0].severity: must be one of blocker, warning, info (got "high")',
      'c.yaml:6:5: pipelines[0]: unknown key "enabeld" (did you mean "enabled"?)',
      'c.yaml:7:1: unknown key "guideline" (did you mean "guidelines"?)',
    ]);
  });

  it('locates YAML syntax errors and stops before schema noise', () => {
    const { issues, config } = check('models:\n  default:\n    model: "gpt-4o\n');
    expect(config).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'error', line: 4, col: 1 });
    expect(issues[0]?.message).toMatch(/^invalid YAML: .*quote/);
  });

  it('reports a duplicate key and still checks the rest', () => {
    const text = 'concurrency: 2\nconcurrency: 3\nfail_on: bad\n';
    expect(lines(check(text).issues)).toEqual([
      'c.yaml:2:1: duplicate key "concurrency"; each key may appear only once in a mapping',
      'c.yaml:3:10: fail_on: must be one of blocker, warning, info, never (got "bad")',
    ]);
  });

  it('rejects a top level that is not a mapping', () => {
    expect(lines(check('- a\n- b\n').issues)).toEqual([
      'c.yaml:1:1: the top level must be a mapping of settings such as models and pipelines (got a list)',
    ]);
  });

  it('reports a pipeline model that is not in models, with a suggestion', () => {
    const text = SEED_CONFIG.replace('    model: default\n    prompt_file', '    model: defualt\n    prompt_file');
    expect(lines(check(text).issues)).toEqual(['c.yaml:10:12: pipelines[0].model: unknown model "defualt" (did you mean "default"?)']);
  });

  it('reports a missing prompt_file relative to cwd', () => {
    const text = SEED_CONFIG.replace('security.md', 'secrity.md');
    const { issues, config } = check(text);
    expect(config).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'error', line: 11, col: 18 });
    expect(issues[0]?.message).toContain('pipelines[0].prompt_file: file not found: .loom/prompts/secrity.md');
  });

  it('reports a missing guidelines file, duplicate pipeline names and unknown fallbacks', () => {
    const text = [
      'guidelines: docs/REVIEW.md',
      'models:',
      '  default:',
      '    model: m',
      '    fallback: [fast, defualt]',
      '  fast:',
      '    model: f',
      'pipelines:',
      '  - name: a',
      '  - name: a',
      '',
    ].join('\n');
    const { issues } = check(text);
    expect(lines(issues)).toEqual([
      'c.yaml:1:13: guidelines: file not found: docs/REVIEW.md (paths are relative to the repository root)',
      'c.yaml:5:22: models.default.fallback[1]: unknown model "defualt" (did you mean "default"?)',
      'c.yaml:10:11: pipelines[1].name: duplicate pipeline name "a" (also used at line 9); names must be unique',
    ]);
    repo.write({ 'docs/REVIEW.md': 'Be kind.\n' });
    expect(check(text.replace('defualt]', 'nope]')).issues.map((i) => i.message)).toEqual([
      'models.default.fallback[1]: unknown model "nope" (defined: default, fast)',
      'pipelines[1].name: duplicate pipeline name "a" (also used at line 9); names must be unique',
    ]);
    expect(check(text.replace('defualt]', 'default]')).issues.map((i) => i.message)).toEqual([
      'models.default.fallback[1]: a model cannot fall back to itself',
      'pipelines[1].name: duplicate pipeline name "a" (also used at line 9); names must be unique',
    ]);
  });

  it('warns, without failing, when a model api_key_env is unset, and never prints env values', () => {
    const result = check(SEED_CONFIG, { env: { OTHER: 'sk-visible-secret' } });
    expect(result.config).toBeDefined();
    expect(lines(result.issues)).toEqual([
      'c.yaml:4:18: warning: models.default.api_key_env: OPENAI_API_KEY is not set; loom will not be able to call this model',
    ]);
    const withKey = check(SEED_CONFIG);
    expect(withKey.issues).toEqual([]);
    const pasted = check('models:\n  default:\n    model: m\n    api_key_env: sk-proj-abc123secret!\n');
    expect(pasted.issues.map((i) => i.message)).toEqual(['models.default.api_key_env: must be the name of an environment variable, not its value']);
    expect(JSON.stringify(pasted.issues)).not.toContain('abc123');
  });

  it('refuses a model header that HTTP cannot carry, and never prints its value', () => {
    const { issues } = check('models:\n  default:\n    model: m\n    headers:\n      "x-gateway": "abc\\nX-Injected: 1"\n      "bad name": ok\n');
    expect(issues.map((i) => i.message).sort()).toEqual([
      'models.default.headers.x-gateway: an HTTP header value cannot hold line breaks, other control characters or characters beyond Latin-1',
      'models.default.headers: invalid name "bad name": names must be an HTTP header name: letters, digits and !#$%&\'*+-.^_`|~',
    ]);
    expect(JSON.stringify(issues)).not.toContain('Injected');
  });

  it('explains a default pipeline whose model is missing', () => {
    const { issues } = check('models:\n  fast:\n    model: x\n');
    expect(lines(issues)).toEqual([
      'c.yaml:2:3: models: no model named "default", which the built-in "review" pipeline uses; add it or define pipelines',
    ]);
  });

  it('reports bad model names at the key', () => {
    const { issues } = check('models:\n  "my model":\n    model: x\n');
    expect(lines(issues)).toEqual([
      'c.yaml:2:3: models: invalid name "my model": names must start with a letter or digit and use only letters, digits, "-", "_" or "."',
    ]);
  });
});
