/**
 * What the per-CI end-to-end tests share: the same feature branch, the same three model findings and a check
 * that no secret reaches the output. Each test file builds its CI's environment around these.
 */
import { expect } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import type { CliResult } from '../helpers/run-cli.ts';

export const KEY = 'sk-e2e-model-key-0123456789';

export interface FeatureRepo {
  repo: TestRepo;
  baseSha: string;
  headSha: string;
}

/**
 * `main` holds three lines of src/db.js; branch `feature` adds lines 4-5, so the diff's one hunk has context
 * lines 1-3 (old and new numbers equal) and added lines 4-5. The config enables one blocker pipeline.
 */
export function makeFeatureRepo(): FeatureRepo {
  const repo = makeRepo({ 'src/db.js': 'export function get(db, id) {\n  return db.query("SELECT 1", [id]);\n}\n' });
  const baseSha = repo.git('rev-parse', 'HEAD');
  repo.git('checkout', '-q', '-b', 'feature');
  repo.write({
    'src/db.js': 'export function get(db, id) {\n  return db.query("SELECT 1", [id]);\n}\n\nexport const find = (db, name) => db.query("SELECT * FROM t WHERE n = \'" + name + "\'");\n',
    '.loom/config.yaml': 'pipelines:\n  - name: security\n    template: security\n    severity: blocker\n',
  });
  return { repo, baseSha, headSha: repo.commit('feature') };
}

/** The model's findings: on an added line (with a suggestion), on a context line, and outside the diff. */
export const inDiff = {
  file: 'src/db.js',
  line: 5,
  severity: 'blocker',
  title: 'SQL built from user input',
  body: 'Use a bound parameter.',
  suggestion: 'export const find = (db, name) => db.query("SELECT * FROM t WHERE n = $1", [name]);',
};
export const context = { file: 'src/db.js', line: 2, severity: 'warning', title: 'Query result not checked', body: 'Check it.' };
export const outside = { file: 'src/db.js', line: 40, severity: 'info', title: 'Far away', body: 'Not in the diff at all.' };

/** The `diff`-style suggestion block the Azure, Bitbucket and Gitea adapters render for `inDiff`. */
export const DIFF_SUGGESTION =
  '```diff\n-export const find = (db, name) => db.query("SELECT * FROM t WHERE n = \'" + name + "\'");\n' +
  '+export const find = (db, name) => db.query("SELECT * FROM t WHERE n = $1", [name]);\n```';

/** Neither the platform token nor the model key may appear on stdout or stderr of any run. */
export function expectNoSecrets(results: CliResult[], ...secrets: string[]): void {
  for (const result of results) {
    for (const secret of secrets) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
  }
}
