/**
 * Removes HTML comments. Platform adapters find loom's own comments and already-posted findings by hidden
 * `<!-- loom:... -->` markers, so model text must never carry one into any output a platform may show. Repeats
 * until none is left, so that a removal cannot splice a new `<!--` together (`<!<!-- -->--`).
 */
export function removeHtmlComments(text: string): string {
  let current = text;
  for (let previous = ''; current !== previous; ) {
    previous = current;
    current = removeOnce(current);
  }
  return current;
}

/**
 * One linear pass: whole comments go, and once no `-->` follows an opener, every opener left goes too. (A regex
 * with a lazy `[\s\S]*?` rescans to the end from each unclosed opener: quadratic on hostile input.)
 */
function removeOnce(s: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const open = s.indexOf('<!--', i);
    if (open < 0) return out + s.slice(i);
    out += s.slice(i, open);
    const close = s.indexOf('-->', open + 4);
    if (close < 0) return out + s.slice(open + 4).split('<!--').join('');
    i = close + 3;
  }
}

/**
 * Removes loom's own hidden markers (`<!-- loom:… -->`, `[//]: # (loom:…)`) and nothing else: for code, which is
 * shown and committed as written, so its other HTML comments stay. Repeats until none is left, as
 * removeHtmlComments does, so a removal cannot splice a marker together.
 */
export function removeLoomMarkers(text: string): string {
  let current = text;
  for (let previous = ''; current !== previous; ) {
    previous = current;
    current = removeMarkersOnce(current).replace(LINK_REF_MARKER, '');
  }
  return current;
}

const LINK_REF_MARKER = /\[\/\/\]:\s*#\s*\(loom:[^)]*\)/gi;
const LOOM_COMMENT = /^\s*loom:/;
/** Characters of a comment read to tell a marker: loom writes `<!-- loom:`, a marker it reads has one space. */
const MARKER_HEAD = 64;

/**
 * One linear pass over the HTML comments: those that open with `loom:` go, the others are kept whole. The close
 * found for one opener is the close of every opener before it, and only a comment's first characters are read,
 * so many openers before one distant `-->` cost no rescans.
 */
function removeMarkersOnce(s: string): string {
  let out = '';
  let i = 0;
  let close = -1;
  for (let open = s.indexOf('<!--'); open >= 0; open = s.indexOf('<!--', i)) {
    if (close < open + 4) close = s.indexOf('-->', open + 4);
    if (close < 0) break;
    if (LOOM_COMMENT.test(s.slice(open + 4, Math.min(close, open + 4 + MARKER_HEAD)))) {
      out += s.slice(i, open);
      i = close + 3;
    } else {
      out += s.slice(i, open + 4);
      i = open + 4;
    }
  }
  return out + s.slice(i);
}
