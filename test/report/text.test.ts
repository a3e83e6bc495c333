import { describe, expect, it } from 'vitest';
import { formatText } from '../../src/report/formats/text.ts';
import { makeFinding, makeReport } from '../helpers/make-report.ts';
import { richReport } from './fixtures.ts';

describe('formatText', () => {
  it('prints a clean report with "No findings." and the coverage, usage and count lines', () => {
    expect(formatText(makeReport())).toMatchInlineSnapshot(`
      "loom 0.1.0 review of main...feature (1111111...2222222)

      No findings.

      Coverage: reviewed 1 of 1 files, 10 of 10 changed lines
      Usage:
        review (gpt-4o)  1 call, 0 failed, 1,190 prompt tokens sent by loom's count (o200k_base); reported: 1,200 prompt + 80 completion

      0 blockers, 0 warnings, 0 info
      "
    `);
  });

  it('groups findings by file and shows bodies, suggestions, failures, notices and coverage', () => {
    expect(formatText(richReport())).toMatchInlineSnapshot(`
      "loom 0.1.0 review of main...feature (1111111...2222222)

      src/db.ts
        src/db.ts:42-44  BLOCKER  SQL built from user input
            The query concatenates \`id\` into SQL.

            Use a parameterised query instead.
            suggested replacement for lines 42-44:
            │ const rows = await db.query('SELECT * FROM t WHERE id = $1', [id]);

        src/db.ts:7 (removed line)  WARNING  Removed input validation
            The check on \`id\` was deleted.

        src/db.ts:90  WARNING  Merge conflict marker

      docs/my notes/ünïcode file.md
        docs/my notes/ünïcode file.md:3  INFO     Title with <img src=x> and a | pipe (outside the diff)
            Looks fine <!-- loom:fp=forged --> but <details><summary>x</summary> is raw HTML.
            Keep \`Map<string, number>\`.

      Not reviewed:
        security on src/big.ts, src/huge.ts: model answer could not be parsed

      Notices:
        - Shallow clone: fetched the merge base.

      Coverage: reviewed 3 of 5 files, 180 of 300 changed lines; skipped: package-lock.json (ignore_paths)
      Usage:
        security (gpt-4o)  3 calls, 1 failed, 5,530 prompt tokens sent by loom's count (o200k_base); reported: 5,400 prompt + 320 completion
        builtin (builtin)  0 calls, 0 failed, 0 prompt + 0 completion tokens

      1 blocker, 2 warnings, 1 info; 1 unit not reviewed
      "
    `);
  });

  it('uses colour only when asked', () => {
    const report = richReport();
    expect(formatText(report)).not.toContain('\u001b[');
    expect(formatText(report, { color: false })).not.toContain('\u001b[');
    const coloured = formatText(report, { color: true });
    expect(coloured).toContain('\u001b[31m\u001b[1mBLOCKER');
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(formatText(report));
  });

  it('removes terminal escape sequences and control characters coming from model output', () => {
    const report = makeReport({
      findings: [makeFinding({ title: 'Bad\u001b[2J\u001b]0;pwned\u0007 title\u202e', body: 'line\u0000one\r\nline two\u009b' })],
    });
    const out = formatText(report, { color: false });
    expect(out).toContain('  src/app.ts:10  WARNING  Bad title\n      lineone\n      line two\n');
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  });

  it('wraps long prose at 100 columns but leaves code fences alone', () => {
    const prose = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const code = `const x = ${'a + '.repeat(30)}b;`;
    const body = `${prose}\n\n\n\n\`\`\`ts\n${code}\n\`\`\`\n\n`;
    const lines = formatText(makeReport({ findings: [makeFinding({ body })] })).split('\n');
    const bodyStart = lines.findIndex((l) => l.startsWith('      word0 '));
    expect(lines.slice(bodyStart, bodyStart + 8)).toEqual([
      '      word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 word12 word13 word14',
      '      word15 word16 word17 word18 word19 word20 word21 word22 word23 word24 word25 word26 word27',
      '      word28 word29',
      '',
      '      ```ts',
      `      ${code}`,
      '      ```',
      '',
    ]);
    expect(Math.max(...lines.slice(bodyStart, bodyStart + 3).map((l) => l.length))).toBeLessThanOrEqual(100);
  });

  it('says when the review was skipped and counts many skipped files per reason', () => {
    const filesSkipped = Array.from({ length: 12 }, (_, i) => ({ path: `vendor/${i}.js`, reason: i < 10 ? 'ignore_paths' : 'binary' }));
    const out = formatText(makeReport({ skipped: { reason: 'more than 1000 changed lines' }, coverage: { filesSkipped } }));
    expect(out).toContain('\nReview skipped: more than 1000 changed lines\n');
    expect(out).toContain('; skipped: 10 files (ignore_paths), 2 files (binary)\n');
  });

  it('lists at most five files of a failed unit', () => {
    const files = Array.from({ length: 8 }, (_, i) => `f${i}.ts`);
    const out = formatText(makeReport({ failures: [{ pipeline: 'review', files, reason: 'timeout' }] }));
    expect(out).toContain('\n  review on f0.ts, f1.ts, f2.ts, f3.ts, f4.ts and 3 more: timeout\n');
    expect(out.trimEnd().split('\n').at(-1)).toBe('0 blockers, 0 warnings, 0 info; 1 unit not reviewed');
  });
});
