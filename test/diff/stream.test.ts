import { serialize } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDiff } from '../../src/diff/parse.ts';
import { resolveRange } from '../../src/diff/range.ts';
import { readDiff } from '../../src/diff/read.ts';
import { streamDiff } from '../../src/diff/stream.ts';
import type { FileDiff } from '../../src/diff/types.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { memoryLogger } from './helpers.ts';

let repo: TestRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

async function collect(stream: AsyncIterable<FileDiff[]>): Promise<{ files: FileDiff[]; batches: number }> {
  const files: FileDiff[] = [];
  let batches = 0;
  for await (const batch of stream) {
    batches++;
    files.push(...batch);
  }
  return { files, batches };
}

/**
 * Whether V8 holds a string two bytes per character: after its header, v8.serialize tags a one-byte string `"` and
 * a two-byte one `c` (after padding bytes of 0 that align its characters).
 */
function isTwoByte(text: string): boolean {
  const bytes = serialize(text);
  let at = 2;
  while (bytes[at] === 0) at++;
  return bytes[at] === 0x63;
}

const line = (i: number) => `export const value${i} = compute(${i}, "some text to make the line longer than usual");\n`;
const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => line(i + from)).join('');

/** A pull request touching every kind of file, in paths whose git order is not review order. */
function awkwardRepo(): TestRepo {
  const r = makeRepo({
    'README.md': '# readme\n',
    'docs/guide.md': lines(30),
    'a-config.yaml': 'key: 1\n',
    'old/name.ts': lines(40),
    'removed.ts': lines(10),
    'thing': 'a file that becomes a directory\n',
    'tests/app.test.ts': lines(20),
    'src/app.ts': lines(50),
    'bin.dat': Buffer.from([0, 1, 2, 3, 255]),
  });
  r.git('checkout', '-q', '-b', 'feature');
  r.write({
    'README.md': '# readme, changed\n',
    'docs/guide.md': lines(35),
    'a-config.yaml': 'key: 2\n',
    'old/name.ts': null,
    'new/name.ts': `${lines(40)}// moved\n`,
    'removed.ts': null,
    thing: null,
    'thing/inside.ts': 'export {};\n',
    'tests/app.test.ts': lines(25),
    'src/app.ts': lines(60),
    // Bigger than one read of git's output: the file is cut across chunks and must come out whole.
    'src/big.ts': lines(3000),
    'src/ü space.ts': 'export const ü = 1;\n',
    'bin.dat': Buffer.from([9, 8, 7, 0, 1]),
  });
  r.commit('feature');
  return r;
}

describe('streamDiff', () => {
  it('yields exactly the files of the whole diff, parsed the same, in the same order', async () => {
    repo = awkwardRepo();
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });
    const { files } = await collect(streamDiff(repo.dir, range));
    expect(files).toEqual(parseDiff(await readDiff(repo.dir, range)));
    expect(files.find((f) => f.path === 'new/name.ts')).toMatchObject({ status: 'renamed', oldPath: 'old/name.ts' });
    expect(files.filter((f) => f.path === 'thing' || f.path === 'thing/inside.ts')).toHaveLength(2);
  });

  it('hands a large diff on in several batches, before git has printed it all', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++) files[`src/f${String(i).padStart(2, '0')}.ts`] = lines(40);
    repo = makeRepo(files);
    repo.git('checkout', '-q', '-b', 'feature');
    for (let i = 0; i < 60; i++) files[`src/f${String(i).padStart(2, '0')}.ts`] = lines(80, 1);
    repo.write(files);
    repo.commit('feature');
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });

    const { files: streamed, batches } = await collect(streamDiff(repo.dir, range));
    expect(streamed.map((f) => f.path)).toEqual(Object.keys(files));
    expect(batches).toBeGreaterThan(1);
    expect(streamed).toEqual(parseDiff(await readDiff(repo.dir, range)));
  });

  it('keeps characters cut across reads whole, and the text of every other file one byte per character', async () => {
    // Three bytes per character, so reads of git's output end inside one now and then.
    const wide = (n: number) => Array.from({ length: n }, (_, i) => `export const 名前${i} = '日本語のテキスト ✓ ${i}';\n`).join('');
    const files: Record<string, string> = { 'a.ts': lines(20), 'b-wide.ts': wide(10), 'z.lock': `${wide(10)}` };
    for (let i = 0; i < 40; i++) files[`d/f${String(i).padStart(2, '0')}.ts`] = lines(40);
    repo = makeRepo(files);
    repo.git('checkout', '-q', '-b', 'feature');
    Object.assign(files, { 'a.ts': lines(30), 'b-wide.ts': wide(3_000), 'z.lock': `${wide(4_000)}` });
    for (let i = 0; i < 40; i++) files[`d/f${String(i).padStart(2, '0')}.ts`] = lines(80, 1);
    repo.write(files);
    repo.commit('feature');
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });
    const elide = { file: (path: string) => path.endsWith('.lock'), line: (text: string) => text.includes('✓ 3999') };

    const { files: streamed } = await collect(streamDiff(repo.dir, range, { elide }));

    expect(streamed).toEqual(parseDiff(await readDiff(repo.dir, range), { elide }));
    expect(streamed.find((f) => f.path === 'z.lock')!.hunks.flatMap((h) => h.lines).map((l) => l.text)).toEqual(["export const 名前3999 = '日本語のテキスト ✓ 3999';"]);
    const texts = (path: string) => streamed.find((f) => f.path === path)!.hunks.flatMap((h) => h.lines.map((l) => l.text));
    expect(texts('b-wide.ts').filter(isTwoByte)).toHaveLength(texts('b-wide.ts').length);
    const narrow = streamed.filter((f) => f.path.startsWith('d/')).flatMap((f) => texts(f.path));
    expect(narrow.length).toBeGreaterThan(1_500);
    expect(narrow.filter(isTwoByte)).toEqual([]);
    expect([isTwoByte('ascii'), isTwoByte('✓'), isTwoByte(`${'✓'.repeat(20)}${'x'.repeat(40)}`.slice(20))]).toEqual([false, true, true]);
  });

  it('yields nothing for an empty range, and fails with git’s message for a commit that does not exist', async () => {
    repo = makeRepo();
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });
    expect((await collect(streamDiff(repo.dir, range))).files).toEqual([]);
    await expect(collect(streamDiff(repo.dir, { ...range, headSha: 'f'.repeat(40) }))).rejects.toThrow(/git diff .*failed/);
  });

  it('passes on what git warns of while the diff succeeds: renamed files it had too many to pair', async () => {
    const base: Record<string, string> = {};
    for (let i = 0; i < 4; i++) base[`old/m${i}.ts`] = lines(20, i * 100);
    repo = makeRepo(base);
    repo.git('checkout', '-q', '-b', 'feature');
    const moved: Record<string, string | null> = {};
    // Renamed, to other names, and edited: pairing them takes the search the limit caps (git pairs exact renames,
    // and files keeping their name, whatever the limit).
    for (let i = 0; i < 4; i++) Object.assign(moved, { [`old/m${i}.ts`]: null, [`new/n${i}.ts`]: `${lines(20, i * 100)}// moved\n` });
    repo.write(moved);
    repo.commit('move');
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });

    const said: string[] = [];
    repo.git('config', 'diff.renameLimit', '1');
    const limited = await collect(streamDiff(repo.dir, range, {}, (text) => said.push(text)));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^warning: exhaustive rename detection was skipped due to too many files\./);
    expect(limited.files.map((f) => f.status).sort()).toEqual(['added', 'added', 'added', 'added', 'deleted', 'deleted', 'deleted', 'deleted']);

    said.length = 0;
    repo.git('config', 'diff.renameLimit', '100');
    const paired = await collect(streamDiff(repo.dir, range, {}, (text) => said.push(text)));
    expect(said).toEqual([]);
    expect(paired.files.map((f) => f.status)).toEqual(['renamed', 'renamed', 'renamed', 'renamed']);
  });
});


describe('streamDiff with an elision rule', () => {
  it('reads big elided files as they arrive and gives what parsing the whole diff gives', async () => {
    const lock = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `  "dep-${i}": "${tag}-${i}",`).join('\n');
    repo = makeRepo({
      'a.lock': `${lock('1', 50)}\n`,
      'b-big.lock': `${lock('1', 40_000)}\n`,
      'src/app.ts': lines(50),
      'z-last.lock': `${lock('1', 30_000)}\n`,
    });
    // A minified file: one line of 600 KB, arriving in many pieces.
    const minified = `${Array.from({ length: 20_000 }, (_, i) => `var a${i}=${i};`).join('')}var k="AKIAIOSFODNN7EXAMPLE";`;
    repo.git('checkout', '-q', '-b', 'feature');
    const big = lock('2', 40_000).split('\n');
    big.splice(20_000, 0, '  "token": "AKIAIOSFODNN7EXAMPLE",', '<<<<<<< ours', '=======', '>>>>>>> theirs');
    repo.write({
      'a.lock': `${lock('2', 50)}\n`,
      'b-big.lock': `${big.join('\n')}\r\n`,
      'src/app.ts': lines(60),
      'c.min.js': `${minified}\n`,
      // The last section of the output, with no newline at its end.
      'z-last.lock': `${lock('3', 30_000)}`,
    });
    repo.commit('feature');
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });
    const elide = { file: (path: string) => /\.lock$|\.min\.js$/.test(path), line: (text: string) => /AKIA|^[<=>]/.test(text) };

    const streamed = await collect(streamDiff(repo.dir, range, { elide }));
    const whole = parseDiff(await readDiff(repo.dir, range), { elide });

    expect(streamed.files.map((f) => [f.path, f.elided])).toEqual([
      ['a.lock', true],
      ['b-big.lock', true],
      ['c.min.js', true],
      ['src/app.ts', undefined],
      ['z-last.lock', true],
    ]);
    expect(streamed.files[2]!.hunks[0]!.lines).toEqual([{ kind: 'add', newLine: 1, text: minified }]);
    expect(streamed.files).toEqual(whole);
    const bigFile = streamed.files[1]!;
    expect([bigFile.additions, bigFile.deletions]).toEqual([40_004, 40_000]);
    expect(bigFile.hunks.flatMap((h) => h.lines).map((l) => [l.newLine, l.text])).toEqual([
      [20_001, '  "token": "AKIAIOSFODNN7EXAMPLE",'],
      [20_002, '<<<<<<< ours'],
      [20_003, '======='],
      [20_004, '>>>>>>> theirs'],
    ]);
    expect(streamed.files[4]!.noNewlineAtEof).toBe(true);
    // The same diff without the rule: nothing elided, every line parsed.
    const plain = await collect(streamDiff(repo.dir, range));
    expect(plain.files).toEqual(parseDiff(await readDiff(repo.dir, range)));
    expect(plain.files.some((f) => f.elided)).toBe(false);
  });
});
