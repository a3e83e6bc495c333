import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'loom-review';
const cache = new Map<string, string>();

function nameOf(packageJson: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { name?: unknown }).name as string | undefined;
  } catch {
    return undefined;
  }
}

/**
 * The directory of loom's own package.json, found by walking up from this module. The depth differs
 * between src/ (tests) and the bundled dist/ chunks, and the name check skips the user's package.json
 * when loom is installed under their node_modules.
 */
export function packageRoot(from: string = import.meta.url): string {
  const start = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  const known = cache.get(start);
  if (known) return known;
  for (let dir = start; ; dir = dirname(dir)) {
    if (nameOf(join(dir, 'package.json')) === PACKAGE_NAME) {
      cache.set(start, dir);
      return dir;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${start}; the installation looks incomplete`);
}

/** Where `loom init` reads its starter files from. */
export function initTemplatesDir(root: string = packageRoot()): string {
  return join(root, 'templates', 'init');
}
