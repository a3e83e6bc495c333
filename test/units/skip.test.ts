import { describe, expect, it } from 'vitest';
import { DEFAULT_SKIP_PATHS } from '../../src/config/schema.ts';
import { pathMatcher } from '../../src/diff/filter.ts';
import { skipReason } from '../../src/units/skip.ts';
import { fileDiff } from '../helpers/file-diff.ts';

describe('pathMatcher with skip_paths', () => {
  it('matches patterns without a slash against the file name at any depth, others from the root', () => {
    const match = pathMatcher(['*.min.js', 'dist/**', './build/', '/out/', '.cache/**', 'gen/*.ts']);

    expect(match('app.min.js')).toBe('*.min.js');
    expect(match('web/static/js/app.min.js')).toBe('*.min.js');
    expect(match('dist/a/b.js')).toBe('dist/**');
    expect(match('pkg/dist/b.js')).toBeUndefined();
    expect(match('build/x.js')).toBe('./build/');
    expect(match('src/build/x.js')).toBeUndefined();
    expect(match('out/deep/er.txt')).toBe('/out/');
    expect(match('.cache/x')).toBe('.cache/**');
    expect(match('gen/api.ts')).toBe('gen/*.ts');
    expect(match('gen/sub/api.ts')).toBeUndefined();
    expect(match('src/app.js')).toBeUndefined();
  });

  it('skips lock files, vendored and generated code at any depth with the default list', () => {
    const match = pathMatcher(DEFAULT_SKIP_PATHS);

    expect(match('packages/web/package-lock.json')).toBe('**/package-lock.json');
    expect(match('a/b/c/yarn.lock')).toBe('**/*.lock');
    expect(match('go.sum')).toBe('**/go.sum');
    expect(match('services/api/vendor/github.com/x/y.go')).toBe('**/vendor/**');
    expect(match('web/node_modules/.pnpm/x/index.js')).toBe('**/node_modules/**');
    expect(match('proto/api.pb.go')).toBe('**/*.pb.go');
    expect(match('src/app.ts')).toBeUndefined();
    expect(match('src/vendors.ts')).toBeUndefined();
  });
});

describe('skipReason', () => {
  const none = pathMatcher([]);

  it('names why a file has nothing for a model', () => {
    expect(skipReason(fileDiff('a.png', [], { binary: true }), none)).toBe('binary');
    expect(skipReason(fileDiff('lib', [], { binary: true, oldMode: '160000', newMode: '160000' }), none)).toBe('submodule');
    expect(skipReason(fileDiff('run.sh', [], { modeOnly: true }), none)).toBe('mode change only');
    expect(skipReason(fileDiff('b.ts', [], { status: 'renamed', oldPath: 'a.ts' }), none)).toBe('renamed without changes');
    expect(skipReason(fileDiff('c.ts', [], { status: 'copied', oldPath: 'a.ts' }), none)).toBe('copied without changes');
    expect(skipReason(fileDiff('empty.ts', [], { status: 'added' }), none)).toBe('empty file added');
    expect(skipReason(fileDiff('x.lock', [{ oldStart: 0, newStart: 1, lines: ['+a'] }]), pathMatcher(['*.lock']))).toBe('skip_paths: *.lock');
    expect(skipReason(fileDiff('x.ts', [{ oldStart: 0, newStart: 1, lines: ['+a'] }]), none)).toBeUndefined();
  });

  it('skips a rebuilt file whose only changed lines are its source map comments, and nothing more', () => {
    const map = (tag: string) => `//# sourceMappingURL=data:application/json;base64,${tag.repeat(400)}`;
    const rebuilt = fileDiff('esm/di/injectable.mjs', [{ oldStart: 15, newStart: 15, lines: [' export const Injectable = 1;', `-${map('AAAA')}`, `+${map('BBBB')}`] }]);
    const css = fileDiff('web/site.css', [{ oldStart: 3, newStart: 3, lines: [' a { color: red }', '-/*# sourceMappingURL=site.css.map */', '+/*@ sourceMappingURL=site.3f2a.css.map */'] }]);
    const withCode = fileDiff('esm/di/inject.mjs', [{ oldStart: 15, newStart: 15, lines: ['-export const inject = 1;', '+export const inject = 2;', `-${map('AAAA')}`, `+${map('BBBB')}`] }]);
    const mentioned = fileDiff('src/maps.ts', [{ oldStart: 1, newStart: 1, lines: ["+const note = '//# sourceMappingURL=x.map';"] }]);

    expect(skipReason(rebuilt, none)).toBe('only its source map comment changed');
    expect(skipReason(css, none)).toBe('only its source map comment changed');
    expect(skipReason(withCode, none)).toBeUndefined();
    expect(skipReason(mentioned, none)).toBeUndefined();
  });
});
