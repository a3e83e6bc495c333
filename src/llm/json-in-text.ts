/** Bounds the work on a long or hostile answer: each candidate costs one scan of the text. */
const MAX_REGIONS = 200;

/**
 * JSON values found in a model's answer, most deliberate first: the whole answer, then each ``` fenced
 * block, then each balanced `[...]` / `{...}` region that looks like the start of JSON (`[{`, `[]`, `[ "`, `{"`).
 * A value that fails to parse is retried once without trailing commas, the one slip models keep making.
 * Never throws.
 */
export function* jsonValuesIn(text: string): Generator<unknown> {
  const whole = tryParse(text.trim());
  if (whole.ok) yield whole.value;
  // An answer cut off at max_tokens: the elements it finished, before any part of one.
  else {
    const finished = tryParse(finishedPart(text) ?? '');
    if (finished.ok) yield finished.value;
  }

  for (const match of text.matchAll(/```[^\n`]*\n([\s\S]*?)```/g)) {
    const fenced = tryParse((match[1] ?? '').trim());
    if (fenced.ok) yield fenced.value;
  }

  // Lookaheads, so a match never swallows the `{` of an element inside the array it starts (`[{`).
  const starts = /\[(?=\s*[{\]"])|\{(?=\s*")/g;
  let tried = 0;
  let skipUntil = -1;
  for (const match of text.matchAll(starts)) {
    const start = match.index ?? 0;
    if (start < skipUntil) continue;
    if (++tried > MAX_REGIONS) return;
    const end = balancedEnd(text, start);
    if (end < 0) continue;
    const region = tryParse(text.slice(start, end + 1));
    if (region.ok) {
      // Regions inside a value that parsed are parts of it, not separate answers.
      skipUntil = end + 1;
      yield region.value;
    }
  }
}

/**
 * An answer that starts as JSON (`[` or `{` after any prose) and stops before it is closed, as one cut off at
 * max_tokens does, cut back to the end of the last object it finished inside an array, and closed:
 * `[{...}, {...}, {"fi` becomes `[{...}, {...}]`, and `{"findings": [{...}, {"fi` becomes `{"findings": [{...}]}`.
 * Undefined when the JSON is closed (nothing was cut) or no element was finished.
 */
function finishedPart(text: string): string | undefined {
  const start = text.search(/[[{]/);
  if (start < 0) return undefined;
  /** Where the last finished element ends, and the brackets then open. */
  let safe: { end: number; open: string[] } | undefined;
  const stop = walkBrackets(text, start, (i, closed, open) => {
    // Only an object that is an element of an array (a finding) ends a finished part: an array or object inside
    // the element being cut would close a half-written element.
    if (closed === '}' && open.at(-1) === ']') safe = { end: i + 1, open: [...open] };
    return open.length === 0;
  });
  // Closed, or not JSON: nothing was cut.
  if (stop !== text.length) return undefined;
  return safe ? text.slice(start, safe.end) + safe.open.reverse().join('') : undefined;
}

/** Index of the bracket closing the one at `start`, ignoring brackets inside JSON strings; -1 when unbalanced. */
function balancedEnd(text: string, start: number): number {
  const stop = walkBrackets(text, start, (_, __, open) => open.length === 0);
  return stop === text.length ? -1 : stop;
}

/**
 * Walks the brackets of text from `start`, skipping those inside JSON strings, and tells `closed` of each closing
 * bracket that matches, with the brackets still open after it; `closed` returns true to stop there. Returns that
 * index, -1 at a closing bracket that does not match, or text.length when the text ends first.
 */
function walkBrackets(text: string, start: number, closed: (i: number, bracket: string, open: readonly string[]) => boolean): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') stack.push(ch === '[' ? ']' : '}');
    else if (ch === ']' || ch === '}') {
      if (stack.pop() !== ch) return -1;
      if (closed(i, ch, stack)) return i;
    }
  }
  return text.length;
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text === '' || (text[0] !== '[' && text[0] !== '{')) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const lenient = text.replace(/,(\s*[\]}])/g, '$1');
    if (lenient === text) return { ok: false };
    try {
      return { ok: true, value: JSON.parse(lenient) };
    } catch {
      return { ok: false };
    }
  }
}
