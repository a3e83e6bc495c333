import type { TokenCounter } from '../../src/tokens/counter.ts';

/**
 * A counter whose "tokens" are UTF-8 bytes: counts add up exactly over any split of a text, like the BPE encodings'
 * over a rendered diff's segments, and need no tokenizer. For planning tests that want a second counter with
 * other numbers than o200k's.
 */
export function byteCounter(): TokenCounter {
  const count = (text: string) => Buffer.byteLength(text, 'utf8');
  const countRaw = (texts: readonly string[]) => texts.map(count);
  const countRawAsync = async (texts: readonly string[]) => countRaw(texts);
  return { encoding: 'utf8-bytes', margin: 1, count, segments: { countRaw, countRawAsync, countApart: countRaw, countApartAsync: countRawAsync, total: (raw) => raw } };
}
