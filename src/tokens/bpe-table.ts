/**
 * An encoding's vocabulary as a ready-made hash table, so a counting thread can count as soon as it has read
 * one file: no JavaScript module to compile (gpt-tokenizer's tables are 2.4 MB of array literals) and no map of
 * 200,000 strings to build (another ~100 ms and ~50 MB).
 *
 * The build (tsup.config.ts) writes it from gpt-tokenizer's ranks; tests check that it counts exactly as
 * gpt-tokenizer does. Layout, little-endian, every section 4-byte aligned:
 *
 *   u32 MAGIC, u32 ranks, u32 slots (a power of two), u32 bytes of all tokens
 *   u32[ranks + 1]  where each rank's token starts in the token bytes (and where the last ends)
 *   i32[slots]      open addressing by FNV-1a of the token's UTF-8 bytes: rank + 1, or 0 for an empty slot
 *   u8[bytes]       every token's UTF-8 bytes (or raw bytes, for the few that are not UTF-8), in rank order
 */
export type Ranks = (string | number[])[];

const MAGIC = 0x316b746c; // "ltk1"
const HEADER_WORDS = 4;

export interface BpeTable {
  /** Rank of the token whose bytes are `bytes[start, end)`, or -1. */
  rankOfBytes(bytes: Uint8Array, start: number, end: number): number;
  /** Rank of the token that is exactly `text`, or -1. */
  rankOfText(text: string): number;
}

export function encodeBpeTable(ranks: Ranks): Buffer {
  const tokens = ranks.map((token, rank) => {
    if (token === undefined) throw new Error(`rank ${rank} is missing`);
    return typeof token === 'string' ? Buffer.from(token, 'utf8') : Buffer.from(token);
  });
  // A lone surrogate would be written as U+FFFD and no longer match its text.
  ranks.forEach((token, rank) => {
    if (typeof token === 'string' && tokens[rank]!.toString('utf8') !== token) throw new Error(`rank ${rank} is not well-formed UTF-16`);
  });
  let slots = 1;
  while (slots < ranks.length * 2) slots *= 2;
  const offsets = new Uint32Array(ranks.length + 1);
  tokens.forEach((bytes, rank) => (offsets[rank + 1] = offsets[rank]! + bytes.length));
  const blob = Buffer.concat(tokens);
  const table = new Int32Array(slots);
  tokens.forEach((bytes, rank) => {
    let slot = hashBytes(bytes, 0, bytes.length) & (slots - 1);
    while (table[slot] !== 0) slot = (slot + 1) & (slots - 1);
    table[slot] = rank + 1;
  });
  const header = new Uint32Array([MAGIC, ranks.length, slots, blob.length]);
  return Buffer.concat([u8(header), u8(offsets), u8(table), blob]);
}

export function decodeBpeTable(data: Uint8Array): BpeTable {
  // Typed arrays need aligned offsets; a buffer read from a file normally starts its own allocation.
  const buffer = data.byteOffset % 4 === 0 ? data : new Uint8Array(data);
  const header = new Uint32Array(buffer.buffer, buffer.byteOffset, HEADER_WORDS);
  const [magic, count, slots, size] = header as unknown as [number, number, number, number];
  let at = buffer.byteOffset + HEADER_WORDS * 4;
  if (magic !== MAGIC || buffer.byteLength !== HEADER_WORDS * 4 + (count + 1) * 4 + slots * 4 + size) throw new Error('tokenizer table is damaged');
  const offsets = new Uint32Array(buffer.buffer, at, count + 1);
  at += (count + 1) * 4;
  const table = new Int32Array(buffer.buffer, at, slots);
  at += slots * 4;
  const blob = new Uint8Array(buffer.buffer, at, size);
  const mask = slots - 1;
  let scratch = new Uint8Array(256);

  const rankOfBytes = (bytes: Uint8Array, start: number, end: number): number => {
    const length = end - start;
    for (let slot = hashBytes(bytes, start, end) & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!;
      if (entry === 0) return -1;
      const from = offsets[entry - 1]!;
      if (offsets[entry]! - from !== length) continue;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (blob[from + i] !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return entry - 1;
    }
  };

  // The probe of rankOfBytes again, comparing UTF-16 units with bytes (ASCII text, whose units are its bytes): a
  // piece cut by the regular expression (cl100k) is looked up with no copy of it.
  const probeAscii = (hash: number, text: string, start: number, length: number): number => {
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!;
      if (entry === 0) return -1;
      const from = offsets[entry - 1]!;
      if (offsets[entry]! - from !== length) continue;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (blob[from + i] !== text.charCodeAt(start + i)) {
          same = false;
          break;
        }
      }
      if (same) return entry - 1;
    }
  };

  const rankOfText = (text: string): number => {
    // Most pieces of code are ASCII: hashed as they are checked.
    let hash = FNV_OFFSET;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (unit > 0x7f) return rankOfBytes(...utf8(text));
      hash = Math.imul(hash ^ unit, FNV_PRIME);
    }
    return probeAscii(hash, text, 0, text.length);
  };

  const utf8 = (text: string): [Uint8Array, number, number] => {
    if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
    const { written } = ENCODER.encodeInto(text, scratch);
    return [scratch, 0, written];
  };

  return { rankOfBytes, rankOfText };
}

/**
 * Tokens of one piece of the pre-split (tiktoken's byte-pair merge): the piece itself when it is in the
 * vocabulary, else its UTF-8 bytes merged pair by pair, lowest rank first, until no adjacent pair is a token.
 */
export function countPiece(table: BpeTable, piece: string): number {
  return table.rankOfText(piece) >= 0 ? 1 : mergedCount(table, piece);
}

/**
 * Tokens of a piece that is not itself a token: its bytes merged as countPiece says. Works in place on buffers kept
 * between calls: a large diff has ten thousand such pieces (names, numbers), and a copy of each piece's bytes plus
 * two arrays spliced at every merge made this a fifth of the counting thread's first pass over it.
 */
export function mergedCount(table: BpeTable, piece: string): number {
  if (mergeBytes.length < piece.length * 3) mergeBytes = new Uint8Array(piece.length * 3);
  const bytes = mergeBytes;
  const length = ENCODER.encodeInto(piece, bytes).written;
  return length > LONG_PIECE_BYTES ? mergedCountLong(table, bytes, length) : mergedCountShort(table, bytes, length);
}

/**
 * Above this many bytes a piece is merged with a heap (mergedCountLong). Finding the lowest pair by scanning them
 * all is quicker for the short pieces code is made of, and quadratic: a line of 100,000 lowercase letters (one
 * piece) took 5 s to count, a megabyte-long one would take minutes.
 */
const LONG_PIECE_BYTES = 256;

function mergedCountShort(table: BpeTable, bytes: Uint8Array, length: number): number {
  if (mergeStarts.length <= length) {
    mergeStarts = new Int32Array(length + 1);
    mergeRanks = new Int32Array(length + 1);
  }
  // starts[i]: where part i begins (parts + 1 boundaries); ranks[i]: rank of parts i and i+1 together, NO_RANK
  // when that is not a token.
  const starts = mergeStarts;
  const ranks = mergeRanks;
  let parts = length;
  const pairRank = (i: number): number => {
    if (i + 1 >= parts) return NO_RANK;
    const rank = table.rankOfBytes(bytes, starts[i]!, starts[i + 2]!);
    return rank < 0 ? NO_RANK : rank;
  };
  for (let i = 0; i <= length; i++) starts[i] = i;
  for (let i = 0; i < parts - 1; i++) ranks[i] = pairRank(i);
  while (parts > 1) {
    let lowest = NO_RANK;
    let at = -1;
    for (let i = 0; i < parts - 1; i++) {
      if (ranks[i]! < lowest) {
        lowest = ranks[i]!;
        at = i;
      }
    }
    if (at < 0) break;
    // Parts `at` and `at + 1` become one: their boundary goes, and so does the rank of the pair it began.
    starts.copyWithin(at + 1, at + 2, parts + 1);
    ranks.copyWithin(at + 1, at + 2, parts - 1);
    parts--;
    ranks[at] = pairRank(at);
    if (at > 0) ranks[at - 1] = pairRank(at - 1);
  }
  return parts;
}

/**
 * mergedCountShort's merges in O(n log n): the parts are a linked list of their start offsets, and the pairs of
 * neighbours that are tokens wait in a heap ordered as the scan picks them (lowest rank, then leftmost). A merge
 * changes the pair it made and the one to its left: each part's stamp is bumped whenever the pair starting at it
 * changes or the part is merged away, and a heap entry with an older stamp is skipped when it comes out.
 */
function mergedCountLong(table: BpeTable, bytes: Uint8Array, length: number): number {
  const next = new Int32Array(length);
  const prev = new Int32Array(length);
  const stamp = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  // One entry per pair at the start, then up to two per merge, less those taken out: grown as needed.
  let heapRank = new Int32Array(length);
  let heapAt = new Int32Array(length);
  let heapStamp = new Int32Array(length);
  let size = 0;
  const grow = () => {
    const wider = (old: Int32Array) => {
      const array = new Int32Array(old.length * 2);
      array.set(old);
      return array;
    };
    heapRank = wider(heapRank);
    heapAt = wider(heapAt);
    heapStamp = wider(heapStamp);
  };
  const before = (a: number, b: number) => heapRank[a]! < heapRank[b]! || (heapRank[a] === heapRank[b] && heapAt[a]! < heapAt[b]!);
  const swap = (a: number, b: number) => {
    const rank = heapRank[a]!;
    const at = heapAt[a]!;
    const st = heapStamp[a]!;
    heapRank[a] = heapRank[b]!;
    heapAt[a] = heapAt[b]!;
    heapStamp[a] = heapStamp[b]!;
    heapRank[b] = rank;
    heapAt[b] = at;
    heapStamp[b] = st;
  };
  /** Adds the pair starting at part `at` if it is a token. */
  const offer = (at: number) => {
    const right = next[at]!;
    if (right >= length) return;
    const rank = table.rankOfBytes(bytes, at, next[right]!);
    if (rank < 0) return;
    if (size === heapRank.length) grow();
    let child = size++;
    heapRank[child] = rank;
    heapAt[child] = at;
    heapStamp[child] = stamp[at]!;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!before(child, parent)) break;
      swap(child, parent);
      child = parent;
    }
  };
  for (let i = 0; i < length - 1; i++) offer(i);
  let parts = length;
  while (size > 0) {
    const at = heapAt[0]!;
    const current = heapStamp[0] === stamp[at];
    swap(0, --size);
    for (let parent = 0; ; ) {
      const left = 2 * parent + 1;
      if (left >= size) break;
      const child = left + 1 < size && before(left + 1, left) ? left + 1 : left;
      if (!before(child, parent)) break;
      swap(child, parent);
      parent = child;
    }
    if (!current) continue;
    // Part `at` takes in the part after it.
    const gone = next[at]!;
    next[at] = next[gone]!;
    if (next[at]! < length) prev[next[at]!] = at;
    stamp[gone]!++;
    stamp[at]!++;
    parts--;
    const left = prev[at]!;
    if (left >= 0) {
      stamp[left]!++;
      offer(left);
    }
    offer(at);
  }
  return parts;
}

/** Above every rank: the pair is not a token. */
const NO_RANK = 0x7fffffff;
let mergeBytes = new Uint8Array(256);
let mergeStarts = new Int32Array(64);
let mergeRanks = new Int32Array(64);

const ENCODER = new TextEncoder();
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, FNV_PRIME);
  return hash;
}

function u8(array: Uint32Array | Int32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}
