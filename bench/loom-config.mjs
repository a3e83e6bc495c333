// What every bench script gives the loom it runs: a clean environment and a config for the fake model.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Built from scratch, so a developer's OPENAI_API_KEY, git config or colours never reach a measured run; nor
 * NODE_EXTRA_CA_CERTS, with which Node 20 parses every CA certificate as a process starts (40-50 ms here).
 */
export const LOOM_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? tmpdir(),
  NO_COLOR: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_SYSTEM: '/dev/null',
  LOOM_BENCH_KEY: 'bench-key-not-secret',
};

/**
 * Writes `dir/name`: one model at `baseUrl`, the built-in templates as pipelines, the answer cache off and no cap
 * on calls, so every run sends every unit. Returns its path.
 */
export function writeBenchConfig(dir, name, { baseUrl, model = 'gpt-4o', maxTokens, contextWindow, pipelines, concurrency = 8 }) {
  const path = join(dir, name);
  writeFileSync(
    path,
    `models:
  default:
    base_url: ${baseUrl}
    api_key_env: LOOM_BENCH_KEY
    model: ${model}
    max_tokens: ${maxTokens}
    context_window: ${contextWindow}
    max_retries: 0
    timeout_s: 600
pipelines:
${pipelines.map((p) => `  - name: ${p}\n    template: ${p}\n`).join('')}concurrency: ${concurrency}
cache:
  enabled: false
limits:
  max_calls: 100000
`,
  );
  return path;
}
