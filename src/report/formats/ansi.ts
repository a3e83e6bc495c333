/**
 * The few terminal styles the text format uses, as SGR codes for a 16-colour terminal: what chalk prints at its
 * level 1, without loading chalk (and the os and tty modules its colour detection needs) into every review.
 * The format knows whether to colour (FormatOptions.color), so nothing here looks at the terminal.
 */
const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  underline: [4, 24],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  cyan: [36, 39],
} as const;

export type StyleName = keyof typeof CODES;

/** `text` in the given styles, outermost first; text as it is when colour is off, and '' stays ''. */
export type Paint = (text: string, ...styles: StyleName[]) => string;

export function painter(color: boolean): Paint {
  if (!color) return (text) => text;
  return (text, ...styles) => {
    if (text === '') return '';
    let open = '';
    let close = '';
    for (const style of styles) {
      const [on, off] = CODES[style];
      open += `\u001b[${on}m`;
      close = `\u001b[${off}m${close}`;
    }
    return open + text + close;
  };
}
