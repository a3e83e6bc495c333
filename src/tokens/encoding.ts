import { readFile } from 'node:fs/promises';
import type { GptEncoding } from 'gpt-tokenizer/GptEncoding';
import { decodeRanks, rankDataFile } from './rank-data.ts';
import type { EncodingName } from './tokenizer-choice.ts';

/** Counts tokens of plain text with one encoding. */
export type CountFn = (text: string) => number;

/** An encoding's counts: of one text, and of many. */
export interface Encoding {
  count: CountFn;
  /**
   * Counts of many texts. With `segments`, the texts are segments of a rendered diff (see units/exact.ts: each
   * ends with a newline, and no piece of the tokenizer's pre-split crosses from one into the next), so they are
   * counted in one pass over their concatenation, each piece to the text it starts in: the same counts, without
   * the per-call cost of counting thousands of short lines one by one.
   */
  countMany(texts: readonly string[], segments: boolean): Int32Array;
}

// Code under review may contain `<|endoftext|>` and friends: they are text to the model, never control tokens,
// and gpt-tokenizer would throw on them by default.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** What gpt-tokenizer's encoder does per pre-split piece (internals of gpt-tokenizer 4, pinned in package.json). */
interface PieceEncoder {
  tokenSplitRegex: RegExp;
  getBpeRankFromString(piece: string): number | undefined;
  bytePairEncode(piece: string): ArrayLike<number>;
}

/**
 * Loads an encoding (about 100 ms and 100+ MB of tables). Used by the main thread and by the counting worker.
 * The built CLI reads the ranks the build wrote next to its chunks (rank-data.ts); the TypeScript sources (tests)
 * have none and import gpt-tokenizer's own modules, which give the same encoding.
 */
export async function importEncoding(encoding: EncodingName): Promise<Encoding> {
  // Unreadable data is as good as none: the packaged encoding counts the same, only slower to load.
  const data = await readFile(new URL(rankDataFile(encoding), import.meta.url)).catch(() => undefined);
  return data ? encodingFromRankData(encoding, data) : encodingOf(await importPackaged(encoding));
}

/** What every encoding read from rank data is built with; a counting thread started early imports it while it waits. */
const importGptEncoding = () => import('gpt-tokenizer/GptEncoding');

/** The encoding whose ranks `data` holds, in rank-data.ts's format. */
export async function encodingFromRankData(encoding: EncodingName, data: Buffer): Promise<Encoding> {
  const { GptEncoding } = await importGptEncoding();
  const ranks = decodeRanks(data);
  return encodingOf(GptEncoding.getEncodingApi(encoding, () => ranks));
}

/** Literal specifiers keep each encoding in its own chunk, so commands that never count tokens never load one. */
async function importPackaged(encoding: EncodingName): Promise<GptEncoding> {
  const mod = encoding === 'o200k_base' ? await import('gpt-tokenizer/encoding/o200k_base') : await import('gpt-tokenizer/encoding/cl100k_base');
  return mod.default;
}

function encodingOf(api: GptEncoding): Encoding {
  const count: CountFn = (text) => api.countTokens(text, AS_TEXT);
  const core = (api as unknown as { bytePairEncodingCoreProcessor?: Partial<PieceEncoder> }).bytePairEncodingCoreProcessor;
  const pieces =
    core?.tokenSplitRegex instanceof RegExp && typeof core.getBpeRankFromString === 'function' && typeof core.bytePairEncode === 'function'
      ? (core as PieceEncoder)
      : undefined;
  const one = (texts: readonly string[]) => Int32Array.from(texts, count);
  return {
    count,
    countMany: (texts, segments) => (segments && pieces && texts.length > 1 ? countJoined(pieces, texts) : one(texts)),
  };
}

/**
 * countTokens over the concatenation, as gpt-tokenizer counts with no special token allowed (every piece of the
 * pre-split is one token when it is in the vocabulary, else its byte-pair encoding), each piece credited to the
 * text it starts in.
 */
function countJoined(encoder: PieceEncoder, texts: readonly string[]): Int32Array {
  const counts = new Int32Array(texts.length);
  const split = new RegExp(encoder.tokenSplitRegex.source, encoder.tokenSplitRegex.flags.includes('g') ? encoder.tokenSplitRegex.flags : `${encoder.tokenSplitRegex.flags}g`);
  let text = 0;
  let end = texts[0]!.length;
  for (const match of texts.join('').matchAll(split)) {
    while (match.index >= end) end += texts[++text]!.length;
    const piece = match[0];
    counts[text] = counts[text]! + (encoder.getBpeRankFromString(piece) !== undefined ? 1 : encoder.bytePairEncode(piece).length);
  }
  return counts;
}
