import type { ModelConfig } from '../config/schema.ts';
import { modelKey } from './model-name.ts';

/** For a model loom does not recognise: small enough for almost any hosted or local model. */
export const DEFAULT_CONTEXT_WINDOW = 16_000;

/**
 * Total context (input + output) per known family, first match wins. Where a model has several sizes the
 * smaller is used, and very long windows are capped where a provider's input limit or review quality says so:
 * a wrong guess upwards means rejected calls, downwards only means more, smaller units.
 */
const KNOWN_WINDOWS: readonly [RegExp, number][] = [
  [/^(gpt-4o|chatgpt-4o)/, 128_000],
  // 1M tokens on OpenAI, but Azure deployments and proxies often cap lower, and reviews degrade on huge inputs.
  [/^gpt-4\.1/, 128_000],
  [/^gpt-4\.5/, 128_000],
  // The GPT-5 family takes 400k in total but at most 272k of input.
  [/^gpt-5/, 272_000],
  [/^gpt-oss/, 131_072],
  [/^(gpt-4-turbo|gpt-4-\d{4}-preview|gpt-4-vision)/, 128_000],
  [/^gpt-4-32k/, 32_768],
  [/^gpt-4/, 8_192],
  [/^(gpt-3\.5|gpt-35)-turbo-instruct/, 4_096],
  [/^(gpt-3\.5|gpt-35)/, 16_385],
  [/^o1-(mini|preview)/, 128_000],
  [/^o\d/, 200_000],
  [/^codex-mini/, 200_000],
  [/claude-(instant|2)/, 100_000],
  [/claude/, 200_000],
  [/^gemini-(1\.0|pro$|pro-vision)/, 32_768],
  [/^gemini/, 1_000_000],
  [/^(gemma-?3|gemma3)/, 128_000],
  [/^gemma/, 8_192],
  [/llama-?3\.[1-9]|llama-?[4-9]/, 128_000],
  [/llama-?3/, 8_192],
  [/codellama|code-llama/, 16_384],
  [/llama/, 4_096],
  [/^qwq|qwen/, 32_768],
  [/mistral-(large|medium)|pixtral|mistral-small-(3|24)/, 128_000],
  [/mistral|mixtral|codestral|ministral/, 32_768],
  [/deepseek-coder(?!-v2)/, 16_384],
  [/deepseek/, 64_000],
  [/^phi-?[34]/, 16_384],
  [/^command-r|^command-a/, 128_000],
];

/** The model's total context in tokens: `context_window` when configured, else a default for the model name. */
export function contextWindowFor(model: Pick<ModelConfig, 'model' | 'context_window'>): number {
  if (model.context_window !== undefined) return model.context_window;
  const key = modelKey(model.model);
  for (const [pattern, window] of KNOWN_WINDOWS) if (pattern.test(key)) return window;
  return DEFAULT_CONTEXT_WINDOW;
}

/**
 * Chat framing (role markers, per-message overhead) and rounding differences between loom's count and the
 * server's: a fixed few tokens plus 1% of the window.
 */
export function safetyMargin(window: number): number {
  return 64 + Math.ceil(window / 100);
}

/**
 * Tokens of rendered diff one call may carry: the window minus the answer (`max_tokens`), the rendered template
 * with an empty diff (`templateTokens`, counted with the same counter) and a safety margin. 0 when nothing fits.
 */
export function inputBudget(model: Pick<ModelConfig, 'model' | 'context_window' | 'max_tokens'>, templateTokens: number): number {
  const window = contextWindowFor(model);
  return Math.max(0, window - model.max_tokens - templateTokens - safetyMargin(window));
}
