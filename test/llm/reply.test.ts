import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FINDINGS_JSON_SCHEMA, parseFindingsReply } from '../../src/llm/reply.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/llm/${name}`, import.meta.url), 'utf8');

describe('parseFindingsReply: where the JSON is', () => {
  it('reads a bare array', () => {
    expect(parseFindingsReply('[{"file": "a.ts", "line": 1, "title": "T", "body": "B"}]')).toEqual({
      ok: true,
      findings: [{ file: 'a.ts', line: 1, side: 'new', title: 'T', body: 'B' }],
      dropped: [],
    });
  });

  it('reads a ```json fence inside prose', () => {
    expect(parseFindingsReply(fixture('fenced.md'))).toEqual({
      ok: true,
      findings: [
        {
          file: 'src/db.ts',
          line: 42,
          endLine: 44,
          side: 'new',
          severity: 'blocker',
          title: 'SQL built from user input',
          body: 'The query concatenates `req.query.id`; use a parameterised query.',
          suggestion: "const rows = await db.query('SELECT * FROM users WHERE id = $1', [id]);",
        },
      ],
      dropped: [],
    });
  });

  it('reads a plain ``` fence', () => {
    const parsed = parseFindingsReply('```\n{"findings": [{"file": "a", "line": 2, "title": "t", "body": "b"}]}\n```');
    expect(parsed).toEqual({ ok: true, findings: [{ file: 'a', line: 2, side: 'new', title: 't', body: 'b' }], dropped: [] });
  });

  it('finds the JSON array in prose that has other brackets, with path/message aliases and a string line', () => {
    expect(parseFindingsReply(fixture('prose-wrapped.txt'))).toEqual({
      ok: true,
      findings: [
        {
          file: 'lib/cache.py',
          line: 17,
          side: 'new',
          severity: 'warning',
          title: 'The cache never expires entries.',
          body: 'The cache never expires entries. Memory grows without bound under load.',
        },
      ],
      dropped: [],
    });
  });

  it.each(['findings', 'results', 'issues', 'comments', 'Findings'])('reads {"%s": [...]}', (key) => {
    const parsed = parseFindingsReply(JSON.stringify({ [key]: [{ file: 'a', line: 1, title: 't', body: 'b' }] }));
    expect(parsed).toEqual({ ok: true, findings: [{ file: 'a', line: 1, side: 'new', title: 't', body: 'b' }], dropped: [] });
  });

  it('reads a lone finding object', () => {
    expect(parseFindingsReply('{"file": "a", "line": 3, "title": "t", "body": "b"}')).toEqual({
      ok: true,
      findings: [{ file: 'a', line: 3, side: 'new', title: 't', body: 'b' }],
      dropped: [],
    });
  });

  it('forgives trailing commas', () => {
    expect(parseFindingsReply(fixture('trailing-comma.txt'))).toEqual({
      ok: true,
      findings: [{ file: 'x.go', line: 5, side: 'new', title: 'Unchecked error', body: 'err is ignored' }],
      dropped: [],
    });
  });

  it('keeps brackets inside JSON strings out of the balancing', () => {
    const text = 'Found: [{"file": "a.ts", "line": 1, "title": "Index [0] } unchecked", "body": "arr[0] with \\"]\\" inside"}] done';
    expect(parseFindingsReply(text)).toEqual({
      ok: true,
      findings: [{ file: 'a.ts', line: 1, side: 'new', title: 'Index [0] } unchecked', body: 'arr[0] with "]" inside' }],
      dropped: [],
    });
  });

  it('skips a JSON-looking region that is not findings and takes the next one', () => {
    const text = 'Config {"strict": true} is fine. Findings: [{"file": "a", "line": 9, "title": "t", "body": "b"}]';
    expect(parseFindingsReply(text)).toEqual({ ok: true, findings: [{ file: 'a', line: 9, side: 'new', title: 't', body: 'b' }], dropped: [] });
  });
});

describe('parseFindingsReply: an answer cut off at max_tokens', () => {
  const a = { file: 'a.ts', line: 1, title: 'A', body: 'first [x] {y}' };
  const b = { file: 'a.ts', line: 5, title: 'B', body: 'second' };
  const parsed = (items: object[]) => ({ ok: true, findings: items.map((i) => ({ side: 'new', ...i })), dropped: [] });
  const whole = JSON.stringify([a, b, { file: 'a.ts', line: 9, title: 'C', body: 'third' }]);

  it.each([
    ['inside the third finding', whole.slice(0, whole.indexOf('"third"'))],
    ['just after the second', whole.slice(0, whole.lastIndexOf('},') + 2)],
    ['inside a key of the third', whole.slice(0, whole.lastIndexOf('{"') + 4)],
    ['after prose', `Here are the findings:\n${whole.slice(0, whole.indexOf('"third"'))}`],
    ['in the {"findings": [...]} form', JSON.stringify({ findings: [a, b, { file: 'a.ts', line: 9, title: 'C', body: 'third' }] }).slice(0, -20)],
  ])('keeps every finding it finished, %s', (_, text) => {
    expect(parseFindingsReply(text)).toEqual(parsed([a, b]));
  });

  it('never keeps the half-written finding, even when an array or object inside it was closed', () => {
    const cut = `[${JSON.stringify(a)},{"file":"a.ts","line":2,"title":"half","tags":["x"],"meta":{"k":1},"body":"cut her`;
    expect(parseFindingsReply(cut)).toEqual(parsed([a]));
  });

  it('finds nothing in an answer cut inside its first finding', () => {
    expect(parseFindingsReply(whole.slice(0, 20))).toEqual({ ok: false, error: 'the answer contains no JSON' });
  });
});

describe('parseFindingsReply: nothing found', () => {
  it.each(['[]', ' [ ] ', '```json\n[]\n```', '{"findings": []}', 'No issues found.\n\n[]', '{"results": []}'])('%j is ok with no findings', (text) => {
    expect(parseFindingsReply(text)).toEqual({ ok: true, findings: [], dropped: [] });
  });

  it.each([
    ['', 'the answer was empty'],
    ['   \n ', 'the answer was empty'],
    ['No issues found.', 'the answer contains no JSON'],
    ['LGTM', 'the answer contains no JSON'],
    ['The code at arr[0] looks fine.', 'the answer contains no JSON'],
    ['[{"file": "a", "line": 1, "title": "cut off', 'the answer contains no JSON'],
    ['{"summary": "all good"}', 'the JSON in the answer is not a list of findings (expected [...] or {"findings": [...]})'],
    ['["no issues"]', 'the JSON in the answer is not a list of findings (expected [...] or {"findings": [...]})'],
    ['{"findings": null}', 'the JSON in the answer is not a list of findings (expected [...] or {"findings": [...]})'],
  ])('%j is an error', (text, error) => {
    expect(parseFindingsReply(text)).toEqual({ ok: false, error });
  });
});

describe('parseFindingsReply: normalising items', () => {
  it('maps aliases, ranges, sides and severities, and drops invalid items with reasons', () => {
    expect(parseFindingsReply(fixture('aliases.json'))).toEqual({
      ok: true,
      findings: [
        { file: 'src/a.ts', line: 42, endLine: 44, side: 'new', severity: 'blocker', title: 'Off-by-one in the loop bound.', body: 'Off-by-one in the loop bound.' },
        { file: 'src/a.ts', line: 7, side: 'old', severity: 'info', title: 'Removed guard', body: 'The null check that was removed here is still needed.' },
        { file: 'src/b.ts', line: 3, endLine: 5, side: 'old', severity: 'warning', title: 'Dead code left behind', body: 'b' },
        { file: 'src/c.ts', line: 9, side: 'new', title: 'Unknown severity', body: 'c' },
        { file: 'src/d.ts', line: 12, endLine: 14, side: 'new', severity: 'info', title: 'Range with L prefix', body: 'd', suggestion: 'const x = 1;' },
        { file: 'src/f.ts', line: 11, side: 'new', title: 'End before start', body: 'f' },
      ],
      dropped: [
        'finding 6: no "file"',
        'finding 7 (src/e.ts): no valid "line" (got nothing)',
        'finding 8 (src/e.ts): no valid "line" (got 0)',
        'finding 9 (src/e.ts): no valid "line" (got -3)',
        'finding 10 (src/e.ts): no valid "line" (got 2.5)',
        'finding 11 (src/e.ts:8): no "title" or "body"',
        'finding 12: not an object',
      ],
    });
  });

  it.each([
    ['critical', 'blocker'], ['HIGH', 'blocker'], ['error', 'blocker'], ['blocker', 'blocker'],
    ['medium', 'warning'], ['Major', 'warning'], ['warning', 'warning'],
    ['low', 'info'], ['minor', 'info'], ['nit', 'info'], ['note', 'info'], ['info', 'info'],
  ])('severity %s → %s', (given, expected) => {
    const parsed = parseFindingsReply(JSON.stringify([{ file: 'a', line: 1, title: 't', body: 'b', severity: given }]));
    expect(parsed.ok && parsed.findings[0]!.severity).toBe(expected);
  });

  it.each(['constructor', '__proto__', 'toString', 'bogus', ''])('unknown severity %j is left for the pipeline default', (given) => {
    const parsed = parseFindingsReply(JSON.stringify([{ file: 'a', line: 1, title: 't', body: 'b', severity: given }]));
    expect(parsed).toEqual({ ok: true, findings: [{ file: 'a', line: 1, side: 'new', title: 't', body: 'b' }], dropped: [] });
  });

  it.each([
    ['old', 'old'], ['LEFT', 'old'], ['deleted', 'old'], ['new', 'new'], ['RIGHT', 'new'], ['sideways', 'new'], [3, 'new'],
  ])('side %j → %s', (given, expected) => {
    const parsed = parseFindingsReply(JSON.stringify([{ file: 'a', line: 1, title: 't', body: 'b', side: given }]));
    expect(parsed.ok && parsed.findings[0]!.side).toBe(expected);
  });

  it('titles a finding without one from the first sentence of its body, at most 80 characters', () => {
    const long = 'x'.repeat(120);
    const parsed = parseFindingsReply(
      JSON.stringify([
        { file: 'a', line: 1, body: '## Null dereference! The value can be null here.' },
        { file: 'a', line: 2, body: long },
        { file: 'a', line: 3, body: 'First line without a stop\nsecond line' },
      ]),
    );
    expect(parsed.ok && parsed.findings.map((f) => f.title)).toEqual(['Null dereference!', `${'x'.repeat(79)}…`, 'First line without a stop']);
  });

  it('reads end_line and endLine, and ignores one that is not after line', () => {
    const parsed = parseFindingsReply(
      JSON.stringify([
        { file: 'a', line: 1, end_line: 3, title: 't', body: 'b' },
        { file: 'a', line: 1, endLine: '4', title: 't', body: 'b' },
        { file: 'a', line: 5, end_line: 5, title: 't', body: 'b' },
        { file: 'a', line: '5-9', end_line: 7, title: 't', body: 'b' },
      ]),
    );
    expect(parsed.ok && parsed.findings.map((f) => f.endLine)).toEqual([3, 4, undefined, 7]);
  });
});

describe('FINDINGS_JSON_SCHEMA', () => {
  it('asks for an object with a findings array carrying the contract fields', () => {
    const findings = (FINDINGS_JSON_SCHEMA as { properties: { findings: { items: { properties: object; required: string[] } } } }).properties.findings;
    expect(FINDINGS_JSON_SCHEMA['type']).toBe('object');
    expect(Object.keys(findings.items.properties)).toEqual(['file', 'line', 'end_line', 'side', 'severity', 'title', 'body', 'suggestion']);
    expect(findings.items.required).toEqual(['file', 'line', 'title', 'body']);
  });
});

describe('parseFindingsReply: an empty list in the prose', () => {
  it('does not hide the findings after it', () => {
    const text = 'When nothing is wrong the helper returns [] as expected. But: [{"file": "a", "line": 4, "title": "t", "body": "b"}]';
    expect(parseFindingsReply(text)).toEqual({ ok: true, findings: [{ file: 'a', line: 4, side: 'new', title: 't', body: 'b' }], dropped: [] });
  });
});
