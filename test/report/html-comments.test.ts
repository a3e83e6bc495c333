import { describe, expect, it } from 'vitest';
import { removeHtmlComments, removeLoomMarkers } from '../../src/report/formats/html-comments.ts';

describe('removeHtmlComments', () => {
  it('removes every comment, spliced ones and unclosed openers too', () => {
    expect(removeHtmlComments('a <!-- x --> b <!<!-- -->-- loom:fp=abc --> c <!-- open')).toBe('a  b  c  open');
  });
});

describe('removeLoomMarkers', () => {
  it("removes loom's markers, spliced ones too, and keeps every other comment of the code", () => {
    const code = 'a <!-- keep --> b <!<!-- loom:x -->-- loom:fp=cafe --> c [//]: # (loom:fp=ab) d <!--   loom:summary --> e <!-- open';
    expect(removeLoomMarkers(code)).toBe('a <!-- keep --> b  c  d  e <!-- open');
    expect(removeLoomMarkers('x [//]: # (LOOM:fp=ab) y')).toBe('x  y');
  });

  it('keeps text with many openers before one distant close whole (one pass, no rescans)', () => {
    const text = `${'<!-- a '.repeat(20_000)}-->${' <!--'.repeat(20_000)}`;
    expect(removeLoomMarkers(text)).toBe(text);
    expect(removeLoomMarkers(`<!-- ${' '.repeat(100)}loom:fp=ab -->`)).toBe(`<!-- ${' '.repeat(100)}loom:fp=ab -->`);
  });
});
