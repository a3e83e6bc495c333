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
