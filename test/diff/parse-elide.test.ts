import { afterEach, describe, expect, it } from 'vitest';
import { mayBeFlagged, runBuiltinChecks } from '../../src/checks/index.ts';
import { DIFF_FLAGS } from '../../src/diff/git.ts';
import { openElidedSection, parseDiff } from '../../src/diff/parse.ts';
import { indexDiff } from '../../src/findings/diff-index.ts';
import { changedLineCount } from '../../src/units/count-lines.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';

const repos: TestRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.remove();
});

const AWS = 'AKIAIOSFODNN7EXAMPLE';
const entries = (from: number, to: number, tag: string) => Array.from({ length: to - from }, (_, i) => `  "dep-${from + i}": "${tag}-${from + i}",`);

/** A lock file rewritten in several hunks, one holding a key, one a conflict block, one a private key; and a source file. */
function lockDiff(): string {
  const old = [...entries(0, 400, '1.0'), '}'];
  const lock = [...old];
  lock.splice(10, 5, ...entries(10, 15, '2.0'), `  "token": "${AWS}",`);
  lock.splice(150, 3, '<<<<<<< HEAD', '  "a": 1,', '=======', '  "a": 2,', '>>>>>>> other');
  lock.splice(300, 0, '-----BEGIN RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEA', 'abcdef', '-----END RSA PRIVATE KEY-----');
  lock.splice(390, 6);
  const repo = makeRepo({ 'package-lock.json': `${old.join('\n')}\n`, 'src/a.ts': 'export const a = 1;\n' });
  repos.push(repo);
  repo.write({ 'package-lock.json': `${lock.join('\n')}\n`, 'src/a.ts': `export const a = 2;\nconst k = "${AWS}";\n` });
  repo.commit('rewrite');
  return repo.git('diff', ...DIFF_FLAGS, 'HEAD~1', 'HEAD');
}

const elide = { file: (path: string) => path.endsWith('package-lock.json'), line: mayBeFlagged };
const checks = { secrets: true, conflict_markers: true };

describe('parseDiff with an elision rule', () => {
  it('keeps the counts and only the added lines a check may flag, at their line numbers', () => {
    const text = lockDiff();
    const whole = parseDiff(text);
    const lean = parseDiff(text, { elide });
    const [wholeLock, leanLock] = [whole[0]!, lean[0]!];
    expect(leanLock.path).toBe('package-lock.json');
    expect(leanLock.elided).toBe(true);
    expect([leanLock.additions, leanLock.deletions]).toEqual([wholeLock.additions, wholeLock.deletions]);
    expect(changedLineCount(leanLock)).toBe(changedLineCount(wholeLock));
    expect(leanLock.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines, h.section])).toEqual(wholeLock.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines, h.section]));
    const flagged = wholeLock.hunks.map((h) => h.lines.filter((l) => l.kind === 'add' && mayBeFlagged(l.text)));
    expect(leanLock.hunks.map((h) => h.lines)).toEqual(flagged);
    expect(leanLock.hunks.flatMap((h) => h.lines).map((l) => l.text)).toEqual([
      `  "token": "${AWS}",`,
      '<<<<<<< HEAD',
      '=======',
      '>>>>>>> other',
      '-----BEGIN RSA PRIVATE KEY-----',
      '-----END RSA PRIVATE KEY-----',
    ]);
    // The other file is parsed whole.
    expect(lean[1]).toEqual(whole[1]);
    expect(lean[1]!.elided).toBeUndefined();
  });

  it('gives the built-in checks the same findings as the whole file', () => {
    const text = lockDiff();
    const located = (files: ReturnType<typeof parseDiff>) =>
      runBuiltinChecks(files, checks, indexDiff(files)).findings.map((f) => [f.path, f.line, f.endLine, f.ruleId, f.inDiff]);
    const whole = located(parseDiff(text));
    expect(whole.filter((f) => f[0] === 'package-lock.json').map((f) => f[3])).toEqual(['builtin/secret/aws-access-key-id', 'builtin/secret/private-key', 'builtin/conflict-marker']);
    expect(located(parseDiff(text, { elide }))).toEqual(whole);
  });
});

describe('openElidedSection', () => {
  it('reads a section fed in pieces of whole lines as parseDiff reads it whole', () => {
    const text = lockDiff();
    const lockSection = text.slice(0, text.indexOf('\ndiff --git ') + 1);
    const whole = parseDiff(lockSection, { elide })[0]!;
    for (const piecesOf of [1, 7, 100]) {
      const section = openElidedSection(lockSection.slice(0, lockSection.indexOf('\n@@ ') + 200), elide)!;
      expect(section).toBeDefined();
      // Lines from the first @@ on, fed in runs of `piecesOf` lines.
      const lines = lockSection.slice(section.hunksAt).split(/(?<=\n)/);
      for (let i = 0; i < lines.length; i += piecesOf) {
        const piece = lines.slice(i, i + piecesOf).join('');
        section.feed(piece, 0, piece.length);
      }
      expect(section.close()).toEqual(whole);
    }
  });

  it('opens only the sections of elided files', () => {
    const text = lockDiff();
    const source = text.slice(text.indexOf('\ndiff --git ') + 1);
    expect(openElidedSection(source, elide)).toBeUndefined();
    expect(openElidedSection(text, { ...elide, file: () => false })).toBeUndefined();
    // Its header is not complete yet: no @@ line.
    expect(openElidedSection(text.slice(0, text.indexOf('\n@@ ')), elide)).toBeUndefined();
  });
});
