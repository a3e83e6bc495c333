#!/usr/bin/env node
// `npm run demo`: builds a throwaway repository with a feature branch and runs `loom review` on it, the way a
// developer would before pushing. With no model configured loom runs its built-in checks and says how to
// connect one; with OPENAI_API_KEY (and optionally OPENAI_BASE_URL) set, the AI review runs too.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const loom = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'loom.js');
const dir = mkdtempSync(join(tmpdir(), 'loom-demo-'));
const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
const write = (path, text) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};

try {
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'demo@example.com');
  git('config', 'user.name', 'Demo');
  write('src/users.js', 'export function findUser(db, id) {\n  return db.query("SELECT * FROM users WHERE id = $1", [id]);\n}\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  git('checkout', '-q', '-b', 'feature/search');
  write(
    'src/users.js',
    'export function findUser(db, id) {\n  return db.query("SELECT * FROM users WHERE id = $1", [id]);\n}\n\n' +
      'export function searchUsers(db, name) {\n  return db.query("SELECT * FROM users WHERE name = \'" + name + "\'");\n}\n',
  );
  // AWS's documented example key, assembled here so this file does not itself look like a leak.
  write('src/config.js', `export const awsKeyId = "${'AKIA' + 'IOSFODNN7EXAMPLE'}";\n<<<<<<< HEAD\nexport const region = "eu-west-1";\n=======\nexport const region = "us-east-1";\n>>>>>>> main\n`);
  git('add', '-A');
  git('commit', '-q', '-m', 'Add user search');
  process.stderr.write(`demo repository: ${dir} (branch feature/search, base main)\n$ loom review --base main\n\n`);
  const result = spawnSync(process.execPath, [loom, 'review', '--base', 'main', ...process.argv.slice(2)], { cwd: dir, stdio: 'inherit' });
  process.stderr.write(`\nloom exited with ${result.status}\n`);
  process.exitCode = result.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
