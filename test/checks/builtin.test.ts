import { describe, expect, it } from 'vitest';
import { runBuiltinChecks } from '../../src/checks/index.ts';
import { SECRET_HINT, SECRET_PATTERNS } from '../../src/checks/secret-patterns.ts';
import { parseDiff } from '../../src/diff/parse.ts';
import { indexDiff } from '../../src/findings/diff-index.ts';
import { renderDiff } from '../../src/prompts/render-diff.ts';
import { fileDiff } from '../helpers/file-diff.ts';

const on = { secrets: true, conflict_markers: true };
// Built at run time so this file itself does not look like it holds real tokens.
const ghToken = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const awsKey = 'AKIA' + 'IOSFODNN7EXAMPLE';

describe('runBuiltinChecks', () => {
  it('reports a token on the added line and masks it in what a model would see', () => {
    const files = [fileDiff('src/config.ts', [{ oldStart: 1, newStart: 1, lines: [' const a = 1;', `+const token = "${ghToken}";`, ' export {};'] }])];

    const result = runBuiltinChecks(files, on, indexDiff(files));

    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ path: 'src/config.ts', line: 2, severity: 'blocker', ruleId: 'builtin/secret/github-token', inDiff: true });
    expect(JSON.stringify(result.findings)).not.toContain(ghToken);
    const rendered = renderDiff(result.masked);
    expect(rendered).not.toContain(ghToken);
    expect(rendered).toContain('[loom:masked github-token]');
    expect(result.maskedCount).toBe(1);
  });

  it('masks a whole private key block and reports it once, spanning its lines', () => {
    const files = [
      fileDiff('deploy/key.pem', [
        { oldStart: 0, newStart: 1, lines: ['+-----BEGIN RSA PRIVATE KEY-----', '+MIIEpAIBAAKCAQEA1234567890abcdef', '+ZmFrZWtleWRhdGE=', '+-----END RSA PRIVATE KEY-----', '+after'] },
      ]),
    ];

    const result = runBuiltinChecks(files, on, indexDiff(files));

    expect(result.findings.map((f) => [f.line, f.endLine, f.ruleId])).toEqual([[1, 4, 'builtin/secret/private-key']]);
    const rendered = renderDiff(result.masked);
    expect(rendered).not.toContain('MIIEpAIBAAKCAQEA');
    expect(rendered).not.toContain('ZmFrZWtleWRhdGE=');
    expect(rendered).toContain('+ after');
  });

  it('masks secrets on removed lines without reporting them as added', () => {
    const files = [fileDiff('a.env', [{ oldStart: 1, newStart: 1, lines: [`-AWS_KEY=${awsKey}`, '+AWS_KEY=${AWS_KEY}'] }])];

    const result = runBuiltinChecks(files, on, indexDiff(files));

    expect(result.findings).toEqual([]);
    expect(renderDiff(result.masked)).not.toContain(awsKey);
  });

  it('still masks when the secrets report is turned off', () => {
    const files = [fileDiff('a.ts', [{ oldStart: 1, newStart: 1, lines: [`+const k = '${awsKey}';`] }])];

    const result = runBuiltinChecks(files, { secrets: false, conflict_markers: true }, indexDiff(files));

    expect(result.findings).toEqual([]);
    expect(renderDiff(result.masked)).not.toContain(awsKey);
  });

  it('reports a conflict block from <<<<<<< to >>>>>>> but not a setext heading underline', () => {
    const files = [
      fileDiff('README.md', [{ oldStart: 1, newStart: 1, lines: ['+Title', '+=======', '+', '+<<<<<<< HEAD', '+ours', '+=======', '+theirs', '+>>>>>>> feature'] }]),
    ];

    const result = runBuiltinChecks(files, on, indexDiff(files));

    expect(result.findings.map((f) => [f.ruleId, f.line, f.endLine])).toEqual([['builtin/conflict-marker', 4, 8]]);
  });

  it('ignores markers on context lines (they were already there)', () => {
    const files = [fileDiff('a.txt', [{ oldStart: 1, newStart: 1, lines: [' <<<<<<< HEAD', '+x'] }])];

    expect(runBuiltinChecks(files, on, indexDiff(files)).findings).toEqual([]);
  });
});

describe('secrets screened by the parser (ParseOptions.secretHint)', () => {
  const section = (path: string, header: string, lines: string[]) => `diff --git a/${path} b/${path}\nindex 1111111..2222222 100644\n--- a/${path}\n+++ b/${path}\n${header}\n${lines.join('\n')}\n`;
  const diff = [
    section('src/clean.ts', '@@ -1,2 +1,2 @@', [' const a = 1;', '-const b = 2;', '+const b = 3;']),
    section('src/aws.ts', '@@ -1,3 +1,4 @@ function load()', [' const a = 1;', `+const k = '${awsKey}';`, ' const c = 3;', ' export {};', '+// end']),
    // The key block starts on a context line: masked, though not reported.
    section('deploy/key.pem', '@@ -1,3 +1,4 @@', [' -----BEGIN RSA PRIVATE KEY-----', ' MIIEpAIBAAKCAQEA1234567890abcdef', '+ZmFrZWtleWRhdGE=', ' -----END RSA PRIVATE KEY-----']),
    section('win.ts', '@@ -1 +1,2 @@', [' a\r', `+const t = "${ghToken}";\r`]),
    section('old.env', '@@ -1,2 +1 @@', [`-AWS_KEY=${awsKey}`, ' keep']),
    section('src/clean2.ts', '@@ -5,1 +5,2 @@', [' x', '+y']),
    // Last in the output, with no newline after the secret.
    `diff --git a/last.ts b/last.ts\nindex 1..2 100644\n--- a/last.ts\n+++ b/last.ts\n@@ -0,0 +1 @@\n+const g = "${ghToken}"`,
  ].join('');

  it('marks only the sections holding the hint, and the checks then mask and report exactly as with every line scanned', () => {
    const screened = parseDiff(diff, { secretHint: SECRET_HINT });
    const plain = parseDiff(diff);
    expect(screened.map((f) => [f.path, f.mayHoldSecret])).toEqual([
      ['src/clean.ts', false],
      ['src/aws.ts', true],
      ['deploy/key.pem', true],
      ['win.ts', true],
      ['old.env', true],
      ['src/clean2.ts', false],
      ['last.ts', true],
    ]);
    expect(plain.every((f) => f.mayHoldSecret === undefined)).toBe(true);

    const a = runBuiltinChecks(screened, on, indexDiff(screened));
    const b = runBuiltinChecks(plain, on, indexDiff(plain));
    expect(renderDiff(a.masked)).toBe(renderDiff(b.masked));
    expect(a.findings).toEqual(b.findings);
    expect(a.maskedCount).toBe(b.maskedCount);
    // Added lines only: the key block began on a context line, the removed key is not reported.
    expect(a.findings.map((f) => `${f.path}:${f.line}`).sort()).toEqual(['last.ts:1', 'src/aws.ts:2', 'win.ts:2']);
    for (const secret of [awsKey, ghToken, 'MIIEpAIBAAKCAQEA', 'ZmFrZWtleWRhdGE=']) expect(renderDiff(a.masked)).not.toContain(secret);
    // A clean section comes back as the very object parsed: its lines were not walked.
    expect(a.masked[0]).toBe(screened[0]);
  });
});

describe('secret patterns on hostile lines', () => {
  it('scans a line that makes a pattern start again at every place in it in moments, and still finds the key after it', () => {
    // `sk-` is both the OpenAI pattern's prefix and part of the run it reads before T3BlbkFJ: unbounded, that run was
    // read to the end of the line from each of the 100,000 starts (over a minute).
    const key = `sk-proj-${'a1B2'.repeat(6)}${'T3BlbkFJ'}${'c3D4'.repeat(6)}`;
    const files = [fileDiff('src/hostile.ts', [{ oldStart: 0, newStart: 1, lines: [`+const s = "${'sk-'.repeat(100_000)} ${key}";`] }])];

    const result = runBuiltinChecks(files, on, indexDiff(files));

    expect(result.findings.map((f) => [f.line, f.ruleId])).toEqual([[1, 'builtin/secret/openai-api-key']]);
    expect(renderDiff(result.masked)).not.toContain(key);
  });
});

describe('SECRET_HINT', () => {
  // One sample per pattern, built at run time so this file does not look like it holds real secrets.
  const x = (n: number, c = 'a1B2') => c.repeat(Math.ceil(n / c.length)).slice(0, n);
  const samples: Record<string, string> = {
    'aws-access-key-id': `AKIA${'IOSFODNN7EXAMPLE'}`,
    'github-token': `ghp_${x(36)}`,
    'github-fine-grained-token': `github_pat_${x(60)}`,
    'gitlab-token': `glpat-${x(20)}`,
    'slack-token': `xoxb-${x(12)}`,
    'slack-webhook': `https://hooks.slack.com/services/T${'ABC123'}/B${'DEF456'}/${x(24)}`,
    'stripe-live-key': `sk_live_${x(24)}`,
    'google-api-key': `AIza${x(35)}`,
    'openai-api-key': `sk-proj-${x(24)}${'T3BlbkFJ'}${x(24)}`,
    'anthropic-api-key': `sk-ant-api03-${x(48)}`,
    'npm-token': `npm_${x(36)}`,
    'pypi-token': `pypi-${'AgEIcHlwaS5vcmc'}${x(60)}`,
    'azure-storage-key': `AccountKey=${x(86)}==`,
    'jwt-private': `"private_key": "-----BEGIN ${x(30)}"`,
  };

  it('matches every secret pattern, so lines without it can skip them', () => {
    expect(Object.keys(samples).sort()).toEqual(SECRET_PATTERNS.map((p) => p.id).sort());
    for (const pattern of SECRET_PATTERNS) {
      const sample = `const v = ${samples[pattern.id]!};`;
      pattern.regex.lastIndex = 0;
      expect(pattern.regex.test(sample), pattern.id).toBe(true);
      expect(SECRET_HINT.test(sample), pattern.id).toBe(true);
    }
    expect(SECRET_HINT.test('-----BEGIN OPENSSH PRIVATE KEY-----')).toBe(true);
    expect(SECRET_HINT.test('    const total = items.reduce((n, i) => n + i.price, 0);')).toBe(false);
  });
});
