import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { findingsReply, startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli } from '../helpers/run-cli.ts';

// A pull request reviewed in several units, then pushed to: with the answer cache persisted (as CI does), only the
// units with the changed file are asked again, because the units of the first run are made again as they were.

let server: FakeOpenAi;
let repo: TestRepo;
/** Configs live outside the repository, so the diff is only the pushed files. */
let configs: string;

const module = (name: string, lines: number) => Array.from({ length: lines }, (_, i) => `export function ${name}${i}(input) { return input.values.map((v) => v * ${i} + ${name.length}); }\n`).join('');
const config = (url: string, cacheDir: string) =>
  `models:\n  default:\n    base_url: ${url}\n    model: gpt-4o\n    max_tokens: 500\n    context_window: 4000\npipelines:\n  - name: review\n    template: review\ncache:\n  dir: ${cacheDir}\n`;
const files = (grow = 0) => Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`src/m${String(i).padStart(2, '0')}.js`, module(`m${i}`, 6 + ((i * 7) % 11) + (i === 2 ? grow : 0))]));

async function review(cacheDir: string): Promise<{ calls: number; report: any }> {
  const path = join(configs, 'config.yaml');
  writeFileSync(path, config(server.url, cacheDir));
  const before = server.requests.length;
  const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json', '--config', path], { cwd: repo.dir, env: { OPENAI_API_KEY: 'k' } });
  expect(result.code, result.stderr).toBe(0);
  return { calls: server.requests.length - before, report: JSON.parse(result.stdout) };
}

beforeAll(async () => {
  server = await startOpenAiServer(() => findingsReply([]));
  configs = mkdtempSync(join(tmpdir(), 'loom-push-'));
  repo = makeRepo({ 'README.md': '# x\n' });
  repo.git('checkout', '-q', '-b', 'feature');
  repo.write(files());
  repo.commit('feature');
});
afterAll(async () => {
  repo.remove();
  rmSync(configs, { recursive: true, force: true });
  await server.close();
});

describe('a push to a pull request reviewed before, with the cache kept (built CLI)', () => {
  it('asks again only for the units the changed file was in (at most two); without the units of the first run, first fit asks for more', async () => {
    const first = await review('.loom/cache');
    expect(first.calls).toBeGreaterThanOrEqual(4);
    expect((await review('.loom/cache')).calls).toBe(0);
    // The same cache, less the memory of units: the answers alone.
    cpSync(`${repo.dir}/.loom/cache`, `${repo.dir}/.loom/answers-only`, { recursive: true });
    rmSync(`${repo.dir}/.loom/answers-only/units.json`);

    // The push: the third file gets 12 more functions, too many for the unit it was in.
    repo.write(files(12));
    repo.commit('push');
    const pushed = await review('.loom/cache');
    const answersOnly = await review('.loom/answers-only');

    expect(pushed.calls).toBeLessThanOrEqual(2);
    expect(answersOnly.calls).toBeGreaterThan(pushed.calls);
    const cov = pushed.report.coverage;
    expect([cov.filesReviewed, cov.linesReviewed, cov.linesNotReviewed]).toEqual([30, cov.linesChanged, 0]);
    // Every unit of the first run but those with the grown file came from the cache.
    expect(pushed.report.pipelines.find((p: { name: string }) => p.name === 'review').cachedCalls).toBeGreaterThanOrEqual(first.calls - 2);
  });
});
