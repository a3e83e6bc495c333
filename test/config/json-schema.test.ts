import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.ts';
import { runConfigSchema } from '../../src/commands/config-schema.ts';
import { SEED_CONFIG } from './temp-dir.ts';

function validator() {
  // ajv is CommonJS: under NodeNext the class is the default export's `default`.
  const ajv = new Ajv2020.default({ allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(configJsonSchema());
}

describe('configJsonSchema', () => {
  it('names itself for editors', () => {
    const schema = configJsonSchema();
    expect(schema.$id).toBe('urn:loom-review:config');
    expect(schema.title).toContain('loom');
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('accepts the seed config and an empty one', () => {
    const validate = validator();
    expect(validate(YAML.parse(SEED_CONFIG)), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({})).toBe(true);
  });

  it('rejects unknown keys, bad enums, wrong types and missing required keys', () => {
    const validate = validator();
    const bad = [
      { modles: {} },
      { pipelines: [{ name: 'security', severity: 'critical' }] },
      { models: { default: { base_url: 'https://x.test/v1' } } },
      { triggers: { max_changes: 'many' } },
      { pipelines: [] },
    ];
    for (const config of bad) expect(validate(config), JSON.stringify(config)).toBe(false);
  });

  it('is what `loom config schema` prints', async () => {
    let out = '';
    const code = await runConfigSchema({ stdout: (s) => (out += s) });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(configJsonSchema());
    expect(out).toContain('\n  "$id"');
  });
});
