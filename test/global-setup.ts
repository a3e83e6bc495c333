import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The end-to-end tests run the built CLI as a process, so the suite builds it first (about a second), then lays it
 * out as npm would publish it (the files `npm pack` takes) in a directory outside the repository, with no
 * node_modules anywhere above it: every CLI run in the suite proves the package needs nothing it does not ship.
 * runCli (test/helpers/run-cli.ts) runs that copy.
 */
export default function setup(): () => void {
  execFileSync(process.execPath, ['node_modules/tsup/dist/cli-default.js', '--silent'], { stdio: 'inherit' });
  // Under `npm test` the npm that runs the suite; under yarn or pnpm (their own npm_execpath) the npm on PATH.
  const npm = /npm-cli\.js$/.test(process.env.npm_execpath ?? '') ? process.env.npm_execpath : undefined;
  const listing = npm
    ? execFileSync(process.execPath, [npm, 'pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    : execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const files = (JSON.parse(listing) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  const stage = mkdtempSync(join(tmpdir(), 'loom-test-package-'));
  for (const file of files) {
    mkdirSync(join(stage, dirname(file)), { recursive: true });
    cpSync(file, join(stage, file));
  }
  process.env.LOOM_TEST_BIN = join(stage, 'bin', 'loom.js');
  return () => rmSync(stage, { recursive: true, force: true });
}
