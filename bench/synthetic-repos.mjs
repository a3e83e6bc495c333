// Synthetic pull requests in real git repositories: `main` holds the base, `feature` (checked out) the head.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_SYSTEM: '/dev/null' };

export function git(dir, ...args) {
  return execFileSync('git', args, { cwd: dir, env: GIT_ENV, encoding: 'utf8', maxBuffer: 1 << 30 });
}

/** Deterministic, so every run measures the same repositories. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['user', 'order', 'total', 'items', 'config', 'cache', 'result', 'value', 'index', 'request', 'response', 'buffer', 'limit', 'retry', 'token', 'path', 'entry', 'count', 'offset', 'handler'];
const TYPES = ['string', 'number', 'boolean', 'Order', 'User[]', 'Map<string, number>', 'Promise<void>'];

/** Lines that look like TypeScript: identifiers, calls, literals, comments, braces, blank lines (about 35 characters on average). */
export function codeLines(seed, count) {
  const rnd = random(seed);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const ident = () => pick(WORDS) + (rnd() < 0.5 ? pick(WORDS).replace(/^./, (c) => c.toUpperCase()) : '');
  const out = [];
  for (let i = 0; i < count; i++) {
    const r = rnd();
    if (r < 0.08) out.push('');
    else if (r < 0.16) out.push('  }');
    else if (r < 0.26) out.push(`export function ${ident()}(${ident()}: ${pick(TYPES)}): ${pick(TYPES)} {`);
    else if (r < 0.4) out.push(`  // ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} before ${pick(WORDS)}`);
    else if (r < 0.55) out.push(`  if (${ident()} > ${Math.floor(rnd() * 1000)}) {`);
    else if (r < 0.75) out.push(`    const ${ident()} = ${ident()}(${ident()}, ${Math.floor(rnd() * 100)});`);
    else out.push(`    return ${ident()}.${ident()}('${pick(WORDS)}-${Math.floor(rnd() * 10000)}');`);
  }
  return out;
}

const text = (lines) => `${lines.join('\n')}\n`;

function write(dir, files) {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    if (content === null) {
      rmSync(full, { force: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

function commitAll(dir, message) {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--no-verify', '-m', message);
}

/** A repository on `main` with `base`, then branch `feature` with `head` applied; returns its directory. */
function makeRepo(name, base, head) {
  const dir = mkdtempSync(join(tmpdir(), `loom-bench-${name}-`));
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'bench@example.com');
  git(dir, 'config', 'user.name', 'bench');
  git(dir, 'config', 'commit.gpgsign', 'false');
  write(dir, base);
  commitAll(dir, 'base');
  git(dir, 'checkout', '-q', '-b', 'feature');
  write(dir, head);
  commitAll(dir, 'change');
  return dir;
}

/** Replaces `hunks` runs of `size` lines, spread through the file: each run is `size` removed plus `size` added lines. */
function modify(lines, seed, hunks, size) {
  const next = [...lines];
  const fresh = codeLines(seed, hunks * size);
  const step = Math.floor(lines.length / hunks);
  for (let h = 0; h < hunks; h++) {
    const at = h * step + Math.floor(step / 2);
    for (let i = 0; i < size; i++) next[at + i] = `${fresh[h * size + i]} // v2`;
  }
  return next;
}

function kindPath(i, folder) {
  if (i % 20 === 0) return `docs/${folder}/page${i}.md`;
  if (i % 10 === 0) return `test/${folder}/case${i}.test.ts`;
  return `src/${folder}/module${i}.ts`;
}

/**
 * scale 1: 2,000 files and 100,000 changed lines: 1,600 modified files (4 hunks of 5 replaced lines: 40 changed
 * lines each), 300 added files of 100 lines, 100 deleted files of 60 lines. Smaller scales shrink every count.
 */
export function largePr(scale = 1) {
  const modified = Math.round(1600 * scale);
  const added = Math.round(300 * scale);
  const deleted = Math.round(100 * scale);
  const base = {};
  const head = {};
  for (let i = 0; i < modified; i++) {
    const path = kindPath(i, `pkg${i % 40}`);
    const lines = codeLines(i + 1, 200);
    base[path] = text(lines);
    head[path] = text(modify(lines, 100_000 + i, 4, 5));
  }
  for (let i = 0; i < added; i++) head[kindPath(i, `new${i % 10}`)] = text(codeLines(200_000 + i, 100));
  for (let i = 0; i < deleted; i++) {
    const path = `src/old/legacy${i}.ts`;
    base[path] = text(codeLines(300_000 + i, 60));
    head[path] = null;
  }
  return {
    name: `${modified + added + deleted} files / ${modified * 40 + added * 100 + deleted * 60} changed lines`,
    dir: makeRepo('large', base, head),
  };
}

/** One new file of `lines` lines: a single hunk far bigger than any budget. */
export function singleFile(lines = 20_000) {
  return { name: `a single ${lines}-line file`, dir: makeRepo('single', { 'README.md': '# bench\n' }, { 'src/generated/huge.ts': text(codeLines(7, lines)) }) };
}

/** `count` small files: half modified (one line replaced in the middle), half added (10 lines). */
export function manySmall(count = 500) {
  const base = {};
  const head = {};
  for (let i = 0; i < count; i++) {
    const path = `src/small/f${i}.ts`;
    if (i % 2 === 0) {
      const lines = codeLines(400_000 + i, 30);
      base[path] = text(lines);
      head[path] = text(modify(lines, 500_000 + i, 1, 1));
    } else head[path] = text(codeLines(600_000 + i, 10));
  }
  return { name: `${count} small files`, dir: makeRepo('small', base, head) };
}

export function removeRepo(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A dependency bump: `lines` lines of package-lock.json rewritten (a default skip_paths file, so no model reads it)
 * next to 200 changed lines of source. What it measures is what reading a huge skipped file costs.
 */
export function lockFilePr(lines = 500_000) {
  const entries = (version) => Array.from({ length: lines }, (_, i) => `    "node_modules/pkg-${i}": { "version": "${version}.${i % 97}.${i % 13}", "integrity": "sha512-${(i * 2654435761) >>> 0}" },`);
  const lock = (version) => `{\n  "lockfileVersion": 3,\n  "packages": {\n${entries(version).join('\n')}\n  }\n}\n`;
  const source = (tag) => text(codeLines(tag, 200));
  return {
    name: `a ${Math.round(lines / 1000)}k-line package-lock.json rewritten, and 200 changed source lines`,
    lines,
    dir: makeRepo('lock', { 'package-lock.json': lock('1'), 'src/app.ts': source(11) }, { 'package-lock.json': lock('2'), 'src/app.ts': source(12) }),
  };
}

/**
 * A pull request of real code: JavaScript and TypeScript files of the packages installed in `modules` (loom's own
 * node_modules, so the lockfile fixes what they are), minified files left out. Six files in ten are modified
 * (every fourth line gets a trailing comment, `note`, so most of each file is one long hunk), three are added, one is
 * deleted, until about `lines` lines are changed. Real code tokenizes unlike the generated lines above (longer
 * lines, more punctuation, some non-ASCII) and its diff is larger for the same number of lines.
 */
export function realCodePr(modules, lines = 115_000, { note = ' // reviewed', name = 'real code from node_modules' } = {}) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['.bin', 'dist', 'vendor', 'node_modules'].includes(entry.name) || dir === modules) walk(path);
      } else if (entry.isFile() && /\.(js|ts|mjs|cjs)$/.test(entry.name) && !entry.name.includes('.min.')) {
        const size = statSync(path).size;
        if (size < 2_000 || size > 300_000) continue;
        const text = readFileSync(path, 'utf8');
        const split = text.split('\n');
        if (text.length / split.length <= 120) files.push({ path: path.slice(modules.length + 1), lines: split });
      }
    }
  };
  walk(modules);
  const base = {};
  const head = {};
  let changed = 0;
  for (const [i, file] of files.entries()) {
    if (changed >= lines) break;
    const path = `src/${file.path}`;
    const kind = i % 10 < 6 ? 'modified' : i % 10 < 9 ? 'added' : 'deleted';
    if (kind !== 'added') base[path] = file.lines.join('\n');
    if (kind === 'deleted') head[path] = null;
    else if (kind === 'added') head[path] = file.lines.join('\n');
    else head[path] = file.lines.map((line, k) => (k % 4 === 1 ? `${line}${note} ${k}` : line)).join('\n');
    changed += kind === 'modified' ? 2 * Math.ceil(file.lines.length / 4) : file.lines.length;
  }
  const dir = makeRepo('real', base, head);
  const stat = git(dir, 'diff', '--shortstat', 'main', 'feature').trim();
  return { name: `${name}: ${stat.replace(/^\s*/, '')}`, dir };
}
