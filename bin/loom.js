#!/usr/bin/env node
// The CLI is bundled into dist/; a source checkout has to build it once first.
import('../dist/cli.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    process.stderr.write('error: loom is not built yet. Run `npm run build` in the loom checkout (npm ci first on a fresh clone).\n');
    process.exit(2);
  }
  throw error;
});
