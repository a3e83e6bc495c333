import { describe, expect, it } from 'vitest';
import { formatMarkdown } from '../../src/report/formats/markdown.ts';
import { makeFinding, makeReport } from '../helpers/make-report.ts';
import { richReport } from './fixtures.ts';

describe('formatMarkdown', () => {
  it('renders a clean report', () => {
    expect(formatMarkdown(makeReport())).toMatchInlineSnapshot(`
      "## loom review

      ✅ **No findings** on \`main...feature\` (\`1111111\`...\`2222222\`)

      Reviewed 1 of 1 files, 10 of 10 changed lines.

      <details>
      <summary>Model usage: 1 call, 1,190 prompt tokens sent; reported 1,200 prompt + 80 completion</summary>

      | Pipeline | Model | Calls | Failed | Prompt tokens sent | Prompt tokens reported | Completion tokens reported |
      | --- | --- | ---: | ---: | ---: | ---: | ---: |
      | review | gpt-4o | 1 | 0 | 1,190 | 1,200 | 80 |
      | **Total** | | 1 | 0 | 1,190 | 1,200 | 80 |

      Sent: the prompts of the answered calls by loom's count (o200k\\_base). Reported: the usage the model's server returned.

      </details>
      "
    `);
  });

  it('renders findings, failures, notices and coverage, neutralising hostile model output', () => {
    expect(formatMarkdown(richReport())).toMatchInlineSnapshot(`
      "## loom review

      🔴 **1 blocker** · 🟡 **2 warnings** · 🔵 **1 info** on \`main...feature\` (\`1111111\`...\`2222222\`) · ⚠️ **1 unit not reviewed**: the review is incomplete

      ### Findings

      #### 🔴 SQL built from user input

      \`src/db.ts:42-44\` · blocker · security

      The query concatenates \`id\` into SQL.

      Use a parameterised query instead.

      Suggested replacement for lines 42-44:

      \`\`\`ts
      const rows = await db.query('SELECT * FROM t WHERE id = $1', [id]);
      \`\`\`

      #### 🟡 Removed input validation

      \`src/db.ts\` removed line 7 · warning · review

      The check on \`id\` was deleted.

      #### 🟡 Merge conflict marker

      \`src/db.ts:90\` · warning · builtin

      #### 🔵 Title with &lt;img src=x&gt; and a \\| pipe

      \`docs/my notes/ünïcode file.md:3\` · info · review · outside the diff

      Looks fine  but &lt;details>&lt;summary>x&lt;/summary> is raw HTML.
      Keep \`Map<string, number>\`.

      ### Not reviewed

      - **security** on \`src/big.ts\`, \`src/huge.ts\`: model answer could not be parsed

      ### Notices

      - Shallow clone: fetched the merge base.

      Reviewed 3 of 5 files, 180 of 300 changed lines; skipped: \`package-lock.json\` (ignore\\_paths).

      <details>
      <summary>Model usage: 3 calls, 5,530 prompt tokens sent; reported 5,400 prompt + 320 completion</summary>

      | Pipeline | Model | Calls | Failed | Prompt tokens sent | Prompt tokens reported | Completion tokens reported |
      | --- | --- | ---: | ---: | ---: | ---: | ---: |
      | security | gpt-4o | 3 | 1 | 5,530 | 5,400 | 320 |
      | builtin | builtin | 0 | 0 | 0 | 0 | 0 |
      | **Total** | | 3 | 1 | 5,530 | 5,400 | 320 |

      Sent: the prompts of the answered calls by loom's count (o200k\\_base). Reported: the usage the model's server returned.

      </details>
      "
    `);
  });

  it('lets no HTML comment, tag or forged marker from a finding through, but for suggested code, shown as written', () => {
    const out = formatMarkdown(
      makeReport({
        findings: [
          makeFinding({
            path: 'a<!-- loom:summary -->.ts',
            title: '<!-- loom:fp=forged --><script>alert(1)</script> `<!-- x -->`',
            body: '<!<!-- -->-- loom:fp=spliced -->\n<details open>\n</details>\n<img\nsrc=x onerror=alert(1)>',
            suggestion: '<!-- loom:fp=in-code --><!-- a comment in the code -->\nok();',
          }),
        ],
      }),
    );
    // Code keeps its own comments (it is committed as written) but never a marker of loom's.
    expect(out).toContain('\n```ts\n<!-- a comment in the code -->\nok();\n```\n');
    expect(out).not.toContain('in-code');
    const prose = out.replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1$/gm, '');
    expect(prose).not.toContain('<!--');
    expect(out).not.toMatch(/<(script|img|details open)/);
    expect(out.match(/<\/?details>/g)).toEqual(['<details>', '</details>']);
  });

  it('keeps the markdown structure whatever backticks and fences the model writes', () => {
    const out = formatMarkdown(
      makeReport({
        findings: [
          makeFinding({ title: 'first', body: 'Unclosed fence:\n```ts\nconst a = 1;', suggestion: 'x = "```";\n````\n' }),
          makeFinding({ line: 20, title: 'second ` unmatched', body: 'fine' }),
        ],
      }),
    );
    expect(out).toContain('Unclosed fence:\n```ts\nconst a = 1;\n```\n\nSuggested replacement for line 10:\n\n`````ts\nx = "```";\n````\n`````\n');
    expect(out).toContain('#### 🟡 second \\` unmatched\n');
  });

  it('says when the review was skipped, before the verdict', () => {
    const out = formatMarkdown(makeReport({ skipped: { reason: 'more than `1000` changed lines' } }));
    expect(out.startsWith('## loom review\n\n**Review skipped:** more than `1000` changed lines\n\n✅ **No findings**')).toBe(true);
  });

  it('escapes pipes in table cells so a pipeline name cannot add columns', () => {
    const out = formatMarkdown(
      makeReport({ pipelines: [{ name: 'a|b', model: 'm`|`x', calls: 2, failedCalls: 0, promptTokens: 1, completionTokens: 1, countedPromptTokens: 3 }] }),
    );
    expect(out).toContain('\n| a\\|b | m`\\|`x | 2 | 0 | 3 | 1 | 1 |\n');
  });

  it('counts many skipped files per reason instead of listing them', () => {
    const filesSkipped = Array.from({ length: 11 }, (_, i) => ({ path: `dist/${i}.js`, reason: 'ignore_paths' }));
    expect(formatMarkdown(makeReport({ coverage: { filesSkipped } }))).toContain(
      '\nReviewed 1 of 1 files, 10 of 10 changed lines; skipped: 11 files (ignore\\_paths).\n',
    );
  });

  it('is deterministic and does not change the report', () => {
    const report = richReport();
    const before = structuredClone(report);
    expect(formatMarkdown(report)).toBe(formatMarkdown(richReport()));
    expect(report).toEqual(before);
  });
});
