#!/usr/bin/env node
'use strict';
// The CLI is bundled into dist/; a source checkout has to build it once first. Its chunks are compiled with V8's
// code cache (dist/compile-cache.cjs), installed before the first of them loads. This file is CommonJS
// (bin/package.json says so, the package itself being ESM): Node then loads it without its ES module loader.
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
let compileCache;
try {
  compileCache = require(join(dist, 'compile-cache.cjs'));
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('compile-cache.cjs')) {
    process.stderr.write('error: loom is not built yet. Run `npm run build` in the loom checkout (npm ci first on a fresh clone).\n');
    process.exit(2);
  }
  throw error;
}
compileCache.installCompileCache(dist);
require(join(dist, 'cli.cjs'));
