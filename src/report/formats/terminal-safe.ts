/**
 * Titles, bodies and failure reasons come from a model or an HTTP error body: escape sequences in them could
 * recolour, hide or rewrite what the terminal shows, so every control sequence is removed before printing.
 */
const ESCAPE_SEQUENCES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]?/g;
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Keeps newlines (bodies are multi-line); tabs become two spaces so indentation stays predictable. */
export function terminalSafe(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(ESCAPE_SEQUENCES, '').replace(/\t/g, '  ').replace(CONTROLS, '');
}

/** For one-line fields (title, path, reason): any line break becomes a space. */
export function terminalSafeLine(text: string): string {
  return terminalSafe(text).replace(/\s*\n\s*/g, ' ').trim();
}
