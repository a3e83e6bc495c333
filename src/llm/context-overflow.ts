import { ChatHttpError } from './chat-endpoint.ts';
import { LlmCallError } from './errors.ts';

/**
 * How servers say a prompt (with room for max_tokens) does not fit the model's context window: OpenAI, Azure, Groq
 * and DeepSeek ("maximum context length ... reduce the length of the messages"), vLLM ("maximum context length is N
 * tokens. However, you requested M tokens"), Anthropic ("prompt is too long"), Gemini ("The input token count (N)
 * exceeds the maximum number of tokens allowed"), Mistral ("too large for model with N maximum context length"),
 * Hugging Face TGI ("`inputs` tokens + `max_new_tokens` must be <= N"), llama.cpp ("exceeds the available context
 * size", or its type exceed_context_size_error), LM Studio ("when context the overflows", "tokens to keep ... greater
 * than the context length"), "prompt_tokens (N) must be less than max_seq_len (M)", Cohere ("too many tokens"),
 * Bedrock ("Input is too long for requested model"), LiteLLM (ContextWindowExceededError), and a request past a
 * token limit.
 */
const OVERFLOW = [
  /maximum context length/,
  /context (?:length|window|size)[^.]*(?:exceed|too long|too large|overflow)/,
  /context_?(?:length|window)_?exceeded/,
  /exceeds? (?:the )?(?:available |model'?s? )?context/,
  /(?:prompt|input) (?:is )?too (?:long|large)/,
  /too many (?:input |prompt )?tokens/,
  /exceeds? [^.]*token limit/,
  /(?:token|context|length) limit (?:was |is )?(?:exceeded|reached)/,
  /input token count[^.]*exceeds/,
  /`inputs` tokens \+ `max_new_tokens`/,
  /reduce the length of the (?:messages|prompt|input)/,
  /when context (?:the )?overflows/,
  /tokens to keep [^.]*greater than the context length/,
  /prompt_tokens[^.]*must be less than max_seq_len/,
];
/** OpenAI's refusal of a max_tokens above what the model can write: a smaller prompt would not help. */
const COMPLETION_LIMIT = /supports at most \d+ completion tokens/;

/**
 * Whether a failed model call was refused because its prompt is too long for the model. loom counts with OpenAI's
 * tokenizers, and with a margin for models that have their own (tokens/tokenizer-choice.ts); a server whose
 * tokenizer cuts finer still refuses some prompts, and the unit is then reviewed in smaller parts.
 */
export function isContextOverflow(error: unknown): boolean {
  return overflowRefusal(error) !== undefined;
}

/** The server's answer, when a failed call was refused because its prompt is too long (see isContextOverflow). */
function overflowRefusal(error: unknown): ChatHttpError | undefined {
  const refusal = error instanceof LlmCallError ? error.cause : error;
  if (!(refusal instanceof ChatHttpError) || ![400, 413, 422].includes(refusal.status)) return undefined;
  // 413 is "too large" whatever the body says (a proxy's own page, often): a smaller request is the remedy either way.
  if (refusal.status === 413 || refusal.code === 'context_length_exceeded' || refusal.type === 'exceed_context_size_error') return refusal;
  const text = refusal.message.toLowerCase();
  return !COMPLETION_LIMIT.test(text) && OVERFLOW.some((pattern) => pattern.test(text)) ? refusal : undefined;
}

/**
 * The window a refusal names, where the server says it: OpenAI and vLLM ("maximum context length is N tokens"),
 * Mistral ("with N maximum context length"), TGI ("must be <= N"), Anthropic ("M tokens > N maximum"), Gemini
 * ("the maximum number of tokens allowed (N)"), llama.cpp ("available context size (N tokens)"), LM Studio
 * ("loaded with context length of only N tokens", "n_ctx: N"), oMLX ("max context window of N tokens"),
 * "max_seq_len (N)", and any "context length/window/limit/size is/of N". Undefined for any other error, or a refusal
 * that names none.
 */
export function reportedWindow(error: unknown): number | undefined {
  return numberIn(error, WINDOW_IN);
}

const WINDOW_IN = [
  /maximum context length is (\d+) tokens/i,
  /with (\d+) maximum context length/i,
  /`max_new_tokens` must be <= (\d+)/i,
  /tokens > (\d+) maximum/i,
  /maximum number of tokens allowed \((\d+)\)/i,
  /available context size \((\d+) tokens\)/i,
  /n_ctx: (\d+)/i,
  /max_seq_len \((\d+)\)/i,
  // Last, any server's own wording ("context limit of N", "context window is N"; LM Studio's, oMLX's).
  /context (?:length|window|limit|size) (?:is|of) (?:only )?(\d+)/i,
];

/**
 * The prompt tokens by the server's count, where its refusal says (undefined otherwise): OpenAI and vLLM ("you
 * requested T tokens (N in the messages, K in the completion)"; "your request has N input tokens"), Anthropic and
 * oMLX ("prompt is too long: N tokens"), Mistral ("Prompt contains N tokens"), TGI ("Given: N `inputs` tokens"),
 * Gemini ("The input token count (N)"), llama.cpp ("request (N tokens) exceeds the available context size"),
 * Cohere ("... cannot exceed W - received N"), "prompt_tokens (N) must be less than max_seq_len". Against loom's
 * count of the same prompt, it tells how much finer the server's tokenizer cuts. OpenAI's "your messages resulted
 * in N tokens" is its wording for a request without max_tokens (loom always sends one); servers that copy it with
 * one disagree on whether N includes it.
 */
export function reportedPromptTokens(error: unknown): number | undefined {
  return numberIn(error, PROMPT_IN);
}

const PROMPT_IN = [
  /\((\d+) in the messages/i,
  /request has (\d+) input tokens/i,
  /prompt (?:is )?too long: (\d+) tokens/i,
  /prompt contains (\d+) tokens/i,
  /Given: (\d+) `inputs` tokens/i,
  /input token count \((\d+)\)/i,
  /prompt_tokens \((\d+)\)/i,
  /request \((\d+) tokens\) exceeds the available context size/i,
  /tokens in the prompt cannot exceed \d+ - received (\d+)/i,
];

/** The number the first of `patterns` to match a refusal's message captures; undefined for any other error. */
function numberIn(error: unknown, patterns: readonly RegExp[]): number | undefined {
  const text = overflowRefusal(error)?.message;
  if (text === undefined) return undefined;
  for (const pattern of patterns) {
    const found = Number(pattern.exec(text)?.[1]);
    if (Number.isSafeInteger(found) && found > 0) return found;
  }
  return undefined;
}
