import { describe, expect, it } from 'vitest';
import type { FileDiff } from '../../src/diff/types.ts';
import { DATA_URL_KEPT_CHARS, dataUrlMarker, shortenDataUrls } from '../../src/review/data-urls.ts';
import { fileDiff } from '../helpers/file-diff.ts';

const base64 = (chars: number) => 'QmFzZTY0IHBheWxvYWQ/'.repeat(Math.ceil(chars / 20)).slice(0, chars);
const linesOf = (file: FileDiff) => file.hunks.flatMap((h) => h.lines);

describe('shortenDataUrls', () => {
  it('replaces a long inline source map payload by a marker with its length, in changed and context lines alike', () => {
    const payload = `${base64(30_001)}=`;
    const file = fileDiff('esm/inject.mjs', [
      {
        oldStart: 10,
        newStart: 10,
        lines: [' export const a = 1;', '-export const inject = 1;', '+export const inject = 2;', `-//# sourceMappingURL=data:application/json;charset=utf-8;base64,${payload}`, `+//# sourceMappingURL=data:application/json;base64,${payload}`],
      },
      { oldStart: 40, newStart: 40, lines: [` const icon = "data:image/png;base64,${base64(5_000)}";`, '+icon();'] },
    ]);

    const { files, shortened } = shortenDataUrls([file]);

    expect(shortened).toBe(3);
    const [out] = files;
    expect(linesOf(out!).map((l) => l.text)).toEqual([
      'export const a = 1;',
      'export const inject = 1;',
      'export const inject = 2;',
      `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${dataUrlMarker(30_002)}`,
      `//# sourceMappingURL=data:application/json;base64,${dataUrlMarker(30_002)}`,
      `const icon = "data:image/png;base64,${dataUrlMarker(5_000)}";`,
      'icon();',
    ]);
    // The same kind and numbers; lines without one are the same objects.
    expect(linesOf(out!).map((l) => [l.kind, l.oldLine, l.newLine])).toEqual(linesOf(file).map((l) => [l.kind, l.oldLine, l.newLine]));
    expect(linesOf(out!).filter((l, i) => l === linesOf(file)[i])).toHaveLength(4);
    expect(out!.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual(file.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]));
  });

  it('shortens each long data URL of a line and keeps short ones; leaves other base64 and files without any as they are', () => {
    const small = base64(DATA_URL_KEPT_CHARS);
    const css = `@font-face { src: url(data:font/woff2;base64,${base64(9_000)}) } .a { background: url("data:image/svg+xml;base64,${small}") } .b { background: url(data:image/gif;base64,${base64(201)}) }`;
    const key = `const blob = "${base64(2_000)}"; // data:text/plain,hello`;
    const file = fileDiff('web/site.css', [{ oldStart: 1, newStart: 1, lines: [`+${css}`, `+${key}`] }]);
    const plain = fileDiff('src/a.ts', [{ oldStart: 1, newStart: 1, lines: ['+const a = 1;'] }]);

    const { files, shortened } = shortenDataUrls([file, plain]);

    expect(shortened).toBe(2);
    expect(linesOf(files[0]!)[0]!.text).toBe(
      `@font-face { src: url(data:font/woff2;base64,${dataUrlMarker(9_000)}) } .a { background: url("data:image/svg+xml;base64,${small}") } .b { background: url(data:image/gif;base64,${dataUrlMarker(201)}) }`,
    );
    expect(linesOf(files[0]!)[1]).toBe(linesOf(file)[1]);
    expect(files[1]).toBe(plain);
  });

  it('reads a hostile line once: many data URL heads with no payload after them', () => {
    const hostile = `${'data:a/b;c=d;'.repeat(20_000)}base64,${'data:x/y;base64,'.repeat(20_000)}`;
    const file = fileDiff('x.js', [{ oldStart: 1, newStart: 1, lines: [`+${hostile}`] }]);
    const started = performance.now();
    const { shortened } = shortenDataUrls([file]);
    expect(shortened).toBe(0);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
