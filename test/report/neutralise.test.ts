import { describe, expect, it } from 'vitest';
import { neutraliseText, sanitizeMarkdownBody } from '../../src/report/formats/markdown-body.ts';

describe('neutraliseText (model prose)', () => {
  it('shows links and bare URLs as code and images as their alt text', () => {
    expect(neutraliseText('see [docs](https://evil.example/x?a=1 "t") and ![pixel](https://evil.example/p.png)')).toBe(
      'see docs (`https://evil.example/x?a=1`) and (image: pixel)',
    );
    expect(neutraliseText('go to https://evil.example/a or www.evil.example now')).toBe('go to `https://evil.example/a` or `www.evil.example` now');
  });

  it('breaks @mentions of people and teams but keeps e-mail addresses', () => {
    expect(neutraliseText('@alice and @org/team, mail a@b.com')).toBe('@\u200dalice and @\u200dorg/team, mail a@b.com');
  });

  it('defuses reference-style link definitions', () => {
    expect(neutraliseText('[x]: https://evil.example')).toBe('\\[x]: `https://evil.example`');
  });
});

describe('sanitizeMarkdownBody', () => {
  it('neutralises prose but leaves code spans and fences verbatim', () => {
    const out = sanitizeMarkdownBody('Ping @bob, see <https://evil.example>.\n\n```ts\n@Component() // https://x.example\n```\n`@Input()`');

    expect(out).toBe('Ping @\u200dbob, see `https://evil.example`.\n\n```ts\n@Component() // https://x.example\n```\n`@Input()`');
  });
});
