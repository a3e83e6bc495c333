import { readFile } from 'node:fs/promises';
import type { GptEncoding } from 'gpt-tokenizer/GptEncoding';
import { decodeBpeTable, mergedCount } from './bpe-table.ts';
import { countAscii, NOT_ASCII_TEXT, type AsciiPieceCounter } from './o200k-ascii.ts';
import { countUnicode, type UnicodePieceCounter } from './o200k-unicode.ts';
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

/** How an encoding counts one piece of its pre-split (tokenSplitRegex): 1 when the piece is a token, else its merge. */
interface PieceCounter {
  split: RegExp;
  countPiece(piece: string): number;
}

/**
 * Loads an encoding. Used by the main thread and by the counting worker. The built CLI reads the table the build
 * wrote next to its chunks (bpe-table.ts: a few ms); the TypeScript sources (tests) have none and import
 * gpt-tokenizer's own modules (~200 ms and 100+ MB), which count the same.
 */
export async function importEncoding(encoding: EncodingName): Promise<Encoding> {
  // Unreadable data is as good as none: the packaged encoding counts the same, only slower to load.
  const data = await readFile(new URL(bpeTableFile(encoding), import.meta.url)).catch(() => undefined);
  return data ? await encodingFromTable(encoding, data) : encodingOf(await importPackaged(encoding));
}

/** The file, in dist/ next to the chunks, that holds an encoding's table. */
export function bpeTableFile(encoding: EncodingName): string {
  return `${encoding}.bpe`;
}

/** The encoding whose table (bpe-table.ts) `data` holds, split as gpt-tokenizer splits it. */
export async function encodingFromTable(encoding: EncodingName, data: Uint8Array): Promise<Encoding> {
  const table = decodeBpeTable(data);
  // Names, identifiers and numbers repeat: a piece that needed merging is merged once.
  const merged = new Map<string, number>();
  const mergedOnce = (piece: string): number => {
    let count = merged.get(piece);
    if (count === undefined) {
      count = mergedCount(table, piece);
      if (merged.size >= MERGE_CACHE) merged.clear();
      merged.set(piece, count);
    }
    return count;
  };
  if (encoding !== 'o200k_base') {
    // cl100k: split by its regular expression.
    const { CL100K_TOKEN_SPLIT_REGEX } = await import('gpt-tokenizer/encodingParams/constants');
    const pieces: PieceCounter = { split: globalRegex(CL100K_TOKEN_SPLIT_REGEX), countPiece: (piece) => (table.rankOfText(piece) >= 0 ? 1 : mergedOnce(piece)) };
    const count: CountFn = (text) => countJoined(pieces, [text])[0]!;
    return { count, countMany: (texts, segments) => (segments && texts.length > 1 ? countJoined(pieces, texts) : Int32Array.from(texts, count)) };
  }
  // o200k: split by hand, ASCII text as bytes (o200k-ascii.ts), other text by code point (o200k-unicode.ts).
  const slowPiece: AsciiPieceCounter = (bytes, start, end, text) => (table.rankOfBytes(bytes, start, end) >= 0 ? 1 : mergedOnce(text.slice(start, end)));
  const asciiPiece = shortPieceCache(slowPiece);
  const unicodePiece: UnicodePieceCounter = (bytes, byteStart, byteEnd, text, start, end) =>
    table.rankOfBytes(bytes, byteStart, byteEnd) >= 0 ? 1 : mergedOnce(text.slice(start, end));
  const count: CountFn = (text) => {
    const ascii = countAscii(text, asciiPiece);
    return ascii !== NOT_ASCII_TEXT ? ascii : countUnicode(text, unicodePiece);
  };
  /**
   * A text of whole segments that is not all ASCII: its runs of ASCII lines counted as ASCII, each line with other
   * characters by code point. It may be cut at any line start, since every line starts a segment (a blank line
   * joins the one before): see units/exact.ts.
   */
  const countMixed = (text: string): number => {
    const other = /[^\x00-\x7f]/g;
    let tokens = 0;
    let from = 0;
    for (let hit = other.exec(text); hit; other.lastIndex = from, hit = other.exec(text)) {
      const start = Math.max(from, text.lastIndexOf('\n', hit.index) + 1);
      let end = text.indexOf('\n', hit.index) + 1 || text.length;
      while (text.charCodeAt(end) === NEWLINE) end++;
      if (start > from) tokens += countAscii(text.slice(from, start), asciiPiece);
      tokens += countUnicode(text.slice(start, end), unicodePiece);
      from = end;
    }
    return from < text.length ? tokens + countAscii(text.slice(from), asciiPiece) : tokens;
  };
  const countMany = (texts: readonly string[], segments: boolean): Int32Array => {
    // A plain loop: Int32Array.from with a mapping function went through the iterator protocol, a tenth of the
    // counting thread's time on a large diff (tens of thousands of lines counted one by one).
    const counts = new Int32Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]!;
      // Each segment is split as it would be alone (see units/exact.ts), so each is counted on its own; a whole
      // file's rendering with a few non-ASCII lines goes through the slower walk for those lines only.
      const ascii = countAscii(text, asciiPiece);
      counts[i] = ascii !== NOT_ASCII_TEXT ? ascii : segments && text.indexOf('\n') < text.length - 1 ? countMixed(text) : countUnicode(text, unicodePiece);
    }
    return counts;
  };
  return { count, countMany };
}

const MERGE_CACHE = 100_000;
const NEWLINE = 10;

/** Literal specifiers keep each encoding in its own chunk, so commands that never count tokens never load one. */
async function importPackaged(encoding: EncodingName): Promise<GptEncoding> {
  const mod = encoding === 'o200k_base' ? await import('gpt-tokenizer/encoding/o200k_base') : await import('gpt-tokenizer/encoding/cl100k_base');
  return mod.default;
}

/** What gpt-tokenizer's encoder does per pre-split piece (internals of gpt-tokenizer 4, pinned in package.json). */
interface GptPieceEncoder {
  tokenSplitRegex: RegExp;
  getBpeRankFromString(piece: string): number | undefined;
  bytePairEncode(piece: string): ArrayLike<number>;
}

function encodingOf(api: GptEncoding): Encoding {
  const count: CountFn = (text) => api.countTokens(text, AS_TEXT);
  const core = (api as unknown as { bytePairEncodingCoreProcessor?: Partial<GptPieceEncoder> }).bytePairEncodingCoreProcessor;
  const pieces: PieceCounter | undefined =
    core?.tokenSplitRegex instanceof RegExp && typeof core.getBpeRankFromString === 'function' && typeof core.bytePairEncode === 'function'
      ? { split: globalRegex(core.tokenSplitRegex), countPiece: (piece) => (core.getBpeRankFromString!(piece) !== undefined ? 1 : core.bytePairEncode!(piece).length) }
      : undefined;
  const one = (texts: readonly string[]) => Int32Array.from(texts, count);
  return {
    count,
    countMany: (texts, segments) => (segments && pieces && texts.length > 1 ? countJoined(pieces, texts) : one(texts)),
  };
}

function globalRegex(regex: RegExp): RegExp {
  return new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : `${regex.flags}g`);
}

/**
 * countTokens over the concatenation, as gpt-tokenizer counts with no special token allowed (every piece of the
 * pre-split is one token when it is in the vocabulary, else its byte-pair encoding), each piece credited to the
 * text it starts in.
 */
function countJoined(pieces: PieceCounter, texts: readonly string[]): Int32Array {
  const counts = new Int32Array(texts.length);
  let text = 0;
  let end = texts[0]!.length;
  for (const match of (texts.length === 1 ? texts[0]! : texts.join('')).matchAll(pieces.split)) {
    while (match.index >= end) end += texts[++text]!.length;
    counts[text] = counts[text]! + pieces.countPiece(match[0]);
  }
  return counts;
}

/** Slots of shortPieceCache: 16,384 x 12 bytes, small enough to stay in a core's cache. */
const SHORT_SLOTS = 1 << 14;
const SHORT_MAX = 8;

/**
 * `countPiece` with a cache in front for pieces of up to 8 bytes, most of a diff's pieces: a piece's bytes, packed
 * into two numbers, are its key. A lookup in the vocabulary's table reads three places in 4 MB of memory, each
 * most often a cache miss; the pieces of code repeat (indentation, keywords, punctuation), and their slots here stay
 * in the core's cache. A slot holds one piece; another piece with the same slot replaces it.
 */
function shortPieceCache(countPiece: AsciiPieceCounter): AsciiPieceCounter {
  const low = new Int32Array(SHORT_SLOTS);
  const high = new Int32Array(SHORT_SLOTS);
  /** length << 16 | count; 0 for an empty slot (a piece has at least one byte). */
  const meta = new Int32Array(SHORT_SLOTS);
  return (bytes, start, end, text) => {
    const length = end - start;
    if (length > SHORT_MAX) return countPiece(bytes, start, end, text);
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < length && i < 4; i++) lo |= bytes[start + i]! << (8 * i);
    for (let i = 4; i < length; i++) hi |= bytes[start + i]! << (8 * (i - 4));
    const slot = (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1) ^ length, 0x85ebca6b) >>> 18) & (SHORT_SLOTS - 1);
    const kept = meta[slot]!;
    if (kept >>> 16 === length && low[slot] === lo && high[slot] === hi) return kept & 0xffff;
    const count = countPiece(bytes, start, end, text);
    low[slot] = lo;
    high[slot] = hi;
    meta[slot] = (length << 16) | count;
    return count;
  };
}
