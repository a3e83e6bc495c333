/**
 * Removes HTML comments. Platform adapters find loom's own comments and already-posted findings by hidden
 * `<!-- loom:... -->` markers, so model text must never carry one into any output a platform may show. Repeats
 * until none is left, so that a removal cannot splice a new `<!--` together (`<!<!-- -->--`).
 */
export function removeHtmlComments(text: string): string {
  const untilStable = (s: string, pattern: RegExp): string => {
    let current = s;
    for (let previous = ''; current !== previous; ) {
      previous = current;
      current = current.replace(pattern, '');
    }
    return current;
  };
  // Whole comments first, so a spliced one goes entirely; then any opener left without its end.
  return untilStable(untilStable(text, /<!--[\s\S]*?-->/g), /<!--/g);
}
