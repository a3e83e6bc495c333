import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { rm, writeFile } from 'node:fs/promises';
import { transform, type Plugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';
import { encodeBpeTable, type Ranks } from './src/tokens/bpe-table.ts';
import { bpeTableFile } from './src/tokens/encoding.ts';
import type { EncodingName } from './src/tokens/tokenizer-choice.ts';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

const outDir = 'dist';

/** Every encoding loom counts with, as a table next to the chunks: it loads in ms, the bundled tables in ~200 (bpe-table.ts). */
async function writeBpeTables(): Promise<void> {
  const ranks: Record<EncodingName, () => Promise<{ default: Ranks }>> = {
    o200k_base: () => import('gpt-tokenizer/bpeRanks/o200k_base'),
    cl100k_base: () => import('gpt-tokenizer/bpeRanks/cl100k_base'),
  };
  for (const encoding of Object.keys(ranks) as EncodingName[]) {
    await writeFile(`${outDir}/${bpeTableFile(encoding)}`, encodeBpeTable((await ranks[encoding]()).default));
  }
}

/**
 * zod re-exports all of its ~60 message locales as `z.locales`, which loom never reads (messages are English, from
 * `locales/en.js`, which zod imports on its own). Kept, they were half of the config chunk: ~370 KB that every
 * review compiled before it could read its config. The namespace resolves to an empty module instead.
 */
const withoutZodLocales: Plugin = {
  name: 'without-zod-locales',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (/[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'loom-empty' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'loom-empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

/**
 * yaml's `node` export is its CommonJS build: bundled whole (~160 KB), every module of it wrapped and run when the
 * config chunk loads. Its ESM build (the `default` export, the same source) lets the bundler keep only what loom
 * calls and hoist it into one scope. The two differ only in how yaml itself prints a warning (console.warn instead
 * of process.emitWarning, both to stderr).
 */
const yamlAsEsm: Plugin = {
  name: 'yaml-as-esm',
  setup(build) {
    const esm = join(dirname(createRequire(import.meta.url).resolve('yaml/package.json')), 'browser', 'index.js');
    build.onResolve({ filter: /^yaml$/ }, () => ({ path: esm }));
  },
};

/**
 * esbuild splits only ESM output into chunks, so the build is ESM, and each chunk is then rewritten as CommonJS
 * (src/compile-cache.ts says why), still strict. CommonJS has no import.meta: each chunk is given its own file's URL.
 * (tsup's own CommonJS splitting goes through sucrase, which also rewrites every `??` and `?.` into a helper call.)
 */
const chunksAsCommonJs: NonNullable<Options['plugins']>[number] = {
  name: 'chunks-as-commonjs',
  async renderChunk(code, info) {
    const banner = `"use strict";const __loomImportMetaUrl=require("node:url").pathToFileURL(__filename).href;`;
    const result = await transform(code, { format: 'cjs', target: 'node20', supported: { 'dynamic-import': false }, platform: 'node', sourcemap: 'external', sourcefile: info.path, minifyWhitespace: true, minifySyntax: true, banner });
    return { code: result.code, map: result.map };
  },
};

export default defineConfig({
  // The counting thread runs its own entry; bin/loom.js installs compile-cache before it loads cli.
  entry: { cli: 'src/cli.ts', 'count-worker': 'src/tokens/count-worker.ts', 'compile-cache': 'src/compile-cache.ts' },
  // Rewritten as CommonJS (chunksAsCommonJs), named .cjs as the package is "type": "module".
  format: ['esm'],
  outExtension: () => ({ js: '.cjs' }),
  plugins: [chunksAsCommonJs],
  target: 'node20',
  platform: 'node',
  // Everything is bundled so `npx loom` starts without resolving node_modules; splitting keeps
  // each subcommand's dependencies in its own chunk, loaded only when that command runs.
  noExternal: [/.*/],
  splitting: true,
  clean: true,
  sourcemap: true,
  // A review compiles every chunk it loads before it can read its config; without whitespace and with shorter
  // syntax they are about a quarter smaller (~10 ms sooner to the first model call). Names are kept, so stack
  // traces stay readable, and the source maps map them back.
  minifyWhitespace: true,
  minifySyntax: true,
  outDir,
  onSuccess: async () => {
    // A new build's chunks make every cached compile of the old ones stale (src/compile-cache.ts).
    await rm(`${outDir}/.cache`, { recursive: true, force: true });
    await writeBpeTables();
  },
  esbuildPlugins: [withoutZodLocales, yamlAsEsm],
  define: { __LOOM_VERSION__: JSON.stringify(version), 'import.meta.url': '__loomImportMetaUrl' },
});
