import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initTemplatesDir, packageRoot } from '../../src/paths.ts';

describe('packageRoot', () => {
  it('finds the loom-review package.json from src/', () => {
    const root = packageRoot();
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name).toBe('loom-review');
    expect(initTemplatesDir(root)).toBe(join(root, 'templates', 'init'));
  });

  it('finds the same root from a bundled chunk in dist/ and from a nested folder', () => {
    const root = packageRoot();
    expect(packageRoot(pathToFileURL(join(root, 'dist', 'chunk-ABC123.js')).href)).toBe(root);
    expect(packageRoot(join(root, 'src', 'commands', 'init.ts'))).toBe(root);
  });

  it('fails when no loom-review package is above', () => {
    expect(() => packageRoot('/tmp/not-loom/x.js')).toThrow(/package root/);
  });
});
