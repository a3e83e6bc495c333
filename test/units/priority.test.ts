import { describe, expect, it } from 'vitest';
import { fileKind } from '../../src/units/priority.ts';

describe('fileKind', () => {
  it.each([
    ['src/db.ts', 'source'],
    ['app/models/user.rb', 'source'],
    ['cmd/main.go', 'source'],
    ['lib/x.py', 'source'],
    ['infra/main.tf', 'source'],
    ['src/db.test.ts', 'test'],
    ['src/db.spec.tsx', 'test'],
    ['pkg/db_test.go', 'test'],
    ['tests/test_db.py', 'test'],
    ['src/__tests__/db.ts', 'test'],
    ['src/test/java/DbTest.java', 'test'],
    ['package.json', 'config'],
    ['.github/workflows/ci.yml', 'config'],
    ['Dockerfile', 'config'],
    ['deploy/values.yaml', 'config'],
    ['README.md', 'docs'],
    ['docs/guide/setup.md', 'docs'],
    ['docs/api/index.ts', 'docs'],
    ['CHANGELOG', 'docs'],
    ['assets/logo.data', 'other'],
  ])('%s is %s', (path, kind) => {
    expect(fileKind(path)).toBe(kind);
  });
});
