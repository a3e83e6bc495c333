import { ParsedLine } from '../diff/parsed-line.ts';
import type { DiffLine, FileDiff, Hunk } from '../diff/types.ts';
import { fileWith, hunkWith } from '../units/copy.ts';

/** Base64 characters a data URL's payload may have and still be sent as it is (a small icon, a short font subset). */
export const DATA_URL_KEPT_CHARS = 200;

/**
 * A data URL with a base64 payload longer than DATA_URL_KEPT_CHARS: its media type and parameters, then the payload.
 * Every repetition is bounded, so no line can make it read a text again from every start.
 */
const DATA_URL = new RegExp(String.raw`(data:[\w.+-]{1,100}/[\w.+-]{1,100}(?:;[\w.+-]{1,100}(?:=[\w.+-]{1,100})?){0,8};base64,)([A-Za-z0-9+/]{${DATA_URL_KEPT_CHARS + 1},}={0,2})`, 'g');

/** What a model is shown instead of a payload. */
export const dataUrlMarker = (chars: number) => `[loom: ${chars} base64 characters not shown]`;

/**
 * `files` with the base64 payload of every long data URL in their lines replaced by a marker that says how long it
 * was: an inline source map (`//# sourceMappingURL=data:application/json;base64,…`), an image or a font in CSS or
 * HTML. No model can review base64, and it costs about a token per two characters: the 289 changed files of
 * Angular 17 -> 18's package that carry one would have sent 8.4 MB of it. The line itself is still shown, with its
 * media type. Files and lines are copied only where something is shortened; `shortened` counts the payloads.
 */
export function shortenDataUrls(files: readonly FileDiff[]): { files: FileDiff[]; shortened: number } {
  let shortened = 0;
  const out = files.map((file) => {
    let hunks: Hunk[] | undefined;
    for (let h = 0; h < file.hunks.length; h++) {
      const hunk = file.hunks[h]!;
      let lines: DiffLine[] | undefined;
      for (let l = 0; l < hunk.lines.length; l++) {
        const line = hunk.lines[l]!;
        const text = line.text;
        // Most lines are far too short to hold one: the length is all that is read of them.
        const short = text.length > DATA_URL_KEPT_CHARS ? shorten(text) : undefined;
        if (short === undefined) {
          lines?.push(line);
          continue;
        }
        shortened += short.payloads;
        (lines ??= hunk.lines.slice(0, l)).push(new ParsedLine(line.kind, line.oldLine, line.newLine, short.text));
      }
      if (lines) (hunks ??= file.hunks.slice(0, h)).push(hunkWith(hunk, { lines }));
      else hunks?.push(hunk);
    }
    return hunks ? fileWith(file, { hunks }) : file;
  });
  return { files: out, shortened };
}

function shorten(text: string): { text: string; payloads: number } | undefined {
  if (!text.includes(';base64,')) return undefined;
  let payloads = 0;
  const out = text.replace(DATA_URL, (_, head: string, payload: string) => {
    payloads++;
    return head + dataUrlMarker(payload.length);
  });
  return payloads > 0 ? { text: out, payloads } : undefined;
}
