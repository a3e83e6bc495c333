import { afterEach, describe, expect, it } from 'vitest';
import { parseDiff } from '../../src/diff/parse.ts';
import { resolveRange } from '../../src/diff/range.ts';
import { readDiff } from '../../src/diff/read.ts';
import { parseNameStatus, pathGroups, streamDiff } from '../../src/diff/stream.ts';
import type { FileDiff } from '../../src/diff/types.ts';
import { fileRank } from '../../src/units/priority.ts';
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

const line = (i: number) => `export const value${i} = compute(${i}, "some text to make the line longer than usual");\n`;
const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => line(i + from)).join('');

/** A pull request touching every kind of file, in paths whose git order is not review order. */
function awkwardRepo(fileBecomesDirectory: boolean): TestRepo {
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
    ...(fileBecomesDirectory ? { thing: null, 'thing/inside.ts': 'export {};\n' } : {}),
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
  it('yields exactly the files of the whole diff, parsed the same, in review order', async () => {
    repo = awkwardRepo(false);
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });
    const whole = parseDiff(await readDiff(repo.dir, range));
    const { files } = await collect(streamDiff(repo.dir, range));

    const byPath = (list: FileDiff[]) => [...list].sort((a, b) => a.path.localeCompare(b.path));
    expect(byPath(files)).toEqual(byPath(whole));
    const ranks = files.map((f) => fileRank(f.path));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    // The rename was seen as one, though its old path ranks elsewhere.
    expect(files.find((f) => f.path === 'new/name.ts')).toMatchObject({ status: 'renamed', oldPath: 'old/name.ts' });
  });

  it('still yields every file once, in git’s order, where path groups would overlap (a file became a directory)', async () => {
    repo = awkwardRepo(true);
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });
    const { files } = await collect(streamDiff(repo.dir, range));
    expect(files).toEqual(parseDiff(await readDiff(repo.dir, range)));
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

  it('yields nothing for an empty range, and fails with git’s message for a commit that does not exist', async () => {
    repo = makeRepo();
    const range = await resolveRange({ cwd: repo.dir, base: 'main', env: {}, log: memoryLogger() });
    expect((await collect(streamDiff(repo.dir, range))).files).toEqual([]);
    await expect(collect(streamDiff(repo.dir, { ...range, headSha: 'f'.repeat(40) }))).rejects.toThrow(/git diff .*failed/);
  });
});

describe('pathGroups', () => {
  it('needs no groups when git’s order is already review order', () => {
    expect(pathGroups([{ path: 'src/a.ts' }, { path: 'src/b.ts' }, { path: 'test/a.test.ts' }, { path: 'docs/x.md' }])).toBeUndefined();
  });

  it('groups by rank, most important first, a rename’s old path with its new one', () => {
    const groups = pathGroups([{ path: 'README.md' }, { path: 'lib/new.ts', from: 'docs/old.md' }, { path: 'app.test.ts' }, { path: 'main.go' }]);
    expect(groups).toEqual([['lib/new.ts', 'docs/old.md', 'main.go'], ['app.test.ts'], ['README.md']]);
  });

  it('falls back to one call when two calls would print the same file', () => {
    // A file renamed away and a new file at its old path; a file replaced by a directory.
    expect(pathGroups([{ path: 'z.md' }, { path: 'b.ts', from: 'a.ts' }, { path: 'a.ts' }])).toBeUndefined();
    expect(pathGroups([{ path: 'docs' }, { path: 'docs/x.ts' }, { path: 'a.md' }])).toBeUndefined();
  });

  it('splits a big group so no argument list grows without bound', () => {
    const changes = [{ path: 'README.md' }, ...Array.from({ length: 2500 }, (_, i) => ({ path: `src/f${i}.ts` }))];
    const groups = pathGroups(changes)!;
    expect(groups.map((g) => g.length)).toEqual([1000, 1000, 500, 1]);
    expect(groups.flat()).toHaveLength(2501);
  });
});

describe('parseNameStatus', () => {
  it('reads plain, renamed and copied entries from -z output, paths with spaces and newlines included', () => {
    const text = 'M\0src/a b.ts\0R087\0old.ts\0new.ts\0C100\0x.ts\0y\nz.ts\0D\0gone.ts\0';
    expect(parseNameStatus(text)).toEqual([{ path: 'src/a b.ts' }, { path: 'new.ts', from: 'old.ts' }, { path: 'y\nz.ts', from: 'x.ts' }, { path: 'gone.ts' }]);
    expect(parseNameStatus('')).toEqual([]);
  });
});
