import { describe, expect, it } from 'vitest';
import { encodePath, formatSarif, toSarif } from '../../src/report/formats/sarif.ts';
import { makeFinding, makeReport } from '../helpers/make-report.ts';
import { hasOfficialSarifSchema, OFFICIAL_SARIF_SCHEMA, validateSarif } from '../helpers/sarif-validate.ts';
import { richReport } from './fixtures.ts';

const parse = (s: string) => JSON.parse(s);

describe('formatSarif', () => {
  it('is valid SARIF 2.1.0 for an empty and a full report', () => {
    expect(validateSarif(parse(formatSarif(makeReport())))).toEqual([]);
    expect(validateSarif(parse(formatSarif(richReport())))).toEqual([]);
  });

  it.skipIf(!hasOfficialSarifSchema)('is valid against the OASIS schema too', () => {
    expect(validateSarif(parse(formatSarif(makeReport())), OFFICIAL_SARIF_SCHEMA)).toEqual([]);
    expect(validateSarif(parse(formatSarif(richReport())), OFFICIAL_SARIF_SCHEMA)).toEqual([]);
  });

  it('has a validator that rejects invalid SARIF', () => {
    const log = parse(formatSarif(richReport()));
    log.runs[0].results[0].level = 'severe';
    expect(validateSarif(log).some((e) => e.startsWith('/runs/0/results/0/level '))).toBe(true);
    expect(validateSarif({ version: '2.1.0' })).not.toEqual([]);
  });

  it('writes one run with the tool, category and an empty result list when there is nothing to report', () => {
    const run = toSarif(makeReport()).runs[0]!;
    expect(run.tool.driver).toEqual({
      name: 'loom',
      version: '0.1.0',
      semanticVersion: '0.1.0',
      informationUri: 'https://www.npmjs.com/package/loom-review',
      rules: [],
    });
    expect(run.automationDetails).toEqual({ id: 'loom/' });
    expect(run.results).toEqual([]);
    expect(run.invocations).toEqual([{ executionSuccessful: true, toolExecutionNotifications: [] }]);
  });

  it('maps severities to levels and points every result at its rule', () => {
    const log = toSarif(richReport());
    const { rules } = log.runs[0]!.tool.driver;
    const results = log.runs[0]!.results;
    expect(rules.map((r) => [r.id, r.defaultConfiguration.level])).toEqual([
      ['security', 'error'],
      ['review', 'warning'],
      ['builtin/conflict-marker', 'warning'],
    ]);
    expect(results.map((r) => [r.ruleId, r.ruleIndex, r.level])).toEqual([
      ['security', 0, 'error'],
      ['review', 1, 'warning'],
      ['builtin/conflict-marker', 2, 'warning'],
      ['review', 1, 'note'],
    ]);
    for (const r of results) expect(rules[r.ruleIndex]!.id).toBe(r.ruleId);
  });

  it('writes encoded SRCROOT-relative locations, line-independent fingerprints and loom properties', () => {
    const results = toSarif(richReport()).runs[0]!.results;
    expect(results[0]).toMatchObject({
      message: { text: 'SQL built from user input\n\nThe query concatenates `id` into SQL.\n\nUse a parameterised query instead.' },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'src/db.ts', uriBaseId: 'SRCROOT' }, region: { startLine: 42, endLine: 44 } } }],
      partialFingerprints: { 'loom/v1': 'aaaaaaaaaaaaaaaa' },
      properties: { pipeline: 'security', severity: 'blocker', inDiff: true, side: 'new' },
    });
    expect(results[3]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('docs/my%20notes/%C3%BCn%C3%AFcode%20file.md');
    expect(results[3]!.properties.inDiff).toBe(false);
    expect(results[3]!.message.text).toBe(
      'Title with <img src=x> and a | pipe\n\nLooks fine  but <details><summary>x</summary> is raw HTML.\nKeep `Map<string, number>`.',
    );
    for (const r of results) {
      expect(Object.keys(r.partialFingerprints)).toEqual(['loom/v1']);
      expect(r.locations[0]!.physicalLocation.region.endLine).not.toBe(r.locations[0]!.physicalLocation.region.startLine);
    }
  });

  it('keeps an old-side finding at its old line, marked as such', () => {
    const result = toSarif(richReport()).runs[0]!.results[1]!;
    expect(result.locations[0]!.physicalLocation.region).toEqual({ startLine: 7 });
    expect(result.properties.side).toBe('old');
    expect(result.message.text.endsWith('\n\n(About line 7 of the base version, removed by this change.)')).toBe(true);
  });

  it('reports failed units, a skipped review and notices as tool notifications', () => {
    const report = makeReport({
      failures: [{ pipeline: 'security', files: ['a.ts', 'b.ts'], reason: 'HTTP 500' }],
      skipped: { reason: 'too many changes' },
      notices: ['Model not connected.'],
      findings: [makeFinding()],
    });
    const log = toSarif(report);
    expect(validateSarif(log)).toEqual([]);
    expect(log.runs[0]!.invocations).toEqual([
      {
        executionSuccessful: false,
        toolExecutionNotifications: [
          { level: 'warning', message: { text: 'Pipeline security could not review a.ts, b.ts: HTTP 500' }, properties: { pipeline: 'security', files: ['a.ts', 'b.ts'] } },
          { level: 'note', message: { text: 'Review skipped: too many changes' } },
          { level: 'note', message: { text: 'Model not connected.' } },
        ],
      },
    ]);
  });
});

describe('encodePath', () => {
  it('percent-encodes each segment as a relative URI reference', () => {
    expect(encodePath('src/a b/ü.ts')).toBe('src/a%20b/%C3%BC.ts');
    expect(encodePath('c:/x#y?z%.ts')).toBe('c%3A/x%23y%3Fz%25.ts');
    expect(encodePath('bad\uD800.ts')).toBe('bad%EF%BF%BD.ts');
  });
});
