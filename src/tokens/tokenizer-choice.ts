import { modelKey } from './model-name.ts';

export type EncodingName = 'o200k_base' | 'cl100k_base';

export interface TokenizerChoice {
  encoding: EncodingName;
  /** Multiplier applied to the count: 1 for OpenAI models (exact), more for families with their own tokenizers. */
  margin: number;
}

/**
 * Other families (Llama, Qwen, Mistral, DeepSeek, Claude, Gemini, ...) use tokenizers loom does not ship; on code
 * they produce up to about a fifth more tokens than o200k, so counts get this margin to stay under their limits.
 */
export const OTHER_FAMILY_MARGIN = 1.25;

const O200K = /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o\d|codex-)/;
// Azure deployments often name GPT-3.5 `gpt-35-turbo`.
const CL100K = /^(gpt-4|gpt-3\.5|gpt-35)/;

export function tokenizerFor(model: string): TokenizerChoice {
  const key = modelKey(model);
  if (O200K.test(key)) return { encoding: 'o200k_base', margin: 1 };
  if (CL100K.test(key)) return { encoding: 'cl100k_base', margin: 1 };
  return { encoding: 'o200k_base', margin: OTHER_FAMILY_MARGIN };
}
