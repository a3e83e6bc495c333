import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { LOOM_BIN } from './helpers/run-cli.ts';

/** The hook as the package ships it (test/global-setup.ts builds and stages it). */
const HOOK = join(dirname(LOOM_BIN), '..', 'dist', 'compile-cache.cjs');

const scratch = mkdtempSync(join(tmpdir(), 'loom-compile-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let chunks: string;
let other: string;
beforeEach(() => {
  const dir = mkdtempSync(join(scratch, 'run-'));
  chunks = join(dir, 'dist');
  other = join(dir, 'elsewhere');
  mkdirSync(chunks);
  mkdirSync(other);
  writeFileSync(join(chunks, 'greet.cjs'), "module.exports = function greet(name) { return 'hello ' + name; };\n");
  writeFileSync(join(chunks, 'main.cjs'), mainChunk('one'));
  writeFileSync(join(other, 'plain.cjs'), "module.exports = 'plain';\n");
});

/** A chunk that requires another, and reports what CommonJS gives a module, so a wrong wrapper shows. */
function mainChunk(word: string): string {
  return `const greet = require('./greet.cjs');
const { basename } = require('node:path');
module.exports = [greet('${word}'), basename(__filename), basename(__dirname), require.cache[__filename] === module, this === module.exports].join(' ');
`;
}

/** Runs node with the hook installed for `chunks`, then prints what main.cjs (and plain.cjs elsewhere) export. */
function run(env: Record<string, string> = {}): { stdout: string; stderr: string; status: number | null } {
  const script = `require(${JSON.stringify(HOOK)}).installCompileCache(${JSON.stringify(chunks)});
console.log(require(${JSON.stringify(join(chunks, 'main.cjs'))}));
console.log(require(${JSON.stringify(join(other, 'plain.cjs'))}));`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** The cache files (name -> bytes) under chunks/.cache/<V8 version>-<arch>/. */
function cacheFiles(): Map<string, Buffer> {
  const root = join(chunks, '.cache');
  const files = new Map<string, Buffer>();
  for (const version of readdirSync(root)) {
    for (const name of readdirSync(join(root, version))) files.set(name, readFileSync(join(root, version, name)));
  }
  return files;
}

function cachePath(name: string): string {
  const root = join(chunks, '.cache');
  return join(root, readdirSync(root)[0]!, name);
}

const EXPECTED = 'hello one main.cjs dist true true\nplain\n';

describe('the compile cache of the built chunks', () => {
  it('writes a cache for each chunk of its directory, and no other, in a directory named for the V8 version', () => {
    expect(run()).toEqual({ stdout: EXPECTED, stderr: '', status: 0 });
    expect([...cacheFiles().keys()].sort()).toEqual(['greet.cjs.v8', 'main.cjs.v8']);
    expect(readdirSync(join(chunks, '.cache'))).toEqual([`${process.versions.v8}-${process.arch}`]);
  });

  it('uses an accepted cache without writing it again', () => {
    run();
    const before = cacheFiles();
    const mtime = statSync(cachePath('main.cjs.v8')).mtimeMs;
    expect(run().stdout).toBe(EXPECTED);
    expect(cacheFiles()).toEqual(before);
    expect(statSync(cachePath('main.cjs.v8')).mtimeMs).toBe(mtime);
  });

  it('runs a chunk edited to the same length as it now reads, not as cached, and caches it anew', () => {
    run();
    const before = cacheFiles().get('main.cjs.v8')!;
    writeFileSync(join(chunks, 'main.cjs'), mainChunk('two'));
    expect(run().stdout).toBe(EXPECTED.replace('hello one', 'hello two'));
    expect(cacheFiles().get('main.cjs.v8')!.equals(before)).toBe(false);
    const rewritten = cacheFiles();
    expect(run().stdout).toBe(EXPECTED.replace('hello one', 'hello two'));
    expect(cacheFiles()).toEqual(rewritten);
  });

  it('does not use a damaged cache file, and replaces it', () => {
    run();
    const good = cacheFiles().get('greet.cjs.v8')!;
    const damaged = Buffer.from(good);
    for (let i = Math.floor(damaged.length / 2); i < damaged.length; i += 7) damaged[i] = damaged[i]! ^ 0xff;
    writeFileSync(cachePath('greet.cjs.v8'), damaged);
    expect(run().stdout).toBe(EXPECTED);
    const replaced = cacheFiles().get('greet.cjs.v8')!;
    expect(replaced.equals(damaged)).toBe(false);
    writeFileSync(cachePath('main.cjs.v8'), Buffer.alloc(3));
    expect(run().stdout).toBe(EXPECTED);
    expect(cacheFiles().get('main.cjs.v8')!.length).toBeGreaterThan(8);
  });

  it('runs as usual, writing nothing, where the cache directory cannot be made', () => {
    writeFileSync(join(chunks, '.cache'), 'a file where the directory would go');
    expect(run()).toEqual({ stdout: EXPECTED, stderr: '', status: 0 });
    expect(statSync(join(chunks, '.cache')).isFile()).toBe(true);
  });

  it('is off with NODE_DISABLE_COMPILE_CACHE', () => {
    expect(run({ NODE_DISABLE_COMPILE_CACHE: '1' }).stdout).toBe(EXPECTED);
    expect(() => statSync(join(chunks, '.cache'))).toThrow();
  });

  it('reports an error thrown by a chunk at its own file and line', () => {
    writeFileSync(join(chunks, 'main.cjs'), "const x = 1;\nthrow new Error('boom from the chunk');\n");
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('boom from the chunk');
    expect(result.stderr).toContain(`${join(chunks, 'main.cjs')}:2`);
  });
});

describe('the built CLI', () => {
  it('says how to build it where dist/ is missing (a fresh checkout)', () => {
    const checkout = mkdtempSync(join(scratch, 'checkout-'));
    mkdirSync(join(checkout, 'bin'));
    for (const file of ['loom.js', 'package.json']) writeFileSync(join(checkout, 'bin', file), readFileSync(join(dirname(LOOM_BIN), file)));
    const result = spawnSync(process.execPath, [join(checkout, 'bin', 'loom.js'), '--version'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('error: loom is not built yet. Run `npm run build` in the loom checkout (npm ci first on a fresh clone).\n');
  });

  it('runs as npm installs it: node_modules/.bin/loom, a link to bin/loom.js, started by its #! line', () => {
    // bin/loom.js is CommonJS only through bin/package.json (the package is ESM): Node must find that file from the
    // link's target, whatever directory the link itself is in.
    const project = mkdtempSync(join(scratch, 'project-'));
    const pkg = join(dirname(LOOM_BIN), '..');
    mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(pkg, join(project, 'node_modules', 'loom-review'), 'dir');
    symlinkSync(join('..', 'loom-review', 'bin', 'loom.js'), join(project, 'node_modules', '.bin', 'loom'));
    const version = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version;
    const result = spawnSync(join(project, 'node_modules', '.bin', 'loom'), ['--version'], { cwd: project, encoding: 'utf8', env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('caches its chunks as it runs', () => {
    execFileSync(process.execPath, [LOOM_BIN, '--version'], { env: { PATH: process.env.PATH ?? '' } });
    const root = join(dirname(LOOM_BIN), '..', 'dist', '.cache', `${process.versions.v8}-${process.arch}`);
    expect(readdirSync(root)).toContain('cli.cjs.v8');
  });
});
