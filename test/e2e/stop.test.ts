import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { findingsReply, startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { LOOM_BIN, runCli, type CliResult } from '../helpers/run-cli.ts';

// A review stopped before its model answered every call: by limits.max_minutes, or by the CI cancelling the job.
// Either way the report goes out, says what was not reviewed and why, and keeps what was answered. No test here
// waits on a clock to pass: the server holds calls until the test is over, and the signal is sent on an event.

let server: FakeOpenAi | undefined;
let repo: TestRepo;

const module = (name: string) => Array.from({ length: 60 }, (_, i) => `export function ${name}${i}(input) { return input.values.map((v) => v * ${i} + ${name.length}); }\n`).join('');
const config = (url: string, extra = '') =>
  `models:\n  default:\n    base_url: ${url}\n    model: gpt-4o\n    max_tokens: 500\n    context_window: 4000\npipelines:\n  - name: review\n    template: review\nconcurrency: 1\ncache:\n  enabled: false\n${extra}`;
const fileOf = (req: { body: { messages: { content: string }[] } }) => (req.body.messages.map((m) => m.content).join('\n').includes('src/alpha.js') ? 'src/alpha.js' : 'src/beta.js');

beforeAll(() => {
  repo = makeRepo({ 'README.md': '# x\n' });
  repo.git('checkout', '-q', '-b', 'feature');
  // Two files, too big for one unit together at this window: two calls.
  repo.write({ 'src/alpha.js': module('alpha'), 'src/beta.js': module('beta') });
  repo.commit('feature');
});
afterAll(() => repo.remove());
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a review stopped before every call was answered (built CLI)', () => {
  it('on SIGTERM: stops the call in flight, prints the report with what was answered, and exits 3', async () => {
    let child: ReturnType<typeof spawn> | undefined;
    server = await startOpenAiServer((req, index) => {
      if (index === 0) return findingsReply([{ file: fileOf(req), line: 5, severity: 'warning', title: 'answered before the stop', body: 'b' }]);
      // One call at a time: the second arrives only once the first answer is in. The CI cancels the job now.
      child!.kill('SIGTERM');
      return new Promise<never>(() => {});
    });
    repo.write({ '.loom/config.yaml': config(server.url) });

    const result = await new Promise<CliResult>((resolve, reject) => {
      child = spawn(process.execPath, [LOOM_BIN, 'review', '--base', 'main', '--dry-run', '--format', 'json'], {
        cwd: repo.dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_SYSTEM: '/dev/null', NO_COLOR: '1', OPENAI_API_KEY: 'k' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('loom was stopped (SIGTERM): the model calls not answered yet are stopped; the report covers what was answered');
    const report = JSON.parse(result.stdout);
    const [first, second] = server.requests.map(fileOf);
    expect(report.findings.map((f: { path: string; title: string }) => [f.path, f.title])).toEqual([[first, 'answered before the stop']]);
    expect(report.failures).toEqual([{ pipeline: 'review', files: [second], reason: 'not reviewed: loom was stopped (SIGTERM)' }]);
    expect(report.notices).toContain('1 unit(s) were not reviewed: loom was stopped (SIGTERM) before their model calls were answered.');
    const cov = report.coverage;
    expect([cov.filesReviewed, cov.linesReviewed, cov.linesNotReviewed]).toEqual([1, 60, 60]);
  });

  it('at limits.max_minutes: stops waiting, prints the report, and exits 3 when no model had answered yet', async () => {
    server = await startOpenAiServer(() => new Promise<never>(() => {}));
    // 0.3 s: whatever this machine's speed, no call is ever answered, so the outcome is the same.
    repo.write({ '.loom/config.yaml': config(server.url, 'limits:\n  max_minutes: 0.005\n') });

    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json'], { cwd: repo.dir, env: { OPENAI_API_KEY: 'k' } });

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('limits.max_minutes (0.005) was reached: the model calls not answered yet are stopped');
    expect(result.stderr).toContain('no model answered before the review stopped (2 unit(s) not reviewed)');
    const report = JSON.parse(result.stdout);
    expect(report.failures.map((f: { reason: string }) => f.reason)).toEqual(Array(2).fill('not reviewed: limits.max_minutes (0.005) was reached'));
    expect(report.notices).toContain('2 unit(s) were not reviewed: limits.max_minutes (0.005) was reached before their model calls were answered.');
    expect([report.coverage.linesReviewed, report.coverage.linesNotReviewed]).toEqual([0, 120]);
    // The call in flight was given up, the queued one never made.
    expect(server.requests).toHaveLength(1);
  });
});
