import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { findingsReply, startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli } from '../helpers/run-cli.ts';

// A pull request reviewed in two units, one file each, where the model of each unit names a line of the other
// file: that line is in the diff, but the call was never shown it.

let server: FakeOpenAi;
let repo: TestRepo;

const module = (name: string) => Array.from({ length: 60 }, (_, i) => `export function ${name}${i}(input) { return input.values.map((v) => v * ${i} + ${name.length}); }\n`).join('');

beforeAll(async () => {
  server = await startOpenAiServer((req) => {
    const prompt = (req.body.messages as { content: string }[]).map((m) => m.content).join('\n');
    // Each unit answers about its own file (a line it was shown) and about the other one (a guess).
    const own = prompt.includes('src/alpha.js') ? 'src/alpha.js' : 'src/beta.js';
    const other = own === 'src/alpha.js' ? 'src/beta.js' : 'src/alpha.js';
    return findingsReply([
      { file: own, line: 5, severity: 'warning', title: `seen in ${own}`, body: 'b' },
      { file: other, line: 7, severity: 'warning', title: `guessed from ${own}`, body: 'b' },
    ]);
  });
  repo = makeRepo({ 'README.md': '# x\n' });
  repo.git('checkout', '-q', '-b', 'feature');
  repo.write({
    'src/alpha.js': module('alpha'),
    'src/beta.js': module('beta'),
    '.loom/config.yaml': `models:\n  default:\n    base_url: ${server.url}\n    model: gpt-4o\n    max_tokens: 500\n    context_window: 4000\npipelines:\n  - name: review\n    template: review\ncache:\n  enabled: false\n`,
  });
  repo.commit('feature');
});
afterAll(async () => {
  repo.remove();
  await server.close();
});

describe('findings on lines a model call was not shown (built CLI)', () => {
  it('are listed with a notice, never anchored, while each unit\'s own findings are', async () => {
    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json'], { cwd: repo.dir, env: { OPENAI_API_KEY: 'k' } });

    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    // Two units: no call was shown both files.
    const prompts = server.requests.map((r) => (r.body.messages as { content: string }[]).map((m) => m.content).join('\n'));
    expect(prompts).toHaveLength(2);
    expect(prompts.filter((p) => p.includes('src/alpha.js') && p.includes('src/beta.js'))).toEqual([]);
    const found = report.findings.map((f: { path: string; line: number; title: string; inDiff: boolean; notShown?: boolean }) => [f.title, f.path, f.line, f.inDiff, f.notShown ?? false]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['seen in src/alpha.js', 'src/alpha.js', 5, true, false],
        ['seen in src/beta.js', 'src/beta.js', 5, true, false],
        ['guessed from src/alpha.js', 'src/beta.js', 7, false, true],
        ['guessed from src/beta.js', 'src/alpha.js', 7, false, true],
      ]),
    );
    expect(report.notices).toContain(
      '2 finding(s) name lines of the diff that their model call was not shown (a large pull request is reviewed in parts): the line is a guess, so they are listed but not posted inline.',
    );
    expect(report.notices.join('\n')).not.toContain('outside the diff');

    const text = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'markdown'], { cwd: repo.dir, env: { OPENAI_API_KEY: 'k' } });
    expect(text.stdout).toContain('`src/beta.js:7` · warning · review · a line its model call was not shown');
  });
});

describe('a long run of removed lines in a hunk that adds lines (built CLI)', () => {
  it('is shown as a marker but for the lines the addition replaces, counted as summarised; a finding inside it is a guess', async () => {
    const bundle = Array.from({ length: 1_000 }, (_, i) => `function legacy${i}(a) { return a + ${i}; }`);
    const model = await startOpenAiServer(() =>
      findingsReply([
        { file: 'lib/server.js', line: 500, side: 'old', severity: 'warning', title: 'in the summarised middle', body: 'b' },
        { file: 'lib/server.js', line: 995, side: 'old', severity: 'warning', title: 'among the removed lines shown', body: 'b' },
        { file: 'lib/server.js', line: 2, severity: 'warning', title: 'on an added line', body: 'b' },
      ]),
    );
    const r = makeRepo({ 'lib/server.js': `'use strict';\n${bundle.join('\n')}\nmodule.exports = legacy0;\n` });
    try {
      r.git('checkout', '-q', '-b', 'feature');
      r.write({
        'lib/server.js': `'use strict';\nconst { start } = require('./typescript.js');\nmodule.exports = legacy0;\n`,
        '.loom/config.yaml': `models:\n  default:\n    base_url: ${model.url}\n    model: gpt-4o\npipelines:\n  - name: review\n    template: review\ncache:\n  enabled: false\n`,
      });
      r.commit('feature');

      const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json'], { cwd: r.dir, env: { OPENAI_API_KEY: 'k' } });

      expect(result.code).toBe(0);
      const sent = (model.requests[0]!.body.messages as { content: string }[]).map((m) => m.content).join('\n');
      expect(sent).toContain('… 980 lines removed (not shown)');
      expect(sent).not.toContain('function legacy500(');
      expect(sent).toContain('function legacy999(');
      expect(sent).toContain("require('./typescript.js')");
      const report = JSON.parse(result.stdout);
      // lib/server.js: 1,000 removed and 1 added; the config file's 9 added lines.
      expect(report.coverage).toMatchObject({ linesChanged: 1_010, linesSummarised: 980, linesReviewed: 30, linesSkipped: 0, linesNotReviewed: 0 });
      const found = report.findings.map((f: { title: string; inDiff: boolean; notShown?: boolean }) => [f.title, f.inDiff, f.notShown ?? false]);
      expect(found).toEqual(
        expect.arrayContaining([
          ['in the summarised middle', false, true],
          ['among the removed lines shown', true, false],
          ['on an added line', true, false],
        ]),
      );
    } finally {
      r.remove();
      await model.close();
    }
  });
});
