import type { EncodingName } from './tokenizer-choice.ts';

/** Counts tokens of plain text with one encoding. */
export type CountFn = (text: string) => number;

// Code under review may contain `<|endoftext|>` and friends: they are text to the model, never control tokens,
// and gpt-tokenizer would throw on them by default.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Imports an encoding (about 200 ms and 100+ MB of tables). Literal specifiers keep each encoding in its own chunk,
 * so commands that never count tokens never load one. Used by the main thread and by the counting worker.
 */
export async function importEncoding(encoding: EncodingName): Promise<CountFn> {
  const mod = encoding === 'o200k_base' ? await import('gpt-tokenizer/encoding/o200k_base') : await import('gpt-tokenizer/encoding/cl100k_base');
  return (text) => mod.countTokens(text, AS_TEXT);
}
