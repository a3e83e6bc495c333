import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SKIP_PATHS } from '../../src/config/schema.ts';
import { DIFF_FLAGS } from '../../src/diff/git.ts';
import { parseDiff } from '../../src/diff/parse.ts';
import { createTokenCounter, type TokenCounter } from '../../src/tokens/counter.ts';
import { planUnits } from '../../src/units/plan.ts';
import { fileRank } from '../../src/units/priority.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { codeLine, expectAccountedFor } from './plan-helpers.ts';

let counter: TokenCounter;
let repo: TestRepo;
beforeAll(async () => {
  counter = await createTokenCounter({ model: 'gpt-4o' });
});
afterEach(() => repo?.remove());

const lines = (n: number, salt = '') => Array.from({ length: n }, (_, i) => `${codeLine(i)}${salt}`).join('\n') + '\n';

describe('planUnits on a real git diff', () => {
  it('accounts for every changed line of a pull request with renames, binaries, modes, deletions and lock files', () => {
    const big = lines(3000);
    repo = makeRepo({
      'src/big.ts': big,
      'src/old-name.ts': lines(40),
      'src/gone.ts': lines(120),
      'src/trim.ts': lines(200),
      'bin/run.sh': '#!/bin/sh\necho hi\n',
      'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]),
      'web/yarn.lock': 'a@1:\n  version 1\n',
      'docs/guide.md': '# Guide\n',
      'src/crlf.ts': 'a\r\nb\r\nc\r\n',
    });
    repo.git('checkout', '-q', '-b', 'feature');
    const bigLines = big.split('\n');
    for (let i = 100; i < 2900; i += 7) bigLines[i] = `${bigLines[i]} // changed ${i}`;
    const trimmed = lines(200).split('\n');
    trimmed.splice(50, 30);
    repo.write({
      'src/big.ts': bigLines.join('\n'),
      'src/old-name.ts': null,
      'src/new-name.ts': lines(40),
      'src/gone.ts': null,
      'src/trim.ts': trimmed.join('\n'),
      'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 9, 9, 9, 9]),
      'web/yarn.lock': 'a@2:\n  version 2\n',
      'docs/guide.md': '# Guide\n\n日本語の説明 🎉\n',
      'src/crlf.ts': 'a\r\nB\r\nc\r\n',
      'src/ünï.ts': 'export const ü = 1;\n',
    });
    chmodSync(join(repo.dir, 'bin/run.sh'), 0o755);
    repo.commit('feature');
    const diff = execFileSync('git', ['diff', ...DIFF_FLAGS, 'main', 'feature', '--'], { cwd: repo.dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } });
    const files = parseDiff(diff);

    const plan = planUnits(files, { budgetTokens: 2_000, counter, skipPaths: DEFAULT_SKIP_PATHS });

    expectAccountedFor(files, plan, 2_000, counter);
    expect([...plan.skipped].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'assets/logo.png', reason: 'binary', lines: 0 },
      { path: 'bin/run.sh', reason: 'mode change only', lines: 0 },
      { path: 'src/new-name.ts', reason: 'renamed without changes', lines: 0 },
      { path: 'web/yarn.lock', reason: 'skip_paths: **/*.lock', lines: 4 },
    ]);
    expect(plan.totals.summarised).toBe(120 + 30);
    const gone = plan.units.flatMap((u) => u.files).find((f) => f.path === 'src/gone.ts');
    expect(gone?.collapsed).toBe(true);
    // Units start in order of their most important file; within a unit, files keep that order too.
    const firstRanks = plan.units.map((u) => fileRank(u.files[0]!.path));
    expect(firstRanks).toEqual([...firstRanks].sort((a, b) => a - b));
    for (const unit of plan.units) {
      const ranks = unit.files.map((f) => fileRank(f.path));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    }
  });
});
