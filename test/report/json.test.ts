import { describe, expect, it } from 'vitest';
import { formatJson } from '../../src/report/formats/json.ts';
import { makeFinding, makeReport } from '../helpers/make-report.ts';
import { richReport } from './fixtures.ts';

describe('formatJson', () => {
  it('writes the documented document for an empty report, 2-space indented with a trailing newline', () => {
    const out = formatJson(makeReport());
    expect(out.endsWith('}\n')).toBe(true);
    expect(out.startsWith('{\n  "schemaVersion": 1,\n  "tool": {\n    "name": "loom",')).toBe(true);
    expect(JSON.parse(out)).toEqual({
      schemaVersion: 1,
      tool: { name: 'loom', version: '0.1.0' },
      range: {
        baseRef: 'main',
        headRef: 'feature',
        baseSha: '1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        headSha: '2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
        mergeBase: '1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      },
      summary: { blocker: 0, warning: 0, info: 0, failedUnits: 0 },
      findings: [],
      failures: [],
      notices: [],
      coverage: { filesChanged: 1, filesReviewed: 1, filesSkipped: [], linesChanged: 10, linesReviewed: 10, linesSummarised: 0, linesSkipped: 0, linesNotReviewed: 0 },
      pipelines: [{ name: 'review', model: 'gpt-4o', calls: 1, failedCalls: 0, promptTokens: 1200, completionTokens: 80, cachedCalls: 0, countedPromptTokens: 1190, tokenizer: 'o200k_base' }],
    });
  });

  it('summarises and lists findings with a fixed key order, omitting absent optional fields', () => {
    const doc = JSON.parse(formatJson(richReport()));
    expect(Object.keys(doc)).toEqual([
      'schemaVersion', 'tool', 'range', 'summary', 'findings', 'failures', 'notices', 'coverage', 'pipelines',
    ]);
    expect(doc.summary).toEqual({ blocker: 1, warning: 2, info: 1, failedUnits: 1 });
    expect(doc.findings.map((f: { fingerprint: string }) => f.fingerprint)).toEqual([
      'aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb', 'dddddddddddddddd', 'cccccccccccccccc',
    ]);
    expect(Object.keys(doc.findings[0])).toEqual([
      'path', 'line', 'endLine', 'side', 'severity', 'pipeline', 'ruleId', 'title', 'body', 'suggestion', 'inDiff', 'fingerprint',
    ]);
    expect(doc.findings[1]).toEqual({
      path: 'src/db.ts', line: 7, side: 'old', severity: 'warning', pipeline: 'review', ruleId: 'review',
      title: 'Removed input validation', body: 'The check on `id` was deleted.', inDiff: true, fingerprint: 'bbbbbbbbbbbbbbbb',
    });
    expect(doc.findings[3].title).toBe('Title with <img src=x> and a | pipe');
    expect(doc.failures).toEqual([{ pipeline: 'security', files: ['src/big.ts', 'src/huge.ts'], reason: 'model answer could not be parsed' }]);
  });

  it('includes skipped only when the review was skipped, and ignores unknown fields on the input', () => {
    const withExtra = { ...makeReport({ skipped: { reason: 'too big' } }), secret: 'x' };
    const doc = JSON.parse(formatJson(withExtra));
    expect(doc.skipped).toEqual({ reason: 'too big' });
    expect('secret' in doc).toBe(false);
    const extraFinding = { ...makeFinding(), internal: 1 };
    expect(Object.keys(JSON.parse(formatJson(makeReport({ findings: [extraFinding] }))).findings[0])).not.toContain('internal');
  });
});
