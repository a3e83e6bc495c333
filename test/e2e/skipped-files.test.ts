import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli } from '../helpers/run-cli.ts';

const AWS = 'AKIAIOSFODNN7EXAMPLE';
let server: FakeOpenAi;
let repo: TestRepo | undefined;

beforeAll(async () => {
  server = await startOpenAiServer(() => ({ content: '{"findings": []}' }));
});
afterAll(() => server.close());
afterEach(() => {
  repo?.remove();
  server.requests.length = 0;
});

const lockLines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `  "dep-${i}": "${tag}-${i}",`);

describe('files no model reads (skip_paths, ignore_paths), parsed without their lines', () => {
  it('still have their secrets and conflict blocks found at the right lines, and every line counted', async () => {
    repo = makeRepo({ 'package-lock.json': `${lockLines(3000, '1.0').join('\n')}\n`, 'vendor/lib.js': 'old\n', 'src/a.ts': 'export const a = 1;\n' });
    repo.git('checkout', '-q', '-b', 'feature');
    const lock = lockLines(3000, '2.0');
    lock.splice(1200, 0, `  "token": "${AWS}",`);
    lock.splice(2500, 0, '<<<<<<< HEAD', '  "x": 1,', '=======', '  "x": 2,', '>>>>>>> theirs');
    repo.write({
      'package-lock.json': `${lock.join('\n')}\n`,
      'vendor/lib.js': `${Array.from({ length: 500 }, (_, i) => `var v${i} = ${i};`).join('\n')}\n<<<<<<< ours\n=======\n>>>>>>> theirs\n`,
      'src/a.ts': 'export const a = 2;\n',
      '.loom/config.yaml': `models:\n  default:\n    base_url: ${server.url}\n    model: gpt-4o\npipelines:\n  - name: review\ntriggers:\n  ignore_paths: ["vendor/**"]\ncache:\n  enabled: false\n`,
    });
    repo.commit('feature');

    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json', '--verbose'], { cwd: repo.dir, env: {} });
    expect(result.stderr).toContain('2 file(s) that no model reads were parsed for their line counts and the lines the built-in checks flag');
    const report = JSON.parse(result.stdout);

    const found = report.findings.map((f: { path: string; line: number; endLine?: number; ruleId: string }) => [f.path, f.line, f.endLine, f.ruleId]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['package-lock.json', 1201, undefined, 'builtin/secret/aws-access-key-id'],
        ['package-lock.json', 2501, 2505, 'builtin/conflict-marker'],
        ['vendor/lib.js', 501, 503, 'builtin/conflict-marker'],
      ]),
    );
    expect(found).toHaveLength(3);
    // 3006 added and 3000 removed lines in the lock file, 503 + 1 in vendor/lib.js; reviewed: 1 + 1 in src/a.ts and
    // the 10 lines of the config file the branch adds.
    expect(report.coverage).toMatchObject({ linesChanged: 6006 + 504 + 12, linesReviewed: 12, linesSkipped: 6006 + 504, linesNotReviewed: 0 });
    expect(report.coverage.filesSkipped.map((s: { path: string }) => s.path).sort()).toEqual(['package-lock.json', 'vendor/lib.js']);
    const sent = server.requests.map((r) => JSON.stringify(r.body)).join('\n');
    expect(sent).toContain('export const a = 2;');
    expect(sent).not.toContain('dep-');
    expect(sent).not.toContain(AWS);
  });
});
