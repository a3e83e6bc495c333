import { ParsedLine } from '../diff/parsed-line.ts';
import type { DiffLine } from '../diff/types.ts';

/** Ids per block: a block is allocated when the first line of its range is stored. */
const BLOCK_BITS = 12;
const BLOCK_SIZE = 1 << BLOCK_BITS;

/**
 * A count per diff line. Parsed lines are kept in blocks of an Int32Array indexed by their number (ParsedLine):
 * a Map of ~190,000 line objects, the lines of a 7.6 MB pull request, took ~20 ms of the main thread to fill and
 * 8 MB of garbage to grow. Other lines (copies, lines made by hand) are kept in a Map.
 */
export class LineCounts {
  /** Count + 1 by id, 0 for none; blocks for ranges of ids that held no stored line are absent. */
  private readonly blocks: (Int32Array | undefined)[] = [];
  private readonly byObject = new Map<DiffLine, number>();

  get(line: DiffLine): number | undefined {
    const id = ParsedLine.idOf(line);
    if (id === undefined) return this.byObject.get(line);
    const stored = this.blocks[id >>> BLOCK_BITS]?.[id & (BLOCK_SIZE - 1)];
    return stored ? stored - 1 : undefined;
  }

  has(line: DiffLine): boolean {
    return this.get(line) !== undefined;
  }

  /** `count` is a whole number >= 0. */
  set(line: DiffLine, count: number): void {
    const id = ParsedLine.idOf(line);
    if (id === undefined) {
      this.byObject.set(line, count);
      return;
    }
    const block = (this.blocks[id >>> BLOCK_BITS] ??= new Int32Array(BLOCK_SIZE));
    block[id & (BLOCK_SIZE - 1)] = count + 1;
  }
}
