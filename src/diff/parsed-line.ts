import type { DiffLine } from './types.ts';

let nextId = 0;

/**
 * A line as the parser makes it: a DiffLine that also carries a number no other parsed line of this process has,
 * so a cache of per-line facts (a line's token count, units/line-counts.ts) can index an array with it instead of
 * hashing hundreds of thousands of line objects. The number is a private field: a copy made with `{ ...line }`
 * (a masked or re-marked line, whose count differs) has none and is cached by object, and deep comparisons and
 * JSON output see the four fields of any other DiffLine.
 */
export class ParsedLine implements DiffLine {
  kind: DiffLine['kind'];
  oldLine: number | undefined;
  newLine: number | undefined;
  text: string;
  readonly #id: number;

  constructor(kind: DiffLine['kind'], oldLine: number | undefined, newLine: number | undefined, text: string) {
    this.kind = kind;
    this.oldLine = oldLine;
    this.newLine = newLine;
    this.text = text;
    this.#id = nextId++;
  }

  /** The line's number if the parser made it, else undefined. */
  static idOf(line: DiffLine): number | undefined {
    return #id in line ? (line as ParsedLine).#id : undefined;
  }
}
