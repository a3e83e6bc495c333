/**
 * Seeded fuzzing of the parsers that read outside input: git diffs (parseDiff), config files (checkConfigText),
 * model answers (parseFindingsReply; test/llm/reply-fuzz.test.ts covers the JSON shapes, this adds adversarial
 * sizes and nesting) and model markdown (sanitizeMarkdownBody). None may throw; every result must satisfy its
 * invariants. A failure names its seed and case number, so it reproduces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfigText } from '../../src/config/check.ts';
import { parseDiff } from '../../src/diff/parse.ts';
import type { FileDiff } from '../../src/diff/types.ts';
import { parseFindingsReply } from '../../src/llm/reply.ts';
import { sanitizeMarkdownBody } from '../../src/report/formats/markdown-body.ts';

/** mulberry32: small, fast, seeded. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof prng>;

/** Runs `cases` inputs; on the first failure, rethrows with the seed, case number and input. */
function fuzz(seed: number, cases: number, generate: (rng: Rng, i: number) => string, check: (input: string) => void): void {
  const rng = prng(seed);
  for (let i = 0; i < cases; i++) {
    const input = generate(rng, i);
    try {
      check(input);
    } catch (error) {
      throw new Error(`seed ${seed}, case ${i}: ${(error as Error).message}\ninput: ${JSON.stringify(input.slice(0, 600))}`, { cause: error });
    }
  }
}

// ---------------------------------------------------------------------------------------------- diffs

const PATHS = ['src/a.ts', 'a b/c d.ts', 'ü/名前.md', 'x b/y', '"quoted"', 'dir/ b/z', '.hidden', 'a\tb', 'trailing ', '-dash'];
const TEXT = ['', ' ', 'x', 'const a = 1;', '\t\tindent', 'é🙂', '\r', 'diff --git a/x b/x', '@@ -1 +1 @@', '--- a/x', '+++ b/y', '\\ No newline', '\u0000', 'a'.repeat(300)];

function randomHunk(rng: Rng, consistent: boolean): string[] {
  const oldStart = rng.int(50) + (consistent ? 1 : 0);
  const newStart = rng.int(50) + (consistent ? 1 : 0);
  const lines: string[] = [];
  let olds = 0;
  let news = 0;
  for (let n = rng.int(8) + (consistent ? 1 : 0); n > 0; n--) {
    const kind = rng.pick([' ', '+', '-']);
    if (kind !== '+') olds++;
    if (kind !== '-') news++;
    lines.push(kind + rng.pick(TEXT).replace(/[\r\n]/g, '') + (rng.chance(0.1) ? '\r' : ''));
    if (!consistent && rng.chance(0.05)) lines.push(rng.pick(['\\ No newline at end of file', '', 'garbage line', '@@ broken', ' ']));
  }
  if (consistent && rng.chance(0.2)) lines.push('\\ No newline at end of file');
  const header = consistent
    ? `@@ -${olds === 0 ? oldStart - 1 : oldStart},${olds} +${news === 0 ? newStart - 1 : newStart},${news} @@${rng.chance(0.5) ? ' function f() {' : ''}`
    : rng.pick([`@@ -${oldStart},${rng.int(9)} +${newStart},${rng.int(9)} @@`, `@@ -${oldStart} +${newStart} @@ x`, '@@ @@', `@@ -a,b +c,d @@`, `@@ -${oldStart},${olds} +${newStart},${news} @@`]);
  return [header, ...lines];
}

function randomFile(rng: Rng, consistent: boolean): string[] {
  const a = rng.pick(PATHS);
  const b = rng.chance(0.8) ? a : rng.pick(PATHS);
  const out = [`diff --git a/${a} b/${b}`];
  const extras = ['new file mode 100644', 'deleted file mode 100644', 'old mode 100644', 'new mode 100755', 'similarity index 87%', `rename from ${a}`, `rename to ${b}`, `copy from ${a}`, `copy to ${b}`, 'index 1234567..89abcde 100644', 'index 1234567..89abcde 160000'];
  for (const e of extras) if (rng.chance(consistent ? 0.05 : 0.15)) out.push(e);
  if (rng.chance(0.08)) return [...out, `Binary files a/${a} and b/${b} differ`];
  if (rng.chance(0.03)) return [...out, 'GIT binary patch', 'literal 5', 'zcmV?d00001', ''];
  out.push(rng.chance(0.1) ? '--- /dev/null' : `--- a/${a}`, rng.chance(0.1) ? '+++ /dev/null' : `+++ b/${b}`);
  for (let h = rng.int(4) + (consistent ? 1 : 0); h > 0; h--) out.push(...randomHunk(rng, consistent));
  return out;
}

function mutate(rng: Rng, lines: string[]): string[] {
  const out = [...lines];
  for (let n = rng.int(4); n > 0; n--) {
    const at = rng.int(out.length + 1);
    const op = rng.int(4);
    if (op === 0) out.splice(at, 1);
    else if (op === 1) out.splice(at, 0, rng.pick([...TEXT, '+', '-', ' ', '@@ -1,2 +1,2 @@', 'diff --git ', 'diff --git a/ b/']));
    else if (op === 2 && out[at] !== undefined) out[at] = out[at]!.slice(0, rng.int(out[at]!.length + 1));
    else if (out[at] !== undefined) out.splice(at, 0, out[at]!);
  }
  return out;
}

/** A cheap assertion: the fuzz loops run millions of checks, and expect() is slow at that volume. */
function ok(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

const STATUSES = new Set(['added', 'deleted', 'modified', 'renamed', 'copied']);

function expectWellFormedDiff(files: FileDiff[], consistent: boolean): void {
  ok(Array.isArray(files), () => 'not an array');
  const minLine = consistent ? 1 : 0;
  const isLine = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= minLine;
  for (const f of files) {
    ok(typeof f.path === 'string' && typeof f.oldPath === 'string', () => `paths ${f.path} ${f.oldPath}`);
    ok(STATUSES.has(f.status), () => `status ${f.status}`);
    ok([f.binary, f.modeOnly, f.noNewlineAtEof].every((b) => typeof b === 'boolean'), () => 'flags');
    ok(!f.binary || f.hunks.length === 0, () => 'a binary file with hunks');
    let adds = 0;
    let dels = 0;
    for (const h of f.hunks) {
      ok([h.oldStart, h.oldLines, h.newStart, h.newLines].every((n) => Number.isSafeInteger(n) && n >= 0), () => `hunk numbers ${JSON.stringify(h)}`);
      let nextOld: number | undefined;
      let nextNew: number | undefined;
      for (const l of h.lines) {
        ok(typeof l.text === 'string' && !l.text.includes('\n'), () => `text ${JSON.stringify(l)}`);
        if (l.kind === 'add') {
          adds++;
          ok(isLine(l.newLine) && l.oldLine === undefined, () => `add line ${JSON.stringify(l)}`);
        } else if (l.kind === 'del') {
          dels++;
          ok(isLine(l.oldLine) && l.newLine === undefined, () => `del line ${JSON.stringify(l)}`);
        } else {
          ok(l.kind === 'context' && isLine(l.oldLine) && isLine(l.newLine), () => `context line ${JSON.stringify(l)}`);
        }
        if (consistent) {
          // Within a hunk, old and new numbers run on by one: what anchoring relies on.
          if (l.oldLine !== undefined) {
            ok(nextOld === undefined || l.oldLine === nextOld, () => `old line ${l.oldLine} after ${nextOld! - 1}`);
            nextOld = l.oldLine + 1;
          }
          if (l.newLine !== undefined) {
            ok(nextNew === undefined || l.newLine === nextNew, () => `new line ${l.newLine} after ${nextNew! - 1}`);
            nextNew = l.newLine + 1;
          }
        }
      }
    }
    ok(f.additions === adds && f.deletions === dels, () => `counts ${f.additions}/${f.deletions} for ${adds}/${dels} lines`);
  }
}

describe('parseDiff fuzz', () => {
  it('well-formed random diffs (3000): never throws; one FileDiff per section; numbers consecutive and 1-based', () => {
    fuzz(0xd1ff, 3000, (rng) => {
      const files = Array.from({ length: rng.int(4) + 1 }, () => randomFile(rng, true));
      return files.flat().join(rng.chance(0.1) ? '\r\n' : '\n') + '\n';
    }, (input) => {
      const files = parseDiff(input);
      ok(files.length === input.split(/\n(?=diff --git )/).length, () => `${files.length} files`);
      expectWellFormedDiff(files, true);
    });
  });

  // A `\ No newline` marker as the first line of a hunk crashes parse-diff: the test below. Inputs that contain
  // one are left out here so the fuzz keeps looking for other failures.
  const KNOWN_CRASH = /^@@.*\r?\n\\/m;

  it('malformed and mutated diffs (4000): never throws, every line has the numbers its kind needs', () => {
    fuzz(0xbad0d1ff, 4000, (rng, i) => {
      if (i % 10 === 0) return Array.from({ length: rng.int(40) }, () => rng.pick([...TEXT, '+', '-', '@@', 'diff --git', '\n'])).join(rng.pick(['', '\n', '\r\n']));
      const files = Array.from({ length: rng.int(4) }, () => randomFile(rng, false));
      const text = mutate(rng, files.flat()).join('\n');
      return rng.chance(0.2) ? text.slice(0, rng.int(text.length + 1)) : text;
    }, (input) => {
      if (!KNOWN_CRASH.test(input)) expectWellFormedDiff(parseDiff(input), false);
    });
  });

  // BUG: src/diff/parse.ts convertHunks() hands the hunk text to parse-diff, which throws
  // `TypeError: Cannot read properties of undefined (reading 'type')` when a hunk starts with a
  // `\ No newline at end of file` line (it looks back at a previous change that does not exist). git never
  // writes that, but a corrupted or hand-made diff makes `loom review` die with "unexpected failure" and a stack
  // trace. Fix: in convertHunks, drop a `\` line that does not follow a ' ', '+' or '-' line before calling
  // parseDiffLib (or catch its error and return the file without hunks plus a notice).
  it('a hunk starting with "\\ No newline at end of file" does not throw', () => {
    expect(() => parseDiff('diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n\\ No newline at end of file\n')).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------- configs

const KEYS = ['models', 'default', 'base_url', 'api_key_env', 'model', 'temperature', 'max_tokens', 'context_window', 'timeout_s', 'max_retries', 'fallback', 'headers', 'pipelines', 'name', 'prompt_file', 'template', 'severity', 'paths', 'instructions', 'enabled', 'triggers', 'branches', 'ignore_paths', 'max_changes', 'checks', 'secrets', 'fail_on', 'concurrency', 'skip_paths', 'limits', 'max_calls', 'cache', 'dir', 'guidelines', '__proto__', 'constructor', 'toString', 'unknwn', '<<'];
const VALUES = ['1', '-1', '0.5', '1e400', '.nan', '~', 'null', 'true', 'no', 'gpt-4o', 'blocker', 'review', 'http://127.0.0.1:1/v1', 'https://x', '"quoted"', "'single'", '"unterminated', '[]', '[a, b', '{}', '{a: 1', '&anchor x', '*anchor', '*missing', '!!binary aGk=', '!!str 1', '!custom x', '|', '>-', '"\\u0000"', '#comment', '- item', 'key: value', '/dev/zero', '../../../etc/passwd', '\t', '%', '@reserved', '`back`'];

function randomYaml(rng: Rng): string {
  const lines: string[] = [];
  if (rng.chance(0.1)) lines.push(rng.pick(['---', '%YAML 1.2\n---', '\ufeff', '...']));
  for (let n = rng.int(14); n > 0; n--) {
    const indent = ' '.repeat(rng.pick([0, 0, 2, 2, 4, 4, 6, 1, 3]));
    const dash = rng.chance(0.25) ? '- ' : '';
    const form = rng.int(5);
    if (form === 0) lines.push(`${indent}${dash}${rng.pick(KEYS)}:`);
    else if (form === 1) lines.push(`${indent}${dash}${rng.pick(KEYS)}: ${rng.pick(VALUES)}`);
    else if (form === 2) lines.push(`${indent}- ${rng.pick(VALUES)}`);
    else if (form === 3) lines.push(`${indent}${rng.pick(VALUES)}`);
    else lines.push(`${indent}${rng.pick(KEYS)}: [${rng.pick(VALUES)}, ${rng.pick(VALUES)}]`);
  }
  return lines.join(rng.chance(0.1) ? '\r\n' : '\n');
}

const VALID = `models:\n  default:\n    model: gpt-4o\n    fallback: [small]\n  small:\n    model: m\npipelines:\n  - name: review\n    template: review\n    paths: ["src/**"]\ntriggers:\n  ignore_paths: ["*.lock"]\nfail_on: blocker\n`;

const BOMBS = [
  // Billion laughs: each alias level multiplies the document.
  `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\npipelines: *f\n`,
  `${'['.repeat(3000)}${']'.repeat(3000)}`,
  `${'- '.repeat(2000)}x`,
  `models: &m\n  default: *m\n`,
  `pipelines:\n  - name: ${'x'.repeat(1_000_000)}\n`,
  `__proto__:\n  polluted: true\nconstructor:\n  prototype:\n    polluted: true\n`,
  `models:\n  default:\n    model: a\n  default:\n    model: b\n`,
  '\u0000\u0001\u0002',
];

describe('checkConfigText fuzz', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'loom-fuzz-config-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));
  const check = (text: string) => {
    const result = checkConfigText(text, { file: '.loom/config.yaml', cwd, env: {} });
    ok(Array.isArray(result.issues), () => 'issues is not an array');
    const lineCount = text.split('\n').length;
    for (const issue of result.issues) {
      ok(issue.severity === 'error' || issue.severity === 'warning', () => `severity ${issue.severity}`);
      ok(Number.isSafeInteger(issue.line) && issue.line >= 1 && issue.line <= lineCount + 1, () => `line ${issue.line} of ${lineCount}`);
      ok(Number.isSafeInteger(issue.col) && issue.col >= 1, () => `col ${issue.col}`);
      ok(typeof issue.message === 'string' && issue.message.trim() !== '', () => 'empty message');
    }
    ok((result.config !== undefined) === !result.issues.some((i) => i.severity === 'error'), () => 'config present with errors, or absent without');
    ok(({} as Record<string, unknown>).polluted === undefined, () => 'prototype polluted');
  };

  it('random YAML-ish text and mutated valid configs (2000): never throws, every issue located', () => {
    fuzz(0xc0f19, 2000, (rng, i) => {
      if (i % 3 !== 0) return randomYaml(rng);
      const chars = [...VALID];
      for (let n = rng.int(5) + 1; n > 0; n--) {
        const at = rng.int(chars.length + 1);
        if (rng.chance(0.5)) chars.splice(at, 1);
        else chars.splice(at, 0, rng.pick([' ', '\n', ':', '-', '[', '"', '\t', 'x', '#', '&', '*', '!']));
      }
      return chars.join('');
    }, check);
  });

  it('alias bombs, deep nesting, huge values, prototype keys and control characters: an issue or a config, never a throw', () => {
    for (const bomb of BOMBS) check(bomb);
    expect(checkConfigText(BOMBS[0]!, { file: 'c.yaml', cwd, env: {} }).config).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------- model answers

describe('parseFindingsReply: adversarial sizes (the JSON shapes are fuzzed in test/llm/reply-fuzz.test.ts)', () => {
  it('deep nesting, unbalanced brackets and long answers: an error or findings, never a throw', () => {
    const inputs = [
      '['.repeat(100_000),
      '{'.repeat(100_000),
      `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      `${'{"findings":'.repeat(5_000)}[]${'}'.repeat(5_000)}`,
      `[${'{"file":"a","line":1,"title":"t","body":"b"},'.repeat(20_000)}{}]`,
      `\`\`\`json\n${'x'.repeat(500_000)}`,
      '{"findings": [{"file": "a", "line": 1e999, "title": "t", "body": "b"}]}',
      '[{"file": "a", "line": 1, "title": "t", "body": "b", "__proto__": {"polluted": true}}]',
      '\u0000'.repeat(1000),
    ];
    for (const input of inputs) {
      const parsed = parseFindingsReply(input);
      if (parsed.ok) {
        for (const f of parsed.findings) expect(Number.isSafeInteger(f.line) && f.line > 0).toBe(true);
      } else {
        expect(typeof parsed.error).toBe('string');
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------- markdown

const MD = ['<', '>', '<!--', '-->', '<!-', '--', '`', '``', '```', '~~~', '\\', '\n', '\n\n', '    ', ' ', '|', '@user', '@org/team', '![x](http://e/p.png)', '[a](http://e)', 'http://e/x', 'www.e.com', '<https://e>', '<script>', '</details>', '<details>', '<img src=x>', '<a href=x>', '<!-- loom:fp=0123456789abcdef -->', '<!-- loom:summary -->', '[//]: # (loom:fp=0123456789abcdef)', '[//]: # (loom:summary)', 'loom:fp=', '&lt;', '&', '\u202e', '\u0000', '\r', '- ', '> ', '# ', 'text', '<<', '<!<!-- -->--', '<?php', '<![CDATA[', '</', 'é'];

/**
 * Text outside code spans, read like CommonMark: a backslash escape is literal text (and cannot open a span), a
 * backtick run opens a span closed by the next run of the same length, else it is literal.
 */
function outsideCode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\' && i + 1 < s.length && /[!-/:-@[-`{-~]/.test(s[i + 1]!)) {
      i += 2;
    } else if (s[i] === '`') {
      let run = 0;
      while (s[i + run] === '`') run++;
      const close = new RegExp(`(?<!\`)\`{${run}}(?!\`)`, 'g');
      close.lastIndex = i + run;
      const m = close.exec(s);
      i = m ? m.index + run : i + run;
    } else {
      out += s[i];
      i += 1;
    }
  }
  return out;
}

const CODE_RE = /^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^ {0,3}\1[`~]*[ \t]*$|(?![\s\S]))/gm;

describe('sanitizeMarkdownBody fuzz', () => {
  const random = (rng: Rng) => Array.from({ length: rng.int(30) }, () => rng.pick(MD)).join('');

  it('random markdown (5000): never an HTML comment or a loom marker, anywhere', () => {
    fuzz(0x5a17, 5000, random, (input) => {
      const out = sanitizeMarkdownBody(input);
      expect(typeof out).toBe('string');
      expect(out).not.toContain('<!--');
      expect(out).not.toMatch(/\[\/\/\]:\s*#\s*\(loom:/i);
      expect(out).not.toMatch(/[\u0000\u202e]/);
    });
  });

  it('random markdown without code (5000): every `<` is escaped, no image, no link, no live mention', () => {
    fuzz(0x5a18, 5000, (rng) => random(rng).replace(/[`~]/g, ''), (input) => {
      const out = sanitizeMarkdownBody(input);
      // `](` followed by a backtick is a destination like "`http://e`": a relative link, no other host.
      expect(out, 'an image').not.toMatch(/(?<!\\)!(?<!\\!)\[[^\]\n]*(?<!\\)\]\((?!`)/);
      expect(out, 'a link').not.toMatch(/(?<!\\)\[[^\]\n]*(?<!\\)\]\((?!`)/);
      // Autolinks and URLs become code spans: look outside those.
      const live = outsideCode(out);
      expect(live, 'a raw tag').not.toMatch(/<[A-Za-z/!?]/);
      // `\@name` and `_@name_` are the known bugs below; every other mention must be defused.
      expect(out.replace(/`[^`\n]*`/g, ''), 'a mention').not.toMatch(/(^|[^\w`\\])@[A-Za-z0-9]/);
    });
  });

  // Outputs where a URL turned into code right after a code span are the known bug below; left out here.
  const MERGED_RUNS = /`{2,}(?=(?:https?|ftp):\/\/|www\.)|(?:(?:https?|ftp):\/\/|www\.)[^\s`]*`{2,}/i;

  it('random markdown with code (5000): outside fences and code spans, no raw tag', () => {
    fuzz(0x5a19, 5000, random, (input) => {
      const out = sanitizeMarkdownBody(input);
      if (MERGED_RUNS.test(out)) return;
      expect(outsideCode(out.replace(CODE_RE, ''))).not.toMatch(/<(script|details|img|a |a>|\/details|!--|!\[CDATA|\?php)/i);
    });
  });

  // BUG: src/report/formats/markdown-body.ts neutraliseProse() keeps an accepted code span verbatim and then
  // turns a URL (or `<scheme:…>` autolink) that follows it into a code span of its own. Written back to back,
  // the span's closing run and the URL's opening backtick merge into one longer run ("```" + "`" = "````"), so by
  // CommonMark's rules the first span never closes and its content is live: `<img src=…>` inside it becomes a
  // real image (a tracking pixel to any host) on GitHub/GitLab. Fix: never emit a backtick right after a
  // backtick: put a space (or U+200B) between a code span and a URL turned into code, in neutraliseProse and
  // neutraliseText alike.
  it('a URL right after a code span cannot merge backtick runs and bring the span\'s HTML to life', () => {
    for (const input of ['``<img src="https://evil.example/p.png">``https://x.example/', 'a ```<b>x</b>```www.e.com', '<https://e.example>```<img src=x>```']) {
      expect(outsideCode(sanitizeMarkdownBody(input)), input).not.toMatch(/<(img|b)\b/);
    }
  });

  // BUG: src/report/formats/markdown-body.ts neutraliseProse() copies a backslash-escaped character pair
  // through untouched, so `\@octocat` bypasses the zero-width joiner that neutraliseText adds after `@`. The
  // backslash only changes how markdown renders; GitLab (gitlab-org/gitlab#16827) and GitHub look for mentions in
  // the rendered text, where it is a plain `@octocat`: the comment pings. Fix: in the escape branch, when the
  // escaped character is `@` emit `\@\u200d` (or let `@` fall through to neutraliseText).
  it('a backslash-escaped mention is defused too', () => {
    const out = sanitizeMarkdownBody('cc \\@octocat and \\@acme/security-team');
    expect(out.replace(/\\(?=@)/g, '')).not.toMatch(/(^|[^\w`])@[A-Za-z0-9]/);
  });

  // BUG: same file, neutraliseText(): the mention rule `(^|[^\w`])@` treats `_` as part of a word, so
  // `_@octocat_` keeps its `@`; rendered, the underscores become <em> and the text node is a plain `@octocat`,
  // which GitHub's and GitLab's mention filters ping. Fix: count `_` as a boundary: `(^|[^A-Za-z0-9`])@`.
  it('a mention inside _emphasis_ is defused too', () => {
    const out = sanitizeMarkdownBody('thanks _@octocat_ and __@acme/security-team__');
    expect(out).not.toMatch(/_@[A-Za-z0-9]/);
  });
});
