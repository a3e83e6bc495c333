import type { ModelConfig } from '../config/schema.ts';

const DEFAULT_CONTEXT_WINDOW = 32_000;
/** Room left for the system prompt and template around the diff. */
const TEMPLATE_RESERVE_TOKENS = 2_000;
/** Code averages about 3.5 characters per token; 3 keeps a margin for tokenizers that split it finer. */
const CHARS_PER_TOKEN = 3;

/** Characters of rendered diff one call may carry for this model. */
export function budgetChars(model: ModelConfig | undefined): number {
  const window = model?.context_window ?? DEFAULT_CONTEXT_WINDOW;
  const maxTokens = model?.max_tokens ?? 4000;
  const input = Math.max(window - maxTokens - TEMPLATE_RESERVE_TOKENS, 1_000);
  return input * CHARS_PER_TOKEN;
}
