import type { DiffLine, FileDiff, Hunk } from '../diff/types.ts';
import { hunkHeaderLine, numberWidthOf, renderDiff } from '../prompts/render-diff.ts';
import type { TokenCounter } from '../tokens/counter.ts';
import { objectArray } from '../diff/object-array.ts';
import { fileWith, hunkWith } from './copy.ts';
import type { UnitFile } from './types.ts';

/**
 * Token prices for packing. With a counter whose counts add up over segments (the real encodings), they are exact
 * (units/exact.ts). Otherwise diff lines are estimated by a tokens-per-character ratio calibrated on this diff,
 * and each finished unit is checked against its real rendering.
 */
export interface Estimator {
  /** Estimated tokens per unit of `weight`, measured on a sample of this diff. */
  readonly ratio: number;
  /** Exact: the file's header and trailer as renderDiff prints them, with no hunks. */
  fileHeader(file: FileDiff): number;
  /** Exact: the whole rendering of one file, e.g. a deleted file shown as a summary. */
  rendered(file: UnitFile): number;
  /** Exact: a hunk's `@@` line. */
  hunkHeader(hunk: Hunk): number;
  /** One diff line as renderDiff prints it (`number marker text`) in a file whose numbers are `width` digits wide. */
  line(line: DiffLine, width: number): number;
}

/**
 * Characters, with non-ASCII ones counted three times: tokenizers spend about one token per CJK character or
 * accented letter, where ASCII code averages three to four characters per token.
 */
export function weight(text: string): number {
  let w = text.length;
  if (!NON_ASCII.test(text)) return w;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) w += 2;
  return w;
}
const NON_ASCII = /[^\x00-\x7f]/;

/** Used when there is nothing to sample; high, so packing errs towards smaller units. */
const FALLBACK_RATIO = 0.4;
/** Estimates lean this much above the sample, so a unit packed to the brim rarely needs re-cutting. */
const RATIO_HEADROOM = 1.02;
const SAMPLE_WINDOWS = 64;
const SAMPLE_WINDOW_LINES = 48;

/**
 * Measures tokens per weight on SAMPLE_WINDOWS runs of lines spread evenly over the diff's lines (so a single huge
 * file is sampled all along, and many small files are sampled across), rendered as the model will see them.
 */
export function calibrate(files: readonly FileDiff[], counter: TokenCounter): number {
  let total = 0;
  for (const file of files) for (const hunk of file.hunks) total += hunk.lines.length;
  if (total === 0) return FALLBACK_RATIO;
  const stride = Math.max(SAMPLE_WINDOW_LINES, Math.floor(total / SAMPLE_WINDOWS));
  let tokens = 0;
  let weights = 0;
  let seen = 0;
  let next = 0;
  for (const file of files) {
    for (const hunk of file.hunks) {
      const end = seen + hunk.lines.length;
      while (next < end) {
        const from = next - seen;
        const lines = hunk.lines.slice(from, from + SAMPLE_WINDOW_LINES);
        // Headers are priced apart (from the rendering itself), so the ratio is that of the lines alone.
        const text = renderDiff([fileWith(file, { hunks: [hunkWith(hunk, { lines })] })]);
        const headers = renderDiff([fileWith(file, { hunks: [hunkWith(hunk, { lines: objectArray<DiffLine>() })] })]);
        tokens += counter.count(text) - counter.count(headers);
        weights += weight(text) - weight(headers);
        next += stride;
      }
      seen = end;
    }
  }
  return weights > 0 ? (tokens / weights) * RATIO_HEADROOM : FALLBACK_RATIO;
}

/** Headers and summaries are short: they are counted exactly; only diff lines are estimated. */
export function createEstimator(ratio: number, counter: TokenCounter): Estimator {
  return {
    ratio,
    fileHeader: (file) => counter.count(renderDiff([fileWith(file, { hunks: objectArray<Hunk>() })])),
    rendered: (file) => counter.count(renderDiff([file])),
    hunkHeader: (hunk) => counter.count(`${hunkHeaderLine(hunk)}\n`),
    // number (padded), space, marker, space, text, newline
    line: (line, width) => (width + 4 + weight(line.text)) * ratio,
  };
}

/** Digits of the largest line number renderDiff prints for these hunks (it pads every number to this width). */
export function numberWidth(hunks: readonly Hunk[]): number {
  return numberWidthOf(hunks);
}
