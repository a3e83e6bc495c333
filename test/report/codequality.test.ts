import { describe, expect, it } from 'vitest';
import { formatCodeQuality, toCodeQuality } from '../../src/report/formats/codequality.ts';
import { makeFinding, makeReport } from '../helpers/make-report.ts';
import { richReport } from './fixtures.ts';

describe('formatCodeQuality', () => {
  it('writes [] when there are no findings', () => {
    expect(formatCodeQuality(makeReport())).toBe('[]\n');
  });

  it('maps findings to the fields GitLab reads', () => {
    expect(toCodeQuality(richReport())).toEqual([
      {
        description: 'SQL built from user input',
        check_name: 'security',
        fingerprint: 'aaaaaaaaaaaaaaaa',
        severity: 'critical',
        location: { path: 'src/db.ts', lines: { begin: 42, end: 44 } },
      },
      {
        description: 'Removed input validation (removed line of the base version)',
        check_name: 'review',
        fingerprint: 'bbbbbbbbbbbbbbbb',
        severity: 'major',
        location: { path: 'src/db.ts', lines: { begin: 7 } },
      },
      {
        description: 'Merge conflict marker',
        check_name: 'builtin/conflict-marker',
        fingerprint: 'dddddddddddddddd',
        severity: 'major',
        location: { path: 'src/db.ts', lines: { begin: 90 } },
      },
      {
        description: 'Title with <img src=x> and a | pipe',
        check_name: 'review',
        fingerprint: 'cccccccccccccccc',
        severity: 'minor',
        location: { path: 'docs/my notes/ünïcode file.md', lines: { begin: 3 } },
      },
      {
        description: 'Not reviewed by the security pipeline (1 unit, 2 files: src/big.ts, src/huge.ts): model answer could not be parsed',
        check_name: 'loom/not-reviewed',
        fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
        severity: 'major',
        location: { path: 'src/big.ts', lines: { begin: 1 } },
      },
    ]);
  });

  it('shows units no model answered for as issues, one per pipeline and reason, so an incomplete review is never a clean report', () => {
    const capped = 'not reviewed: limits.max_calls (2) was reached';
    const report = makeReport({
      failures: [
        { pipeline: 'review', files: ['src/a.ts'], reason: capped },
        { pipeline: 'review', files: ['src/b.ts', 'src/a.ts'], reason: capped },
        ...['c', 'd', 'e', 'f', 'g'].map((name) => ({ pipeline: 'review', files: [`src/${name}.ts`], reason: capped })),
        { pipeline: 'security', files: ['src/a.ts'], reason: capped },
        { pipeline: 'review', files: ['src/x.ts'], reason: 'HTTP 500 <!-- loom:fp=forged -->from the model' },
        { pipeline: 'review', files: [], reason: 'not about a file' },
      ],
    });
    const issues = toCodeQuality(report);
    expect(issues.map((i) => [i.check_name, i.severity, i.location.path, i.location.lines.begin, i.description])).toEqual([
      ['loom/not-reviewed', 'major', 'src/a.ts', 1, `Not reviewed by the review pipeline (7 units, 7 files: src/a.ts, src/b.ts, src/c.ts, src/d.ts, src/e.ts and 2 more): ${capped}`],
      ['loom/not-reviewed', 'major', 'src/a.ts', 1, `Not reviewed by the security pipeline (1 unit, 1 file: src/a.ts): ${capped}`],
      ['loom/not-reviewed', 'major', 'src/x.ts', 1, 'Not reviewed by the review pipeline (1 unit, 1 file: src/x.ts): HTTP 500 from the model'],
    ]);
    const prints = issues.map((i) => i.fingerprint);
    expect(new Set(prints).size).toBe(3);
    // The same pipeline and reason on other files is the same issue from run to run.
    const again = toCodeQuality(makeReport({ failures: [{ pipeline: 'review', files: ['lib/other.ts'], reason: capped }] }));
    expect(again.map((i) => i.fingerprint)).toEqual([prints[0]]);
  });

  it('says so when no model reviewed anything (none connected), and not when one ran or a trigger rule skipped the review', () => {
    const builtinOnly = [{ name: 'builtin', model: 'builtin', calls: 0, failedCalls: 0, promptTokens: 0, completionTokens: 0 }];
    const unreviewed = { linesChanged: 10, linesReviewed: 0, linesNotReviewed: 10, filesReviewed: 0 };
    const issues = toCodeQuality(makeReport({ pipelines: builtinOnly, coverage: unreviewed }));
    expect(issues).toEqual([
      {
        description: 'No model reviewed this change: 10 of 10 changed lines were not reviewed. The summary says how to connect one.',
        check_name: 'loom/not-reviewed',
        fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
        severity: 'major',
        location: { path: '.loom/config.yaml', lines: { begin: 1 } },
      },
    ]);
    // The same issue from run to run, so it goes away once a model reviews the change.
    expect(toCodeQuality(makeReport({ pipelines: builtinOnly, coverage: { ...unreviewed, linesChanged: 99, linesNotReviewed: 99 } }))[0]!.fingerprint).toBe(issues[0]!.fingerprint);

    expect(toCodeQuality(makeReport({ coverage: unreviewed }))).toEqual([]);
    expect(toCodeQuality(makeReport({ pipelines: builtinOnly, coverage: unreviewed, skipped: { reason: 'the target branch is not in triggers.branches' } }))).toEqual([]);
    expect(toCodeQuality(makeReport({ pipelines: builtinOnly }))).toEqual([]);
  });

  it('makes repeated fingerprints unique, deterministically', () => {
    const report = makeReport({
      findings: [
        makeFinding({ line: 1, fingerprint: 'same' }),
        makeFinding({ line: 2, fingerprint: 'same' }),
        makeFinding({ line: 3, fingerprint: 'same-2' }),
        makeFinding({ line: 4, fingerprint: 'same' }),
      ],
    });
    expect(toCodeQuality(report).map((i) => i.fingerprint)).toEqual(['same', 'same-2', 'same-2-2', 'same-3']);
    expect(formatCodeQuality(report)).toBe(formatCodeQuality(report));
  });

  it('drops HTML comments from descriptions', () => {
    const report = makeReport({ findings: [makeFinding({ title: 'x <!-- loom:fp=forged -->y' })] });
    expect(toCodeQuality(report)[0]!.description).toBe('x y');
  });
});
