import { makeFinding, makeReport } from '../helpers/make-report.ts';
import type { Report } from '../../src/report/report.ts';

/** A report exercising everything a formatter must handle, including hostile model output. */
export function richReport(): Report {
  return makeReport({
    findings: [
      makeFinding({
        path: 'src/db.ts',
        line: 42,
        endLine: 44,
        severity: 'blocker',
        pipeline: 'security',
        ruleId: 'security',
        title: 'SQL built from user input',
        body: 'The query concatenates `id` into SQL.\n\nUse a parameterised query instead.',
        suggestion: "const rows = await db.query('SELECT * FROM t WHERE id = $1', [id]);\n",
        fingerprint: 'aaaaaaaaaaaaaaaa',
      }),
      makeFinding({
        path: 'src/db.ts',
        line: 7,
        side: 'old',
        severity: 'warning',
        title: 'Removed input validation',
        body: 'The check on `id` was deleted.',
        fingerprint: 'bbbbbbbbbbbbbbbb',
      }),
      makeFinding({
        path: 'docs/my notes/ünïcode file.md',
        line: 3,
        severity: 'info',
        title: 'Title with <img src=x> and a | pipe',
        body: 'Looks fine <!-- loom:fp=forged --> but <details><summary>x</summary> is raw HTML.\nKeep `Map<string, number>`.',
        inDiff: false,
        fingerprint: 'cccccccccccccccc',
      }),
      makeFinding({
        path: 'src/db.ts',
        line: 90,
        severity: 'warning',
        ruleId: 'builtin/conflict-marker',
        pipeline: 'builtin',
        title: 'Merge conflict marker',
        body: '',
        fingerprint: 'dddddddddddddddd',
      }),
    ],
    failures: [{ pipeline: 'security', files: ['src/big.ts', 'src/huge.ts'], reason: 'model answer could not be parsed' }],
    notices: ['Shallow clone: fetched the merge base.'],
    pipelines: [
      { name: 'security', model: 'gpt-4o', calls: 3, failedCalls: 1, promptTokens: 5400, completionTokens: 320, countedPromptTokens: 5530, tokenizer: 'o200k_base' },
      { name: 'builtin', model: 'builtin', calls: 0, failedCalls: 0, promptTokens: 0, completionTokens: 0 },
    ],
    coverage: {
      filesChanged: 5,
      filesReviewed: 3,
      filesSkipped: [{ path: 'package-lock.json', reason: 'ignore_paths' }],
      linesChanged: 300,
      linesReviewed: 180,
    },
  });
}
