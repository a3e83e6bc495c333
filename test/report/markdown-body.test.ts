import { describe, expect, it } from 'vitest';
import { sanitizeMarkdownBody } from '../../src/report/formats/markdown-body.ts';
import { codeSpan, fencedBlock, inlineText } from '../../src/report/formats/markdown-escape.ts';

describe('sanitizeMarkdownBody', () => {
  it('keeps ordinary markdown as it is', () => {
    const body = '**Why**: `x` may be `undefined`.\n\n- one\n- two\n\n> quote';
    expect(sanitizeMarkdownBody(body)).toBe(body);
    // Links are the exception: model-written links are shown, not made clickable.
    expect(sanitizeMarkdownBody('[docs](https://example.com)')).toBe('docs (`https://example.com`)');
  });

  it('removes HTML comments, including ones spliced together by a removal', () => {
    expect(sanitizeMarkdownBody('a <!-- loom:fp=forged --> b')).toBe('a  b');
    expect(sanitizeMarkdownBody('a <!<!-- x -->-- loom:fp=forged --> b')).toBe('a  b');
    expect(sanitizeMarkdownBody('unterminated <!-- loom:fp=x')).toBe('unterminated  loom:fp=x');
    expect(sanitizeMarkdownBody('```\n<!-- loom:fp=x -->\n```')).toBe('```\n\n```');
  });

  it('turns raw HTML outside code into text, and autolinks into code', () => {
    expect(sanitizeMarkdownBody('<details><summary>x</summary>\n</details>')).toBe(
      '&lt;details>&lt;summary>x&lt;/summary>\n&lt;/details>',
    );
    expect(sanitizeMarkdownBody('see <https://example.com/a?b=1>')).toBe('see `https://example.com/a?b=1`');
  });

  it('keeps code spans and fenced code verbatim', () => {
    expect(sanitizeMarkdownBody('Use `Map<string, number>` here')).toBe('Use `Map<string, number>` here');
    expect(sanitizeMarkdownBody('~~~html\n<div>\n~~~\nafter <b>')).toBe('~~~html\n<div>\n~~~\nafter &lt;b>');
  });

  it('escapes backticks that a renderer could pair differently, so no tag hides in a would-be span', () => {
    // A span may not cross lines (a block boundary may lie between), so the first backtick is escaped and the
    // renderer, like the sanitizer, pairs the next two: <x> is code for both.
    expect(sanitizeMarkdownBody('`a\nb` <x> `c`')).toBe('\\`a\nb` <x> `c\\`');
    // A table row splits cells before code spans are parsed.
    expect(sanitizeMarkdownBody('| `a | <x> | b` |')).toBe('| \\`a | &lt;x> | b\\` |');
    expect(sanitizeMarkdownBody('odd ` <x>')).toBe('odd \\` &lt;x>');
  });

  it('closes an unclosed fence and a fence that a less indented line may have ended', () => {
    expect(sanitizeMarkdownBody('```\ncode')).toBe('```\ncode\n```');
    expect(sanitizeMarkdownBody('- item\n  ```\n  code\n<details>\n  ```')).toBe(
      '- item\n  ```\n  code\n  ```\n&lt;details>\n  ```\n  ```',
    );
  });

  it('does not treat a deeply indented or backtick-info line as a fence', () => {
    expect(sanitizeMarkdownBody('    ```\n<b>')).toBe('    \\`\\`\\`\n&lt;b>');
    expect(sanitizeMarkdownBody('```a`b\n<b>')).toBe('\\`\\`\\`a\\`b\n&lt;b>');
  });
});

describe('inline escaping', () => {
  it('escapes markdown and HTML in plain text but keeps matched code spans', () => {
    expect(inlineText('Use `a|b` not <b>*x*</b> & [y]\n# z')).toBe('Use `a|b` not &lt;b&gt;\\*x\\*&lt;/b&gt; &amp; \\[y\\] \\# z');
    expect(inlineText('a|b `c|d`', { inTable: true })).toBe('a\\|b `c\\|d`');
  });

  it('wraps any text in a code span that its own backticks cannot close', () => {
    expect(codeSpan('src/a.ts')).toBe('`src/a.ts`');
    expect(codeSpan('we`ird.ts')).toBe('``we`ird.ts``');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
    expect(codeSpan('a\nb')).toBe('`a b`');
  });

  it('fences code with more backticks than it contains', () => {
    expect(fencedBlock('a\n````\nb\n\n', 'ts')).toBe('`````ts\na\n````\nb\n`````');
    expect(fencedBlock('x', 'not a language!')).toBe('```\nx\n```');
  });
});
