import { describe, expect, it } from 'vitest';
import { applyTriggers } from '../../src/diff/filter.ts';
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
