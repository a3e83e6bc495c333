import type { ModelConfig } from '../config/schema.ts';
import { tokenizerFor, type EncodingName } from './tokenizer-choice.ts';

export interface TokenCounter {
  /** `utf8-bytes` for the tokenizer-free upper bound (byteBoundCounter). */
  readonly encoding: EncodingName | 'utf8-bytes';
  readonly margin: number;
  /** Tokens `text` costs the model, margin included (rounded up). */
  count(text: string): number;
}

/** Counts tokens of plain text with one encoding. */
export type CountFn = (text: string) => number;
export type EncodingLoader = (encoding: EncodingName) => Promise<CountFn>;

// Code under review may contain `<|endoftext|>` and friends: they are text to the model, never control tokens,
// and gpt-tokenizer would throw on them by default.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

const loaded = new Map<EncodingName, Promise<CountFn>>();

/**
 * Imports an encoding the first time it is needed (about 190 ms and 100+ MB of tables), so commands that never
 * count tokens (`--version`, `config check`) never pay for it. Literal specifiers keep each encoding in its own chunk.
 */
export const loadEncoding: EncodingLoader = (encoding) => {
  let pending = loaded.get(encoding);
  if (!pending) {
    pending = (encoding === 'o200k_base' ? import('gpt-tokenizer/encoding/o200k_base') : import('gpt-tokenizer/encoding/cl100k_base')).then(
      (mod): CountFn =>
        (text) =>
          mod.countTokens(text, AS_TEXT),
    );
    loaded.set(encoding, pending);
    // A failed import may succeed later (e.g. a transient file error); do not keep the rejection.
    pending.catch(() => loaded.delete(encoding));
  }
  return pending;
};

export async function createTokenCounter(model: Pick<ModelConfig, 'model'>, load: EncodingLoader = loadEncoding): Promise<TokenCounter> {
  const { encoding, margin } = tokenizerFor(model.model);
  const countRaw = await load(encoding);
  return {
    encoding,
    margin,
    count: margin === 1 ? countRaw : (text) => Math.ceil(countRaw(text) * margin),
  };
}

/**
 * A counter that loads no tokenizer: a text's UTF-8 bytes are never fewer than its tokens under any tokenizer
 * (every token covers at least one byte). It overestimates code three- to fourfold, so it suits a diff that is
 * small next to the budget: planned with it, every unit provably fits, and the ~200 ms and ~100 MB of loading an
 * encoding are saved. Special tokens are not a concern: loom sends them as text.
 */
export function byteBoundCounter(): TokenCounter {
  return { encoding: 'utf8-bytes', margin: 1, count: (text) => Buffer.byteLength(text, 'utf8') };
}
