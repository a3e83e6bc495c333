import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SKIP_PATHS } from '../../src/config/schema.ts';
import { applyTriggers, normalizePattern, pathMatcher, requiredLiteral } from '../../src/diff/filter.ts';
import type { FileDiff } from '../../src/diff/types.ts';

const file = (path: string, additions = 1, deletions = 0): FileDiff => ({
  path,
  oldPath: path,
  status: 'modified',
  binary: false,
  modeOnly: false,
  noNewlineAtEof: false,
  hunks: [],
  additions,
  deletions,
});

const paths = (files: FileDiff[]) => files.map((f) => f.path);

describe('applyTriggers', () => {
  const files = [
    file('yarn.lock'),
    file('packages/web/pnpm-lock.yaml'),
    file('packages/web/yarn.lock'),
    file('dist/index.js'),
    file('src/dist/keep.ts'),
    file('src/app.ts'),
    file('.github/workflows/ci.yml'),
    file('docs/guide.md'),
  ];

  it('ignores globs at any depth when they have no slash, and from the root when they do', () => {
    const result = applyTriggers(files, { ignore_paths: ['*.lock', 'dist/**', '.github/', '/docs/*.md'] }, {});
    expect(paths(result.files)).toEqual(['packages/web/pnpm-lock.yaml', 'src/dist/keep.ts', 'src/app.ts']);
    expect(result.ignored).toEqual([
      { path: 'yarn.lock', reason: 'matches triggers.ignore_paths pattern "*.lock"' },
      { path: 'packages/web/yarn.lock', reason: 'matches triggers.ignore_paths pattern "*.lock"' },
      { path: 'dist/index.js', reason: 'matches triggers.ignore_paths pattern "dist/**"' },
      { path: '.github/workflows/ci.yml', reason: 'matches triggers.ignore_paths pattern ".github/"' },
      { path: 'docs/guide.md', reason: 'matches triggers.ignore_paths pattern "/docs/*.md"' },
    ]);
    expect(result.skip).toBeUndefined();
  });

  it('matches dotfiles with wildcards', () => {
    const result = applyTriggers([file('.env.example'), file('config/.eslintrc.json'), file('a.ts')], { ignore_paths: ['*.example', '**/*.json'] }, {});
    expect(paths(result.files)).toEqual(['a.ts']);
  });

  it('skips the model review when the target branch is not listed, and not when it is unknown', () => {
    const triggers = { branches: ['main', 'release/*'], ignore_paths: [] };
    expect(applyTriggers(files, triggers, { targetBranch: 'main' }).skip).toBeUndefined();
    expect(applyTriggers(files, triggers, { targetBranch: 'release/2.1' }).skip).toBeUndefined();
    expect(applyTriggers(files, triggers, { targetBranch: 'refs/heads/main' }).skip).toBeUndefined();
    expect(applyTriggers(files, triggers, {}).skip).toBeUndefined();
    const skipped = applyTriggers(files, triggers, { targetBranch: 'develop' });
    expect(skipped.skip).toEqual({ reason: 'the target branch develop is not in triggers.branches (main, release/*); the model review was skipped' });
    expect(skipped.files).toHaveLength(files.length);
  });

  it('counts additions and deletions of the kept files against max_changes', () => {
    const big = [file('src/a.ts', 600, 400), file('src/b.ts', 300, 220), file('package-lock.json', 5000, 0)];
    const over = applyTriggers(big, { ignore_paths: ['package-lock.json'], max_changes: 1000 }, {});
    expect(over.skip).toEqual({ reason: 'this pull request changes 1520 lines, above triggers.max_changes (1000); the model review was skipped' });
    const atLimit = applyTriggers(big.slice(0, 1), { ignore_paths: [], max_changes: 1000 }, {});
    expect(atLimit.skip).toBeUndefined();
  });
});

describe('pathMatcher', () => {
  // The substring test in front of each regex must never change an answer: compared here with picomatch alone.
  const patterns = [
    ...DEFAULT_SKIP_PATHS,
    'dist/',
    './src/',
    '/build/out',
    '*.lock',
    'docs/**/*.md',
    'a?c.ts',
    '**/*.{js,mjs}',
    '**/[Vv]endor/**',
    '**/!(keep).json',
    '**/@(x|y).ts',
    '**/+(a).ts',
    'weird\\*name',
    '**/.github/**',
    '**/*',
  ];
  const paths = [
    'dist',
    'dist/a.js',
    'src/dist/keep.ts',
    'yarn.lock',
    'a/b/Cargo.lock',
    'x.pb.go',
    'api/v1/service.pb.go',
    'pkg/vendor/x.go',
    'pkg/Vendor/x.go',
    'vendor',
    'app.min.js',
    'lib/util.generated.ts',
    'docs/a/b/guide.md',
    'abc.ts',
    'a/abc.ts',
    'web/index.mjs',
    'conf/keep.json',
    'conf/other.json',
    'x.ts',
    'aa.ts',
    'weird*name',
    '.github/workflows/ci.yml',
    'src/app.ts',
    'build/out',
    'ünïcode/файл.svg',
  ];
  it('answers as picomatch does for every pattern and path', () => {
    for (const pattern of patterns) {
      const glob = normalizePattern(pattern);
      const reference = picomatch(glob, { dot: true, basename: !glob.includes('/') });
      const matcher = pathMatcher([pattern]);
      for (const path of paths) expect([pattern, path, matcher(path) === pattern]).toEqual([pattern, path, reference(path)]);
    }
  });

  it('returns the first matching pattern of a list', () => {
    const match = pathMatcher(['**/*.ts', 'src/**']);
    expect(match('src/app.ts')).toBe('**/*.ts');
    expect(match('src/app.js')).toBe('src/**');
    expect(match('lib/app.js')).toBeUndefined();
  });

  it('relies on a literal only where the glob has no syntax that makes one optional', () => {
    expect(requiredLiteral('**/*.pb.go')).toBe('.pb.go');
    expect(requiredLiteral('**/node_modules/**')).toBe('node_modules');
    expect(requiredLiteral('dist/**')).toBe('dist');
    expect(requiredLiteral('**/*.{js,mjs}')).toBe('');
    expect(requiredLiteral('**/[Vv]endor/**')).toBe('');
    expect(requiredLiteral('**/*')).toBe('');
  });
});
