import type { DiffLine, FileDiff, Hunk } from '../diff/types.ts';
import {
  deletedFileLine,
  diffLineText,
  fileHeaderLine,
  hunkHeaderLine,
  hunkHeaderTail,
  lineNumberWidth,
  markedSpace,
  NO_NEWLINE_LINE,
  onlyRemovals,
  printedNumber,
  removedHunkLine,
  renderDiff,
} from '../prompts/render-diff.ts';
import type { SegmentCounter } from '../tokens/counter.ts';
import { fileWith, hunkWith, mapPacked } from './copy.ts';
import type { Estimator } from './estimate.ts';
import { LineCounts } from './line-counts.ts';
import type { UnitFile } from './types.ts';

/**
 * What a step of a cut (units/split-file.ts) needs counted before it can go on: the segments of these renderings
 * (with `separators`, also what the blank line after each adds; with `ahead`, these lines too, likely needed next);
 * with `cut`, a file's lines as priced for cutting; with `lines`, the same for its lines up to the one at index
 * `through` (counting over all its hunks; -1 for none, just the file header), so a file counted in slices (see
 * prefetchAsync) is cut as its slices come in.
 */
export type CountNeed = { files: readonly UnitFile[]; separators?: boolean; ahead?: readonly DiffLine[] } | { cut: UnitFile } | { lines: UnitFile; through: number };

/** The segment of a rendering that marks a missing final newline (made once: it is looked up per file). */
const NO_NEWLINE_SEGMENT = `${NO_NEWLINE_LINE}\n`;

/** Characters of text per request when counting ahead (see prefetchAsync). */
const CHUNK_CHARS = 64 * 1024;
/** Characters per request for a file counted line by line in slices: the cut waits for one slice at a time. */
const SLICE_CHARS = 32 * 1024;

/** A file prefetchAsync counts line by line in requests of its own, each lines [start, end) of it. */
interface Slices {
  ends: number[];
  requests: Promise<void>[];
  answered: boolean[];
  /** The first slice not answered: lines before ends[done - 1] are counted. A failed slice stays unanswered. */
  done: number;
}

/**
 * Exact token counts of renderDiff output, from counts of its segments: no unit is ever rendered and counted
 * whole, and each line of the diff is counted once (a file that fits a unit, once as a whole).
 *
 * Why the counts add up. renderDiff's output is a sequence of segments, each one printed line plus its newline
 * (the blank line after a file joins the segment before it). Every segment starts with `#`, `@`, `(`, `…` or a
 * line number right-aligned with spaces. The BPE encodings (o200k, cl100k) first cut text into pieces with a
 * regular expression and encode each piece on its own, so a count adds up over two texts whenever no piece of
 * their concatenation spans the join. A piece that reaches a newline ends there unless more newlines, `\r` or
 * (o200k, after punctuation) `/` follow, or whitespace that itself runs into a newline: the next segment starts
 * with none of these. Letter, number and punctuation pieces never contain a newline, and the start of the next
 * segment is the start of a piece, so it is cut exactly as it would be alone. UTF-8 byte counts add up anyway.
 *
 * A diff line splits the same way once more, after its number: digits are pieces of one to three, taken from the
 * left, and the space after them starts a new piece; the spaces before them are cut (a run before a digit leaves
 * its last space on its own) whatever follows the number. So a line costs what its number costs at the width it
 * is printed at, plus what the rest (` + text` and the newline) costs: the rest is counted once per line, and a
 * number's cost is worked out from counts of every one-to-three-digit group and of each run of padding. A file
 * cut into pieces printed at different widths costs no recount.
 *
 * A hunk header splits the same way: `@@`, ` -`, the digit groups of each number, `,` and ` +` are pieces of their
 * own, and what follows the last number (` @@`, the section and the newline) starts with a space after a digit, so
 * it starts a piece too. A header costs those fixed pieces, counted once, plus its numbers' digit groups, plus its
 * tail, counted once per section: the runs of a hunk cut into many are priced without counting their headers.
 * test/units/exact.test.ts checks the sums against whole renderings, with awkward text on both sides of every join.
 */
export class ExactCosts {
  /** Raw counts of short texts: headers, markers, the end of a last segment (separatorEnd) with and without a blank line. */
  private readonly texts = new Map<string, number>();
  /** Raw counts of each line's rendering after its number: ` + text` and the newline (see restText), by line. */
  private readonly rests = new LineCounts();
  /**
   * Raw counts of digit groups (see groupSlot), of padding before a digit and of a hunk header's fixed pieces,
   * counted once (see numberTables).
   */
  private numbers: NumberTables | undefined;
  /** Raw counts of what a line without a number prints in its place, by width (see unnumbered). */
  private readonly unnumbered = new Map<number, number>();
  /** Raw counts of whole renderings (`renderDiff([file])`), by the UnitFile object. */
  private readonly wholes = new WeakMap<UnitFile, number>();
  /** Raw counts of hunks as rendered at a width (see hunkSum), by the hunk object. */
  private readonly hunkSums = new WeakMap<UnitFile['hunks'][number], { width: number; raw: number }>();
  private readonly wholeOf = new WeakMap<FileDiff, UnitFile>();
  private readonly separators = new WeakMap<UnitFile, number>();
  /** Files prefetchAsync was given, each with its request (the last of its slices, for a file counted in slices). */
  private readonly pending = new WeakMap<FileDiff, Promise<void>>();
  private readonly slices = new WeakMap<FileDiff, Slices>();
  private readonly deleteOnly = new WeakMap<Hunk, boolean>();
  /** The latest two counting requests of prefetchAsync, over all its calls. */
  private recent: Promise<void>[] = [];
  private readonly counter: SegmentCounter;

  constructor(counter: SegmentCounter) {
    this.counter = counter;
    // Every plan with exact costs needs these, first when its first lines are stored: asked for now, they are in
    // by then, instead of this thread waiting on the counting thread for them (7 ms on the 20,000-line file).
    counter.countApartAsync(numberTexts()).then(
      (counts) => void (this.numbers ??= numberTables(counts)),
      () => undefined,
    );
  }

  /** The largest raw count whose total (margin applied) is within `tokens`. */
  rawBudget(tokens: number): number {
    const { total } = this.counter;
    let raw = Math.max(0, Math.floor(tokens));
    // Margins are >= 1, so the answer is at most `tokens`; step down past rounding.
    while (raw > 0 && total(raw) > tokens) raw = Math.min(raw - 1, Math.floor(raw / (total(raw) / raw)));
    while (total(raw + 1) <= tokens) raw++;
    return raw;
  }

  total(raw: number): number {
    return this.counter.total(raw);
  }

  /**
   * A file as it goes to a unit when it fits whole: a deleted file as its one-line summary; otherwise removed-only
   * hunks collapsed to a marker. The same object each time, so its prefetched count is found again.
   */
  whole(file: FileDiff): UnitFile {
    let whole = this.wholeOf.get(file);
    if (!whole) {
      whole =
        isDeletedFile(file)
          ? fileWith(file, { collapsed: true, hunks: mapPacked(file.hunks, (h) => hunkWith(h, { collapsed: true })) })
          : fileWith(file, { collapsed: false, hunks: mapPacked(file.hunks, (h) => (isDeleteOnly(h) ? hunkWith(h, { collapsed: true }) : h)) });
      this.wholeOf.set(file, whole);
    }
    return whole;
  }

  /** Counts what a step of a cut needs (see CountNeed) in one request, blocking this thread meanwhile. */
  satisfy(need: CountNeed): void {
    const batch = this.batchFor(need);
    if ('files' in need) this.addLines(need.ahead ?? [], batch);
    this.run(batch);
  }

  /** satisfy without blocking: the counting thread counts while this one goes on. */
  async satisfyAsync(need: CountNeed): Promise<void> {
    // Lines of a file counted in slices are already asked for: wait for their slices rather than count them again.
    if ('lines' in need) await this.slicesThrough(need.lines, need.through);
    // Lines needed next are asked for now and not waited for: counted by the time they are needed, most often.
    if ('files' in need && need.ahead) {
      const ahead = new Batch();
      this.addLines(need.ahead, ahead);
      if (ahead.texts.length > 0) void this.counter.countRawAsync(ahead.texts).then((counts) => this.store(ahead, counts), () => undefined);
    }
    const batch = this.batchFor(need);
    if (batch.texts.length > 0) this.store(batch, await this.counter.countRawAsync(batch.texts));
  }

  private batchFor(need: CountNeed): Batch {
    const batch = new Batch();
    if ('cut' in need) this.cutBatch(need.cut, batch);
    // Waited for, a file's slices are in; should lines still be missing (a slice not yet answered when counting
    // blocks), the rest of the file is counted at once.
    else if ('lines' in need) {
      if (this.countedLines(need.lines) <= need.through) this.cutBatch(need.lines, batch, Math.max(0, need.through));
    }
    else {
      for (const file of need.files) {
        if (!this.wholes.has(file) && !file.binary && !file.modeOnly) {
          // Most pieces are made of lines counted already: summed now, they are not looked up again.
          const raw = this.sum(file);
          if (raw !== undefined) this.wholes.set(file, raw);
          else this.missing(file, batch);
        }
        if (need.separators && !this.separators.has(file)) this.missingSeparator(file, batch);
      }
    }
    return batch;
  }

  /**
   * Adds what cutting `file` into pieces will ask for: every line (after its number, which is priced from the
   * number tables at whatever width a piece prints it), hunk header tails (the rest of a header is priced from the
   * tables, so the runs of a cut hunk need no count of their own), removed-hunk markers, and each hunk's last line
   * with and without a blank line after it. With a range, only what lines [from, to) ask for (counting over all
   * hunks): the file header with the first, a hunk's header and marker with its first line, its last segments with
   * its last.
   */
  private cutBatch(file: UnitFile, batch: Batch, from = 0, to = Infinity): void {
    const want = (text: string) => {
      if (!this.texts.has(text)) batch.add(text);
    };
    if (from === 0) {
      want(`${fileHeaderLine(file)}\n`);
      // Asked for every file ('' costs nothing and is counted once): a call only a file without a final newline
      // made had no type feedback when V8 optimized this, and the first such file threw that code away.
      want(file.noNewlineAtEof ? NO_NEWLINE_SEGMENT : '');
    }
    let at = 0;
    for (const hunk of file.hunks) {
      const first = at;
      at += hunk.lines.length;
      if (at <= from && hunk.lines.length > 0) continue;
      if (first >= to) break;
      const removedOnly = this.removedOnly(hunk);
      if (first >= from) {
        want(`${hunkHeaderTail(hunk)}\n`);
        if (removedOnly) want(`${removedHunkLine(hunk)}\n`);
      }
      // A hunk that only removes is shown as its marker: its lines are counted only if a cut ever shows them (`line`
      // counts a line it is asked for). The long removals of a rewritten bundle are most of its lines.
      if (removedOnly) {
        if (at <= to && !file.noNewlineAtEof) this.addSeparatorEnd(`${removedHunkLine(hunk)}\n`, batch);
        continue;
      }
      for (let i = Math.max(0, from - first); i < hunk.lines.length && first + i < to; i++) {
        const line = hunk.lines[i]!;
        if (!this.rests.has(line)) batch.add(restText(line), line, true);
      }
      const last = hunk.lines.at(-1);
      if (last && at <= to && !file.noNewlineAtEof) this.addSeparatorEnd(`${diffLineText(last, lineWidth(last))}\n`, batch);
    }
  }

  /** isDeleteOnly, kept per hunk: a hunk in many slices is asked once per slice, and may be long. */
  private removedOnly(hunk: Hunk): boolean {
    let removed = this.deleteOnly.get(hunk);
    if (removed === undefined) this.deleteOnly.set(hunk, (removed = isDeleteOnly(hunk)));
    return removed;
  }

  /**
   * Counts, in one request, what planning `files` will ask for first: each file that will likely fit a unit (see
   * likelyFits) as one whole rendering, each other line by line, as for a cut (cutBatch). `budget` is in raw tokens.
   */
  prefetch(files: readonly FileDiff[], budget: number): void {
    const batch = new Batch();
    for (const file of files) this.addFile(file, budget, batch);
    this.run(batch);
  }

  /**
   * `prefetch` without blocking this thread, in requests of about CHUNK_CHARS, in the order given, two in flight:
   * the counting thread starts at once, each request is rendered only when the one two before it is answered, so
   * neither thread holds more than a few requests' texts at a time. A file too big for a unit is counted in slices
   * of its lines (SLICE_CHARS), asked for together, so it can be cut as they come in (`lines` needs, `ready`).
   * Files already given are left out. Settles (it never rejects) when every request has; `counted(file)` says when
   * all of one file's requests have, and rejects if one failed.
   */
  prefetchAsync(files: readonly FileDiff[], budget: number): Promise<void> {
    // Each request: files counted together, or the slices of the lines of one file too big for a unit.
    const chunks: (FileDiff[] | { file: FileDiff; slices: [number, number][] })[] = [];
    let chunk: FileDiff[] = [];
    let chars = 0;
    const close = () => {
      if (chunk.length > 0) chunks.push(chunk);
      chunk = [];
      chars = 0;
    };
    for (const file of files) {
      if (this.pending.has(file)) continue;
      if (!countedWhole(file, budget) && fileChars(file) > SLICE_CHARS) {
        close();
        chunks.push({ file, slices: sliceLines(file) });
        continue;
      }
      chunk.push(file);
      chars += fileChars(file);
      if (chars >= CHUNK_CHARS) close();
    }
    close();
    const requests: Promise<void>[] = [];
    const request = (batch: Batch) => (batch.texts.length > 0 ? this.counter.countRawAsync(batch.texts, true).then((counts) => this.store(batch, counts)) : Promise.resolve());
    for (const members of chunks) {
      // Two requests in flight, counting those of earlier calls (a streamed diff asks batch by batch). A file's
      // slices go out together, as one request would: the counting thread must not wait for this thread, busy
      // cutting the file and sending its first units, to ask for the next slice.
      const before = this.recent.at(-2);
      const after = before ? before.catch(() => undefined) : Promise.resolve();
      let counted: Promise<void>;
      if (Array.isArray(members)) {
        counted = after.then(() => {
          const batch = new Batch();
          for (const file of members) this.addFile(file, budget, batch);
          return request(batch);
        });
        for (const file of members) this.pending.set(file, counted);
      } else {
        const { file, slices } = members;
        const posted = after.then(() =>
          slices.map(([from, to]) => {
            const batch = new Batch();
            this.cutBatch(file, batch, from, to);
            return request(batch);
          }),
        );
        slices.forEach(([, to], i) => this.addSlice(file, to, posted.then((each) => each[i])));
        counted = posted.then((each) => Promise.all(each)).then(() => undefined);
        this.pending.set(file, counted);
      }
      // Whoever plans the file sees a failure (counted); nobody waiting must not crash the process.
      counted.catch(() => undefined);
      requests.push(counted);
      this.recent = [this.recent.at(-1) ?? Promise.resolve(), counted];
    }
    return Promise.allSettled(requests).then(() => undefined);
  }

  private addSlice(file: FileDiff, end: number, request: Promise<void>): void {
    let slices = this.slices.get(file);
    if (!slices) this.slices.set(file, (slices = { ends: [], requests: [], answered: [], done: 0 }));
    const index = slices.ends.length;
    slices.ends.push(end);
    slices.requests.push(request);
    slices.answered.push(false);
    void request.then(
      () => {
        slices.answered[index] = true;
        while (slices.answered[slices.done]) slices.done++;
      },
      () => undefined,
    );
  }

  /** Settles once what prefetchAsync counts for `file` is counted (at once for a file it was not given). */
  counted(file: FileDiff): Promise<void> {
    return this.pending.get(file) ?? Promise.resolve();
  }

  /** Settles once `file` can be planned: a file counted in slices once its first slice is in, any other once counted. */
  ready(file: FileDiff): Promise<void> {
    return this.slices.get(file)?.requests[0] ?? this.counted(file);
  }

  /** Whether prefetchAsync counts `file`'s lines in slices: its cut then waits for lines as it reaches them (`lines`). */
  sliced(file: FileDiff): boolean {
    return this.slices.has(file);
  }

  /** How many of `file`'s first lines (over all hunks) are counted; all of them for a file not counted in slices. */
  countedLines(file: FileDiff): number {
    const slices = this.slices.get(file);
    return !slices ? Infinity : slices.done === slices.ends.length ? Infinity : slices.done === 0 ? 0 : slices.ends[slices.done - 1]!;
  }

  /** Whether a line's count is in (after its number: see the class comment). */
  hasLine(line: DiffLine): boolean {
    return this.rests.has(line);
  }

  /** Settles once the slices holding `file`'s lines up to index `through` are counted (rejects if one failed). */
  private async slicesThrough(file: FileDiff, through: number): Promise<void> {
    const slices = this.slices.get(file);
    if (!slices) return;
    let last = slices.ends.findIndex((end) => end > through);
    if (last < 0) last = slices.ends.length - 1;
    await Promise.all(slices.requests.slice(0, last + 1));
  }

  private addFile(file: FileDiff, budget: number, batch: Batch): void {
    if (countedWhole(file, budget)) {
      const whole = this.whole(file);
      if (!this.wholes.has(whole)) batch.add(renderDiff([whole]), whole);
      this.missingSeparator(whole, batch);
    } else this.cutBatch(file, batch);
  }

  /**
   * The raw count of a file's lines as priced for cutting (cutBatch: each at its own lineWidth), when all are
   * counted: close to what the file costs whole, without counting its lines again at the file's width.
   */
  pricedLines(file: UnitFile): number | undefined {
    let raw = 0;
    for (const hunk of file.hunks) {
      for (const line of hunk.lines) {
        const rest = this.rests.get(line);
        if (rest === undefined) return undefined;
        raw += rest + this.numberCost(line, lineWidth(line));
      }
    }
    return raw;
  }

  /** Raw count of `renderDiff([file])`. Kept per UnitFile object: a piece is measured when cut and when packed. */
  file(file: UnitFile): number {
    const cached = this.wholes.get(file);
    if (cached !== undefined) return cached;
    if (file.binary || file.modeOnly) return this.text(fileHeaderLine(file));
    let raw = this.sum(file);
    if (raw === undefined) {
      this.ensure(file);
      raw = this.sum(file)!;
    }
    this.wholes.set(file, raw);
    return raw;
  }

  /** The sum of a rendering's segment counts, or undefined when one of them is not counted yet. */
  private sum(file: UnitFile): number | undefined {
    const known = (text: string) => this.texts.get(text);
    let raw = known(`${fileHeaderLine(file)}\n`);
    if (raw === undefined) return undefined;
    if (file.collapsed) {
      const summary = known(`${deletedFileLine(file)}\n`);
      return summary === undefined ? undefined : raw + summary;
    }
    if (file.noNewlineAtEof) {
      const marker = known(NO_NEWLINE_SEGMENT);
      if (marker === undefined) return undefined;
      raw += marker;
    }
    const width = lineNumberWidth(file);
    for (const hunk of file.hunks) {
      const part = this.hunkSum(hunk, width);
      if (part === undefined) return undefined;
      raw += part;
    }
    return raw;
  }

  /**
   * A hunk's share of a rendering at `width`, kept per hunk object: a run of a cut hunk is measured alone, then as
   * its piece, then in its unit, all with the same hunk object and mostly at the same width.
   */
  private hunkSum(hunk: UnitFile['hunks'][number], width: number): number | undefined {
    const kept = this.hunkSums.get(hunk);
    if (kept?.width === width) return kept.raw;
    let raw = this.headerCost(hunk, this.texts.get(`${hunkHeaderTail(hunk)}\n`));
    if (raw === undefined) return undefined;
    if (hunk.collapsed) {
      const marker = this.texts.get(`${removedHunkLine(hunk)}\n`);
      if (marker === undefined) return undefined;
      raw += marker;
    } else {
      for (const line of hunk.lines) {
        const rest = this.rests.get(line);
        if (rest === undefined) return undefined;
        raw += rest + this.numberCost(line, width);
      }
    }
    this.hunkSums.set(hunk, { width, raw });
    return raw;
  }

  /** Raw count of a hunk's share of a rendering whose numbers are `width` digits wide (its segments counted already). */
  hunk(hunk: UnitFile['hunks'][number], width: number): number {
    const raw = this.hunkSum(hunk, width);
    if (raw === undefined) throw new Error('a hunk was priced before its lines were counted');
    return raw;
  }

  /** Raw count of `renderDiff(files)`. */
  files(files: readonly UnitFile[]): number {
    let raw = 0;
    for (let i = 0; i < files.length; i++) {
      raw += this.file(files[i]!);
      if (i < files.length - 1) raw += this.separator(files[i]!);
    }
    return raw;
  }

  /**
   * What the blank line after a file adds when another file follows: the file's last segment counted with and
   * without it (it can merge with that segment's last piece, e.g. `;\n\n`). 0 for binary or mode-only files,
   * which renderDiff prints without a blank line (and planning never puts in a unit).
   */
  separator(file: UnitFile): number {
    let raw = this.separators.get(file);
    if (raw === undefined) {
      raw = this.measureSeparator(file);
      this.separators.set(file, raw);
    }
    return raw;
  }

  private measureSeparator(file: UnitFile): number {
    const batch = new Batch();
    const end = this.missingSeparator(file, batch);
    if (end === undefined) return file.binary || file.modeOnly ? this.text(`${fileHeaderLine(file)}\n`) - this.text(fileHeaderLine(file)) : 0;
    this.run(batch);
    return this.texts.get(`${end}\n`)! - this.texts.get(end)!;
  }

  /** Header and, when the file has one, the no-newline marker: what every piece of the file prints besides hunks. */
  fileHeader(file: UnitFile): number {
    return this.text(`${fileHeaderLine(file)}\n`) + (file.noNewlineAtEof && !file.collapsed ? this.text(NO_NEWLINE_SEGMENT) : 0);
  }

  hunkHeader(hunk: Parameters<typeof hunkHeaderLine>[0]): number {
    return this.headerCost(hunk, this.text(`${hunkHeaderTail(hunk)}\n`))!;
  }

  /** A hunk header's raw count, given its tail's (see the class comment); undefined while the tail is not counted. */
  private headerCost(hunk: Parameters<typeof hunkHeaderLine>[0], tail: number | undefined): number | undefined {
    if (tail === undefined) return undefined;
    const tables = this.numberTables();
    return tail + tables.header + digitsCost(hunk.oldStart, tables) + digitsCost(hunk.oldLines, tables) + digitsCost(hunk.newStart, tables) + digitsCost(hunk.newLines, tables);
  }

  line(line: DiffLine, width: number): number {
    let rest = this.rests.get(line);
    if (rest === undefined) {
      const batch = new Batch();
      batch.add(restText(line), line, true);
      this.run(batch);
      rest = this.rests.get(line)!;
    }
    return rest + this.numberCost(line, width);
  }

  /** Counted on first use, each text on its own (they are not segments): 1,128 short texts, once. */
  private numberTables(): NumberTables {
    return (this.numbers ??= numberTables(this.counter.countApart(numberTexts())));
  }

  /** What a line's number costs printed at `width` (see the class comment). */
  private numberCost(line: DiffLine, width: number): number {
    const number = printedNumber(line);
    if (number === undefined) {
      let raw = this.unnumbered.get(width);
      if (raw === undefined) this.unnumbered.set(width, (raw = this.counter.countApart([unnumbered(width)])[0]!));
      return raw;
    }
    const tables = this.numberTables();
    return tables.pads[Math.min(Math.max(0, width - digitCount(number)), MAX_PAD)]! + digitsCost(number, tables);
  }

  /** The Estimator the splitter prices with: exact raw counts. */
  estimator(): Estimator {
    return {
      ratio: 1,
      fileHeader: (file) => this.fileHeader(file),
      rendered: (file) => this.file(file),
      hunkHeader: (hunk) => this.hunkHeader(hunk),
      line: (line, width) => this.line(line, width),
    };
  }

  /** Counts every segment of `file` not known yet, in one request. */
  private ensure(file: UnitFile): void {
    const batch = new Batch();
    this.missing(file, batch);
    this.run(batch);
  }

  private text(text: string): number {
    let raw = this.texts.get(text);
    if (raw === undefined) {
      raw = this.counter.countRaw([text])[0]!;
      this.texts.set(text, raw);
    }
    return raw;
  }

  /** Adds the segments of `file` that have no count yet to `batch`. */
  private missing(file: UnitFile, batch: Batch): void {
    const want = (text: string) => {
      if (!this.texts.has(text)) batch.add(text);
    };
    want(`${fileHeaderLine(file)}\n`);
    if (file.binary || file.modeOnly) return;
    if (file.collapsed) return want(`${deletedFileLine(file)}\n`);
    want(file.noNewlineAtEof ? NO_NEWLINE_SEGMENT : ''); // as in cutBatch
    for (const hunk of file.hunks) {
      want(`${hunkHeaderTail(hunk)}\n`);
      if (hunk.collapsed) {
        want(`${removedHunkLine(hunk)}\n`);
        continue;
      }
      this.addLines(hunk.lines, batch);
    }
  }

  private addLines(lines: readonly DiffLine[], batch: Batch): void {
    for (const line of lines) if (!this.rests.has(line)) batch.add(restText(line), line, true);
  }

  /** Adds what pricing the blank line after `file` needs to `batch`; returns its last segment's end (separatorEnd). */
  private missingSeparator(file: UnitFile, batch: Batch): string | undefined {
    const last = lastSegment(file);
    return last === undefined ? undefined : this.addSeparatorEnd(last, batch);
  }

  /** Adds the end of `segment` (separatorEnd), with and without a blank line after it, unless counted; returns it. */
  private addSeparatorEnd(segment: string, batch: Batch): string {
    const end = separatorEnd(segment);
    if (!this.texts.has(end)) batch.add(end);
    if (!this.texts.has(`${end}\n`)) batch.add(`${end}\n`);
    return end;
  }

  /** Counts a batch in one request and files each count under what it is for. */
  private run(batch: Batch): void {
    if (batch.texts.length > 0) this.store(batch, this.counter.countRaw(batch.texts));
  }

  private store(batch: Batch, counts: ArrayLike<number>): void {
    for (let i = 0; i < batch.texts.length; i++) {
      const owner = batch.owners[i];
      const raw = counts[i]!;
      if (owner === undefined) this.texts.set(batch.texts[i]!, raw);
      else if (batch.lines[i]) this.rests.set(owner as DiffLine, raw - this.numberTables().groups[groupSlot(0, 1)]!);
      else this.wholes.set(owner as UnitFile, raw);
    }
  }
}

/** Texts to count in one request, each with what its count is for: a short text (by itself), a line, a whole file. */
class Batch {
  readonly texts: string[] = [];
  readonly owners: (DiffLine | UnitFile | undefined)[] = [];
  /** Whether the owner is a line (its text is restText), not a whole file. */
  readonly lines: boolean[] = [];
  chars = 0;
  private readonly short = new Set<string>();

  /** `text` with what its count is for: nothing (a short text, counted once), a whole file, or a line (`isLine`). */
  add(text: string, owner?: DiffLine | UnitFile, isLine = false): void {
    if (owner === undefined) {
      if (this.short.has(text)) return;
      this.short.add(text);
    }
    this.chars += text.length;
    this.texts.push(text);
    this.owners.push(owner);
    this.lines.push(isLine);
  }
}

/**
 * A line as renderDiff prints it (diffLineText), numbered 0 at width 1: a segment like any other, counted with
 * others in one request. What follows the number costs that count less what `0` costs.
 */
function restText(line: DiffLine): string {
  return `0${markedSpace(line)}${line.text}\n`;
}

/** What a line without a number (never from git) prints in its place: `?` joins the space before it, so it is counted whole. */
function unnumbered(width: number): string {
  return '?'.padStart(width);
}

/** Padding is counted for up to this many spaces: line numbers of up to 13 digits. */
const MAX_PAD = 12;
const POW10 = Array.from({ length: 17 }, (_, i) => 10 ** i);
/** Every digit group of one to three digits, leading zeros included, and each run of padding before a digit. */
const GROUP_TEXTS = [1, 2, 3].flatMap((length) => Array.from({ length: 10 ** length }, (_, value) => String(value).padStart(length, '0')));

/** The pieces a hunk header prints besides its numbers and its tail (hunkHeaderLine): `@@ -a,b +c,d`. */
const HEADER_PIECES = ['@@', ' -', ',', ' +', ','];

interface NumberTables {
  groups: Int32Array;
  pads: Int32Array;
  /** HEADER_PIECES together. */
  header: number;
}

/** The texts counted to price numbers: GROUP_TEXTS, `0` after 0..MAX_PAD spaces (0 spaces: `0` alone), HEADER_PIECES. */
function numberTexts(): string[] {
  return [...GROUP_TEXTS, ...Array.from({ length: MAX_PAD + 1 }, (_, pad) => `${' '.repeat(pad)}0`), ...HEADER_PIECES];
}

function numberTables(counts: ArrayLike<number>): NumberTables {
  const groups = Int32Array.from({ length: GROUP_TEXTS.length }, (_, i) => counts[i]!);
  const at = GROUP_TEXTS.length;
  // A run of spaces before a digit costs what `   0` costs beyond `0`: the digit always starts a piece.
  const pads = Int32Array.from({ length: MAX_PAD + 1 }, (_, pad) => counts[at + pad]! - counts[at]!);
  let header = 0;
  for (let i = 0; i < HEADER_PIECES.length; i++) header += counts[at + MAX_PAD + 1 + i]!;
  return { groups, pads, header };
}

/** What a number's digits cost: groups of three from the left, as the pre-split takes them; the last may be shorter. */
function digitsCost(number: number, tables: NumberTables): number {
  const digits = digitCount(number);
  let raw = 0;
  for (let done = 0; done < digits; done += 3) {
    const length = Math.min(3, digits - done);
    raw += tables.groups[groupSlot(Math.floor(number / POW10[digits - done - length]!) % POW10[length]!, length)]!;
  }
  return raw;
}

/** Where a group of `length` digits with this value sits in GROUP_TEXTS. */
function groupSlot(value: number, length: number): number {
  return (length === 1 ? 0 : length === 2 ? 10 : 110) + value;
}

function digitCount(n: number): number {
  let digits = 1;
  while (n >= POW10[digits]! && digits < 16) digits++;
  return digits;
}

/**
 * The part of a segment that decides what a blank line after it adds: what follows its last ASCII letter or digit
 * (`;\n`, ` }\n`, `\n`, ` + };\n` after a line number), after a `0`. A letter or digit ends a piece of the pre-split
 * (o200k and cl100k: letters end a piece, a contraction needs letters after its `'`, digits go in pieces of up to
 * three) and what follows starts one, so the segment's counts with and without the blank line differ by what this
 * end's do. The `0` (a piece of its own, for the same reason) makes the end a segment like any numbered line, to be
 * counted with others in one request. A segment whose end holds any other character is its own end. Most files of a
 * diff end in the same few ways: a large diff needs a few dozen such counts instead of two per file.
 */
export function separatorEnd(segment: string): string {
  for (let start = segment.length - 1; start > 0; start--) {
    const c = segment.charCodeAt(start - 1);
    if (c > 0x7f) return segment;
    if ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a)) return `0${segment.slice(start)}`;
  }
  return segment;
}

/** The text of a file's last segment (with its newline), or undefined for a file printed without a blank line after it. */
function lastSegment(file: UnitFile): string | undefined {
  if (file.binary || file.modeOnly) return undefined;
  if (file.collapsed) return `${deletedFileLine(file)}\n`;
  if (file.noNewlineAtEof) return NO_NEWLINE_SEGMENT;
  const hunk = file.hunks.at(-1);
  if (!hunk) return `${fileHeaderLine(file)}\n`;
  if (hunk.collapsed) return `${removedHunkLine(hunk)}\n`;
  const line = hunk.lines.at(-1);
  return line ? `${diffLineText(line, lineNumberWidth(file))}\n` : `${hunkHeaderLine(hunk)}\n`;
}

/**
 * Whether a file's whole rendering is worth counting as one text: it will likely fit `budget` (raw tokens) at
 * about 2.5 characters per token or more (code averages 3.5 to 4). A file that then does not fit is counted again,
 * line by line. Answers are kept per file.
 */
export function likelyFits(file: FileDiff, budget: number): boolean {
  return fileChars(file) <= budget * 2.5;
}

/**
 * A file's lines (counting over all hunks) cut into ranges [from, to) of about SLICE_CHARS characters each, by the
 * file's average line (fileChars, already known): walking every line again cost ~10 ms on a large pull request.
 */
function sliceLines(file: FileDiff): [number, number][] {
  let lines = 0;
  for (const hunk of file.hunks) lines += hunk.lines.length;
  const size = Math.max(1, Math.floor((lines * SLICE_CHARS) / Math.max(1, fileChars(file))));
  const ranges: [number, number][] = [];
  for (let from = 0; from < lines; from += size) ranges.push([from, Math.min(lines, from + size)]);
  if (ranges.length === 0) ranges.push([0, 0]);
  return ranges;
}

/** About the characters of a file's rendering (kept per file). */
function fileChars(file: FileDiff): number {
  let chars = CHARS.get(file);
  if (chars === undefined) {
    chars = 0;
    for (const hunk of file.hunks) chars += hunkChars(hunk);
    CHARS.set(file, chars);
  }
  return chars;
}
const CHARS = new WeakMap<FileDiff, number>();

/** About the characters of a hunk's rendering: its header, and each line with its number and marker. */
export function hunkChars(hunk: Pick<Hunk, 'lines'>): number {
  let chars = 40;
  for (const line of hunk.lines) chars += lineChars(line);
  return chars;
}

/** About the characters of a line's rendering. */
export function lineChars(line: DiffLine): number {
  return line.text.length + 8;
}

/**
 * The width a line's number is likely printed at when the file is cut: that of a piece ending at this line (the
 * digits of the number after it). Lines are priced at it; pieces are then measured at their real width.
 */
export function lineWidth(line: DiffLine): number {
  // Counted, not printed: it is asked for every line of a file that is cut, several times.
  return digitCount(Math.max(line.oldLine ?? 0, line.newLine ?? 0) + 1);
}

/** A deleted file whose hunks only remove lines: shown to the model as its one-line summary, whatever its size. */
export function isDeletedFile(file: FileDiff): boolean {
  return file.status === 'deleted' && file.hunks.length > 0 && file.hunks.every(isDeleteOnly);
}

/** Whether prefetching counts a file as one whole rendering rather than line by line. */
function countedWhole(file: FileDiff, budget: number): boolean {
  return isDeletedFile(file) || likelyFits(file, budget);
}

export function isDeleteOnly(hunk: Pick<Hunk, 'lines' | 'oldLines' | 'newLines'>): boolean {
  if (onlyRemovals(hunk)) return hunk.oldLines > 0;
  let removed = false;
  for (const line of hunk.lines) {
    if (line.kind === 'add') return false;
    if (line.kind === 'del') removed = true;
  }
  return removed;
}
