/**
 * Text made of `count` pieces, in a fixed pseudo-random order from `seed`: mostly fragments of a palette, and now
 * and then (`anyShare` of the time) any code point below `anyBelow`, so nothing is left out by the palette.
 */
export function generatedText(palette: readonly string[], seed: number, count: number, anyBelow: number, anyShare: number): string {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  let out = '';
  for (let i = 0; i < count; i++) {
    out += next() < anyShare ? String.fromCodePoint(Math.floor(next() * anyBelow)) : palette[Math.floor(next() * palette.length)]!;
  }
  return out;
}
