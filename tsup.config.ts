import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

// Bundled CJS dependencies call require(); ESM output has none unless we create it.
const banner = { js: "import { createRequire as __loomCreateRequire } from 'node:module'; const require = __loomCreateRequire(import.meta.url);" };

export default defineConfig({
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  // Everything is bundled so `npx loom` starts without resolving node_modules; splitting keeps
  // each subcommand's dependencies in its own chunk, loaded only when that command runs.
  noExternal: [/.*/],
  splitting: true,
  clean: true,
  sourcemap: true,
  outDir: 'dist',
  banner,
  define: { __LOOM_VERSION__: JSON.stringify(version) },
});
