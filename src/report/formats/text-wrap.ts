/**
 * Word-wraps prose lines to `width` and tidies blank lines. Lines inside ``` / ~~~ fences and indented lines
 * (code, list continuations) are left as they are: re-flowing code would change its meaning.
 */
export function wrapProse(text: string, width: number): string[] {
  const out: string[] = [];
  let fence: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      out.push(line);
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      continue;
    }
    if (marker) {
      fence = marker;
      out.push(line);
      continue;
    }
    if (line === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(...wrapLine(line, width));
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

function wrapLine(line: string, width: number): string[] {
  if (line.length <= width || /^\s{4}/.test(line)) return [line];
  const indent = /^\s*(?:[-*+] |\d+[.)] )?/.exec(line)?.[0] ?? '';
  const hang = ' '.repeat(indent.length);
  const lines: string[] = [];
  let current = indent;
  let empty = true;
  for (const word of line.slice(indent.length).split(/ +/)) {
    if (word === '') continue;
    if (!empty && current.length + 1 + word.length > width) {
      lines.push(current);
      current = hang + word;
    } else {
      current += (empty ? '' : ' ') + word;
    }
    empty = false;
  }
  lines.push(current);
  return lines;
}
