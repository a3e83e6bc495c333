import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDiff } from '../../src/diff/parse.ts';
import { fileAt, lineSummary } from './helpers.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/diffs', name), 'utf8');

describe('parseDiff on git output fixtures', () => {
  const mixed = parseDiff(fixture('mixed.diff'));

  it('finds every file, in order, with its status', () => {
    expect(mixed.map((f) => [f.path, f.status])).toEqual([
      ['a b/c b/d.txt', 'modified'],
      ['bin.dat', 'added'],
      ['docs/naïve file.md', 'added'],
      ['noeol.txt', 'modified'],
      ['run.sh', 'modified'],
      ['src/app.ts', 'modified'],
      ['src/fn.ts', 'modified'],
      ['src/gone.ts', 'deleted'],
      ['src/new-name.ts', 'renamed'],
      ['src/日本.ts', 'added'],
      ['we"ird\tname.txt', 'modified'],
    ]);
  });

  it('numbers old and new lines across a hunk', () => {
    const app = fileAt(mixed, 'src/app.ts');
    expect(app.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines, h.section])).toEqual([[1, 10, 1, 11, '']]);
    expect(lineSummary(app)).toEqual([
      ' 1/1 line1', ' 2/2 line2', '-3 line3', '+3 line3 changed', ' 4/4 line4', ' 5/5 line5', ' 6/6 line6',
      ' 7/7 line7', ' 8/8 line8', '-9 line9', '+9 line9 changed', ' 10/10 line10', '+11 line11',
    ]);
    expect([app.additions, app.deletions, app.oldPath, app.oldMode, app.newMode]).toEqual([3, 2, 'src/app.ts', '100644', '100644']);
  });

  it('keeps the hunk section and an empty context line', () => {
    const fn = fileAt(mixed, 'src/fn.ts');
    expect(fn.hunks[0]?.section).toBe('function keep() {');
    expect(lineSummary(fn)).toEqual([
      ' 4/4 ', ' 5/5 function change() {', ' 6/6   const a = 1;', '-7   const b = 2;', '+7   const b = 3;',
      ' 8/8   return a + b;', ' 9/9 }',
    ]);
  });

  it('reads added, deleted and renamed-with-edits files', () => {
    expect(lineSummary(fileAt(mixed, 'docs/naïve file.md'))).toEqual(['+1 new', '+2 file']);
    const gone = fileAt(mixed, 'src/gone.ts');
    expect([gone.oldPath, gone.oldMode, gone.newMode, gone.additions, gone.deletions]).toEqual(['src/gone.ts', '100644', undefined, 0, 2]);
    expect(lineSummary(gone)).toEqual(['-1 gone1', '-2 gone2']);
    const renamed = fileAt(mixed, 'src/new-name.ts');
    expect(renamed.oldPath).toBe('src/old-name.ts');
    expect(lineSummary(renamed)).toEqual([' 1/1 alpha', ' 2/2 beta', ' 3/3 gamma', '-4 delta', '+4 DELTA', ' 5/5 epsilon', ' 6/6 zeta', ' 7/7 eta']);
  });

  it('treats "\\ No newline at end of file" as a flag, never as a line', () => {
    const noeol = fileAt(mixed, 'noeol.txt');
    expect(lineSummary(noeol)).toEqual(['-1 no eol', '+1 no eol changed']);
    expect(noeol.noNewlineAtEof).toBe(true);
    expect([noeol.additions, noeol.deletions]).toEqual([1, 1]);
    expect(fileAt(mixed, 'src/app.ts').noNewlineAtEof).toBe(false);
  });

  it('reads binary and mode-only changes', () => {
    const bin = fileAt(mixed, 'bin.dat');
    expect([bin.binary, bin.hunks.length, bin.newMode, bin.modeOnly]).toEqual([true, 0, '100644', false]);
    const run = fileAt(mixed, 'run.sh');
    expect([run.modeOnly, run.oldMode, run.newMode, run.hunks.length, run.binary]).toEqual([true, '100644', '100755', 0, false]);
  });

  it('decodes paths with spaces, " b/" inside names, unicode and C-quoting', () => {
    expect(lineSummary(fileAt(mixed, 'a b/c b/d.txt'))).toEqual(['-1 x', '+1 y']);
    expect(fileAt(mixed, 'src/日本.ts').additions).toBe(1);
    const weird = fileAt(mixed, 'we"ird\tname.txt');
    expect([weird.oldPath, lineSummary(weird)]).toEqual(['we"ird\tname.txt', ['-1 q', '+1 q2']]);
  });
});

describe('parseDiff on copies, symlinks, renames without edits and nested diffs', () => {
  const files = parseDiff(fixture('copies-and-more.diff'));

  it('lists every file once', () => {
    expect(files.map((f) => [f.path, f.status, f.oldPath])).toEqual([
      ['all.diff', 'added', 'all.diff'],
      ['empty.txt', 'added', 'empty.txt'],
      ['link-to-fn', 'added', 'link-to-fn'],
      ['new\nline.txt', 'added', 'new\nline.txt'],
      ['noeol.txt', 'deleted', 'noeol.txt'],
      ['src/app-moved.ts', 'renamed', 'src/app.ts'],
      ['src/fn-copy.ts', 'copied', 'src/fn.ts'],
      ['src/fn.ts', 'modified', 'src/fn.ts'],
    ]);
  });

  it('keeps a diff that is itself file content inside one file', () => {
    const nested = fileAt(files, 'all.diff');
    expect([nested.additions, nested.hunks.length]).toEqual([99, 1]);
    expect(nested.hunks[0]?.lines[0]).toEqual({ kind: 'add', newLine: 1, text: 'diff --git a/a b/c b/d.txt b/a b/c b/d.txt' });
    expect(nested.hunks[0]?.lines[98]).toEqual({ kind: 'add', newLine: 99, text: '+q2' });
  });

  it('reads an empty added file, a symlink and a deleted file without final newline', () => {
    const empty = fileAt(files, 'empty.txt');
    expect([empty.hunks.length, empty.additions, empty.binary, empty.modeOnly]).toEqual([0, 0, false, false]);
    const link = fileAt(files, 'link-to-fn');
    expect([link.newMode, link.noNewlineAtEof, lineSummary(link)]).toEqual(['120000', true, ['+1 src/fn.ts']]);
    const deleted = fileAt(files, 'noeol.txt');
    expect([deleted.noNewlineAtEof, lineSummary(deleted)]).toEqual([true, ['-1 no eol changed']]);
  });

  it('reads a rename and a copy with no hunks', () => {
    const moved = fileAt(files, 'src/app-moved.ts');
    expect([moved.hunks.length, moved.modeOnly, moved.additions, moved.deletions]).toEqual([0, false, 0, 0]);
    expect(fileAt(files, 'src/fn-copy.ts').hunks).toEqual([]);
    expect(lineSummary(fileAt(files, 'src/fn.ts'))).toEqual([' 7/7   const b = 3;', ' 8/8   return a + b;', ' 9/9 }', '+10 ']);
  });
});

describe('parseDiff on hand-written edge cases', () => {
  const files = parseDiff(fixture('edge-cases.diff'));

  it('decodes octal-escaped UTF-8 and reads "\\ No newline" on the old side only', () => {
    const cafe = fileAt(files, 'café.txt');
    expect(cafe.hunks[0]?.section).toBe('section text here');
    expect(lineSummary(cafe)).toEqual([' 1/1 first', '-2 last', '+2 last']);
    expect(cafe.noNewlineAtEof).toBe(false);
  });

  it('takes rename paths from the rename lines when the git line is ambiguous', () => {
    const renamed = fileAt(files, 'new name.txt');
    expect([renamed.oldPath, renamed.status, renamed.hunks.length]).toEqual(['old b/x.txt', 'renamed', 0]);
  });

  it('numbers lines across several hunks', () => {
    const multi = fileAt(files, 'multi.ts');
    expect(multi.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines, h.section])).toEqual([
      [2, 3, 2, 2, 'class A {'],
      [20, 2, 19, 4, 'class B {'],
    ]);
    expect(lineSummary(multi)).toEqual([' 2/2 a', '-3 b', ' 4/3 c', ' 20/19 x', '+20 y', '+21 z', ' 21/22 w']);
  });

  it('distinguishes a mode change with edits from a mode-only change', () => {
    const tool = fileAt(files, 'tool.sh');
    expect([tool.modeOnly, tool.oldMode, tool.newMode, tool.additions, tool.deletions]).toEqual([false, '100644', '100755', 1, 1]);
  });

  it('reads a GIT binary patch without taking its data for headers', () => {
    const img = fileAt(files, 'img.png');
    expect([img.binary, img.hunks.length, img.status]).toEqual([true, 0, 'modified']);
  });

  it('keeps header-looking lines inside hunks as content', () => {
    const tricky = fileAt(files, '--- a/tricky');
    expect(lineSummary(tricky)).toEqual([' 1/1 --- not a header', '-2 -- a/also content', '+2 ++ b/also content', ' 3/3 @@ -1 +1 @@ not a hunk']);
  });
});

describe('parseDiff on submodules and CRLF text', () => {
  it('flags a submodule as binary with no reviewable lines', () => {
    const [added, changed] = parseDiff(fixture('submodule.diff'));
    expect([added?.path, added?.status, added?.binary, added?.hunks.length, added?.additions]).toEqual(['vendor/sub', 'added', true, 0, 0]);
    expect([changed?.status, changed?.binary, changed?.hunks.length, changed?.newMode, changed?.deletions]).toEqual(['modified', true, 0, '160000', 0]);
  });

  it('removes only the trailing \\r of CRLF lines', () => {
    const text = 'diff --git a/w.txt b/w.txt\nindex 1..2 100644\n--- a/w.txt\n+++ b/w.txt\n@@ -1,2 +1,2 @@\n a\r\n-b \r\n+c\r\r\n';
    const [file] = parseDiff(text);
    expect(file?.hunks[0]?.lines).toEqual([
      { kind: 'context', oldLine: 1, newLine: 1, text: 'a' },
      { kind: 'del', oldLine: 2, text: 'b ' },
      { kind: 'add', newLine: 2, text: 'c\r' },
    ]);
  });

  it('returns nothing for empty input', () => {
    expect(parseDiff('')).toEqual([]);
  });
});
