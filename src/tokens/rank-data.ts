import type { EncodingName } from './tokenizer-choice.ts';

/**
 * An encoding's mergeable ranks as gpt-tokenizer takes them: the token of each rank, as a string, or as its bytes
 * where they are not valid UTF-8 (e.g. `[161]`).
 */
export type Ranks = (string | number[])[];

/**
 * gpt-tokenizer ships its ranks as JavaScript array literals (2.4 MB for o200k_base) that V8 takes ~150 ms to
 * compile. The build (tsup.config.ts) writes them in this format instead, which decodes in ~30 ms (JSON: ~50 ms):
 *
 *   4 little-endian u32: the number of ranks, then the byte sizes of the three blobs below
 *   per rank, its kind (ASCII, TEXT or BYTES), then per rank its length (UTF-16 units, or bytes)
 *   blobs: the bytes of BYTES tokens, the ASCII tokens, the UTF-8 of the TEXT tokens, each in rank order
 *
 * ASCII tokens get a blob of their own so they decode to one-byte strings, as the tokenizer's input mostly is.
 */
const ASCII = 0;
const TEXT = 1;
const BYTES = 2;
const HEADER_BYTES = 16;

/** The file, in dist/ next to the chunks, that holds an encoding's ranks. */
export function rankDataFile(encoding: EncodingName): string {
  return `${encoding}.ranks`;
}

export function encodeRanks(ranks: Ranks): Buffer {
  const kinds = new Uint8Array(ranks.length);
  const lengths = new Uint8Array(ranks.length);
  const bytes: number[] = [];
  const ascii: string[] = [];
  const text: string[] = [];
  for (let rank = 0; rank < ranks.length; rank++) {
    const token = ranks[rank];
    // The length table has a byte per rank; gpt-tokenizer's longest token is 128 units.
    if (token === undefined || token.length > 255) throw new Error(`rank ${rank} cannot be stored`);
    lengths[rank] = token.length;
    if (typeof token !== 'string') {
      kinds[rank] = BYTES;
      bytes.push(...token);
    } else if (/^[\0-\x7f]*$/.test(token)) {
      ascii.push(token);
    } else {
      kinds[rank] = TEXT;
      text.push(token);
    }
  }
  const blobs = [Buffer.from(bytes), Buffer.from(ascii.join(''), 'latin1'), Buffer.from(text.join(''), 'utf8')] as const;
  // A lone surrogate would come back as U+FFFD, of another length.
  if (blobs[2].toString('utf8') !== text.join('')) throw new Error('a token is not well-formed UTF-16');
  const header = Buffer.alloc(HEADER_BYTES);
  [ranks.length, ...blobs.map((blob) => blob.length)].forEach((value, i) => header.writeUInt32LE(value, 4 * i));
  return Buffer.concat([header, kinds, lengths, ...blobs]);
}

export function decodeRanks(data: Buffer): Ranks {
  const count = data.readUInt32LE(0);
  let at = HEADER_BYTES;
  const take = (size: number) => [at, (at += size)] as const;
  const kinds = data.subarray(...take(count));
  const lengths = data.subarray(...take(count));
  const bytes = data.subarray(...take(data.readUInt32LE(4)));
  const ascii = data.toString('latin1', ...take(data.readUInt32LE(8)));
  const text = data.toString('utf8', ...take(data.readUInt32LE(12)));
  if (at !== data.length) throw new Error('rank data is damaged');
  // Sized up front: grown by push, the array made gpt-tokenizer's table build measurably slower.
  const ranks: Ranks = new Array(count);
  let inBytes = 0;
  let inAscii = 0;
  let inText = 0;
  for (let rank = 0; rank < count; rank++) {
    const length = lengths[rank]!;
    const kind = kinds[rank];
    if (kind === ASCII) ranks[rank] = ascii.slice(inAscii, (inAscii += length));
    else if (kind === TEXT) ranks[rank] = text.slice(inText, (inText += length));
    else ranks[rank] = Array.from(bytes.subarray(inBytes, (inBytes += length)));
  }
  return ranks;
}
