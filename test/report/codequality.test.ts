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
    ]);
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
