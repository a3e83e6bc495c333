import { chmodSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { diffOf, fileAt, lineSummary } from './helpers.ts';

let repo: TestRepo;
afterEach(() => repo?.remove());

const tenLines = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

describe('the diff of a real repository', () => {
  it('reads added, deleted, modified, renamed-with-edits, binary, mode-only and no-final-newline files', async () => {
    repo = makeRepo({
      'src/keep.ts': tenLines,
      'src/old.ts': 'alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\n',
      'src/gone.ts': 'bye\n',
      'run.sh': 'echo hi\n',
      'eol.txt': 'ends with newline\n',
      'img.bin': Buffer.from([0, 1, 2, 3]),
    });
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write({
      'src/keep.ts': tenLines.replace('line 5\n', 'line five\n'),
      'src/old.ts': null,
      'src/new.ts': 'alpha\nbeta\ngamma\nDELTA\nepsilon\nzeta\n',
      'src/gone.ts': null,
      'src/added.ts': 'export const a = 1;\n',
      'eol.txt': 'no newline now',
      'img.bin': Buffer.from([0, 1, 2, 4]),
    });
    chmodSync(join(repo.dir, 'run.sh'), 0o755);
    repo.commit('feature work');

    const files = await diffOf(repo.dir, { base: 'main' });
    expect(files.map((f) => [f.path, f.status, f.oldPath])).toEqual([
      ['eol.txt', 'modified', 'eol.txt'],
      ['img.bin', 'modified', 'img.bin'],
      ['run.sh', 'modified', 'run.sh'],
      ['src/added.ts', 'added', 'src/added.ts'],
      ['src/gone.ts', 'deleted', 'src/gone.ts'],
      ['src/keep.ts', 'modified', 'src/keep.ts'],
      ['src/new.ts', 'renamed', 'src/old.ts'],
    ]);
    expect(lineSummary(fileAt(files, 'src/keep.ts'))).toEqual([
      ' 2/2 line 2', ' 3/3 line 3', ' 4/4 line 4', '-5 line 5', '+5 line five', ' 6/6 line 6', ' 7/7 line 7', ' 8/8 line 8',
    ]);
    expect(lineSummary(fileAt(files, 'src/new.ts'))).toEqual([' 1/1 alpha', ' 2/2 beta', ' 3/3 gamma', '-4 delta', '+4 DELTA', ' 5/5 epsilon', ' 6/6 zeta']);
    const eol = fileAt(files, 'eol.txt');
    expect([eol.noNewlineAtEof, lineSummary(eol)]).toEqual([true, ['-1 ends with newline', '+1 no newline now']]);
    expect(fileAt(files, 'img.bin').binary).toBe(true);
    const run = fileAt(files, 'run.sh');
    expect([run.modeOnly, run.oldMode, run.newMode]).toEqual([true, '100644', '100755']);
    expect(lineSummary(fileAt(files, 'src/gone.ts'))).toEqual(['-1 bye']);
  });

  it('shows a copied file as added (copy detection is off, as in the platforms\' own diffs)', async () => {
    repo = makeRepo({ 'a.ts': tenLines });
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write({ 'b.ts': tenLines });
    repo.commit('copy');
    const files = await diffOf(repo.dir, { base: 'main' });
    expect(files.map((f) => [f.path, f.status, f.additions])).toEqual([['b.ts', 'added', 10]]);
  });

  it('reads paths with spaces, unicode, quotes and tabs literally', async () => {
    repo = makeRepo({ 'README.md': 'x\n' });
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write({ 'docs/naïve file.md': 'hello\n', 'src/日本.ts': 'export {};\n', 'odd "q"\tname.txt': 'q\n', 'a b/c b/d.txt': 'd\n' });
    repo.commit('names');
    const files = await diffOf(repo.dir, { base: 'main' });
    expect(files.map((f) => f.path)).toEqual(['a b/c b/d.txt', 'docs/naïve file.md', 'odd "q"\tname.txt', 'src/日本.ts']);
    expect(lineSummary(fileAt(files, 'docs/naïve file.md'))).toEqual(['+1 hello']);
  });

  it('keeps CRLF line text without the trailing \\r', async () => {
    repo = makeRepo({ 'win.txt': 'one\r\ntwo\r\nthree\r\n' });
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write({ 'win.txt': 'one\r\n2\r\nthree\r\n' });
    repo.commit('crlf');
    const files = await diffOf(repo.dir, { base: 'main' });
    expect(lineSummary(fileAt(files, 'win.txt'))).toEqual([' 1/1 one', '-2 two', '+2 2', ' 3/3 three']);
  });

  it('reads a symlink as a file whose content is its target', async () => {
    repo = makeRepo({ 'target.ts': 'x\n' });
    repo.git('checkout', '-q', '-b', 'feature');
    symlinkSync('target.ts', join(repo.dir, 'link.ts'));
    repo.commit('link');
    const [link] = await diffOf(repo.dir, { base: 'main' });
    expect([link?.path, link?.status, link?.newMode, link?.noNewlineAtEof, lineSummary(link!)]).toEqual([
      'link.ts', 'added', '120000', true, ['+1 target.ts'],
    ]);
  });

  it('flags a submodule change as binary with no lines', async () => {
    repo = makeRepo({ 'README.md': 'x\n' });
    const first = repo.git('rev-parse', 'HEAD');
    repo.git('update-index', '--add', '--cacheinfo', `160000,${first},vendor/lib`);
    repo.git('commit', '-q', '-m', 'add submodule');
    repo.git('checkout', '-q', '-b', 'feature');
    repo.git('update-index', '--cacheinfo', `160000,${repo.git('rev-parse', 'HEAD')},vendor/lib`);
    repo.git('commit', '-q', '-m', 'bump submodule');
    // With diff.submodule=log git would print a commit list instead of a diff section.
    repo.git('config', 'diff.submodule', 'log');
    const files = await diffOf(repo.dir, { base: 'main' });
    expect(files.map((f) => [f.path, f.status, f.binary, f.hunks.length, f.additions, f.newMode])).toEqual([
      ['vendor/lib', 'modified', true, 0, 0, '160000'],
    ]);
  });

  it('ignores user config that changes what git diff prints', async () => {
    repo = makeRepo({ 'src/a.ts': 'one\n\ntwo\n', 'doc.pdf': 'pdf text\n' });
    for (const [key, value] of [
      ['diff.noprefix', 'true'],
      ['diff.mnemonicPrefix', 'true'],
      ['color.ui', 'always'],
      ['color.diff', 'always'],
      ['diff.external', 'false'],
      ['diff.relative', 'true'],
      ['diff.suppressBlankEmpty', 'true'],
      ['diff.submodule', 'log'],
      ['core.quotePath', 'true'],
      ['diff.pdf.textconv', 'tr a-z A-Z <'],
    ] as const) {
      repo.git('config', key, value);
    }
    repo.write({ '.gitattributes': '*.pdf diff=pdf\n' });
    repo.commit('attributes');
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write({ 'src/a.ts': 'one\n\n2\n', 'doc.pdf': 'pdf text 2\n', 'src/é.ts': 'x\n' });
    repo.commit('edit');
    // Run from a subfolder: diff.relative must not narrow the diff to it.
    const files = await diffOf(join(repo.dir, 'src'), { base: 'main' });
    expect(files.map((f) => f.path)).toEqual(['doc.pdf', 'src/a.ts', 'src/é.ts']);
    expect(lineSummary(fileAt(files, 'src/a.ts'))).toEqual([' 1/1 one', ' 2/2 ', '-3 two', '+3 2']);
    expect(lineSummary(fileAt(files, 'doc.pdf'))).toEqual(['-1 pdf text', '+1 pdf text 2']);
  });
});
