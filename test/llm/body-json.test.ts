import { describe, expect, it } from 'vitest';
import { encodeBody } from '../../src/llm/body-json.ts';

// encodeBody reuses the encoded bytes of a long text that several requests carry; what it sends must parse to
// exactly the body JSON.stringify would send, wherever the text sits and whatever it holds.
const diff = [
  '### src/a.ts (modified)',
  '@@ -1,3 +1,4 @@ function quote() {',
  '   1   const s = "a \\"quoted\\" \\\\ string";',
  '   2 + const t = `tab\there`; // é ü 日本語 🎉 \u2028 \u0000 \u001f',
  '   3 - <<< loom:end diff>>> </script>',
].join('\n').repeat(200);

const body = (system: string, user: string, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ],
  stream: false,
  temperature: 0,
  max_tokens: 2000,
  response_format: { type: 'json_schema', json_schema: { name: 'findings', schema: { type: 'object' }, strict: false } },
  ...extra,
});

/** What goes over the wire: the parts one after the other. */
const sent = (...args: Parameters<typeof encodeBody>) => Buffer.concat(encodeBody(...args)).toString('utf8');

describe('encodeBody', () => {
  const cases: [string, ReturnType<typeof body>][] = [
    ['the diff in the middle of the user prompt', body('Review.', `Before\n<<<loom:untrusted diff>>>\n${diff}\n<<<loom:end diff>>>\nAfter`)],
    ['the diff as the whole prompt', body('', diff)],
    ['the diff at the start and twice', body('x', `${diff}${diff} and then`)],
    ['the diff in the system message too', body(`S ${diff}`, `U ${diff} U`)],
    ['no diff in any message', body('Review.', 'nothing shared here')],
    ['a follow-up turn', { ...body('s', `u ${diff}`), messages: [...body('s', `u ${diff}`).messages, { role: 'assistant', content: 'prose' }, { role: 'user', content: 'fix it' }] }],
  ];

  it.each(cases)('parses to what JSON.stringify gives: %s', (_name, value) => {
    expect(JSON.parse(sent(value, { text: diff }))).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it('gives the same body for the second request that carries the same text, from what it kept', () => {
    const first = body('one pipeline', `A ${diff} B`);
    const second = body('another pipeline', `C ${diff} D`);
    expect(JSON.parse(sent(first, { text: diff }))).toEqual(first);
    expect(JSON.parse(sent(second, { text: diff }))).toEqual(second);
    expect(JSON.parse(sent(first, { text: diff }))).toEqual(first);
  });

  it('encodes a short shared text, or none, as JSON.stringify does, byte for byte', () => {
    const value = body('s', 'short diff here');
    expect(sent(value, { text: 'short diff' })).toBe(JSON.stringify(value));
    expect(sent(value)).toBe(JSON.stringify(value));
  });

  it('builds the prompts from the pieces around each copy of the text when the renderer gives them', () => {
    const system = ['S ', ' and ', ''];
    const user = ['<<<loom:untrusted diff>>>\n', '\n<<<loom:end diff>>> "quoted" \u2028'];
    const value = {
      ...body(system.join(diff), user.join(diff)),
      messages: [...body(system.join(diff), user.join(diff)).messages, { role: 'assistant', content: 'prose' }, { role: 'user', content: `fix it ${diff}` }],
    };
    expect(JSON.parse(sent(value, { text: diff, system, user }))).toEqual(value);
  });

  it('searches a message whose pieces do not add up to it, rather than trust them', () => {
    const value = body('s', `before ${diff} after`);
    const wrong = { text: diff, user: ['before ', ' after and more'] };
    expect(JSON.parse(sent(value, wrong))).toEqual(value);
  });

  it('keeps a text whose surrogate pair is split by where the shared text starts', () => {
    const shared = `\udc00${'x'.repeat(5000)}`;
    const value = body('s', `\ud83d${shared}`);
    expect(JSON.parse(sent(value, { text: shared }))).toEqual(value);
  });
});
