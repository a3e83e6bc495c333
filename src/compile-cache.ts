import { mkdirSync, readFileSync, realpathSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import * as zlib from 'node:zlib';

/**
 * V8's code cache for loom's own chunks. Without it each run parses and compiles the JavaScript it loads (half a
 * megabyte for a review: loom, commander, yaml, zod), then each function again as the run first calls it: tens of
 * ms of a run whose budget is a few hundred. Node 22 has this as `module.enableCompileCache()`; Node 20 offers only
 * `vm.Script`'s `cachedData`, which takes a CommonJS body. So the bundle is CommonJS, and this hook compiles its
 * chunks (the `.cjs` files of one directory) through `vm.Script`, with a cache for each chunk.
 *
 * The cache sits beside the chunks (`.cache/<V8 version>-<arch>/`): whoever can write there can write the chunks
 * too, so trusting it trusts nobody new. A directory loom cannot write (a read-only install) only means no cache.
 * V8 rejects a cache made by another V8 version or with other flags, but of the source it checks only the length,
 * and in a release build it does not checksum the data: each file starts with checksums of the chunk's source and
 * of the data, and a file whose sums differ is not used. A chunk without an accepted cache gets one written as the
 * process exits, holding every function the run compiled. `NODE_DISABLE_COMPILE_CACHE` (Node's own switch for its
 * cache) turns it off.
 */
export function installCompileCache(dir: string, env: NodeJS.ProcessEnv = process.env): void {
  // zlib.crc32 is Node 20.15+: an older Node runs without the cache.
  const { crc32 } = zlib as { crc32?: (data: string | Uint8Array) => number };
  if (env.NODE_DISABLE_COMPILE_CACHE || !crc32) return;
  // Node names a module by its real path.
  const chunkDir = realpathSync(dir);
  const cacheDir = join(chunkDir, '.cache', `${process.versions.v8}-${process.arch}`);
  // require.extensions: deprecated for loading other languages, still how Node 20-24 load each file.
  const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
  const fallback = extensions['.cjs'] ?? extensions['.js']!;
  const unsaved: { script: Script; file: string; sourceSum: number }[] = [];

  extensions['.cjs'] = (module, filename) => {
    if (dirname(filename) !== chunkDir) return fallback(module, filename);
    const source = readFileSync(filename, 'utf8');
    const file = join(cacheDir, `${filename.slice(chunkDir.length + 1)}.v8`);
    const sourceSum = crc32(source);
    const cachedData = cacheFor(file, sourceSum, crc32);
    const script = new Script(`${WRAPPER_START}${source}${WRAPPER_END}`, { filename, cachedData });
    if (!cachedData || script.cachedDataRejected) unsaved.push({ script, file, sourceSum });
    const body = script.runInThisContext() as (...args: unknown[]) => void;
    body.call(module.exports, module.exports, createRequire(filename), module, filename, chunkDir);
  };

  process.once('exit', () => {
    let partial: string | undefined;
    try {
      if (unsaved.length > 0) mkdirSync(cacheDir, { recursive: true });
      for (const { script, file, sourceSum } of unsaved) {
        const data = script.createCachedData();
        const header = Buffer.alloc(HEADER_BYTES);
        header.writeUInt32LE(sourceSum, 0);
        header.writeUInt32LE(crc32(data), 4);
        // Written whole under another name, then renamed: a run starting meanwhile reads the old cache or the new.
        partial = `${file}.${process.pid}`;
        writeFileSync(partial, Buffer.concat([header, data]));
        renameSync(partial, file);
        partial = undefined;
      }
    } catch {
      // No cache is only a slower start next time.
      if (partial) tryUnlink(partial);
    }
  });
}

type Loader = (module: NodeJS.Module, filename: string) => void;

/** A CommonJS module's body, as Node wraps it: on the first line, so line numbers in stack traces stay right. */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) { ';
const WRAPPER_END = '\n});';

/** A cache file's checksums: of the chunk's source, then of the V8 data after them. */
const HEADER_BYTES = 8;

/** The V8 data of a cache file, if it was made from this source and is whole. */
function cacheFor(file: string, sourceSum: number, crc32: (data: Uint8Array) => number): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length <= HEADER_BYTES || bytes.readUInt32LE(0) !== sourceSum) return undefined;
  const data = bytes.subarray(HEADER_BYTES);
  return crc32(data) === bytes.readUInt32LE(4) ? data : undefined;
}

function tryUnlink(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // A partial file left in the cache directory is never read: its name has the process id in it.
  }
}
