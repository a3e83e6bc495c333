import { describe, expect, it } from 'vitest';
import { ChatHttpError } from '../../src/llm/chat-endpoint.ts';
import { isContextOverflow, reportedPromptTokens, reportedWindow } from '../../src/llm/context-overflow.ts';
import { LlmCallError } from '../../src/llm/errors.ts';

const refusal = (status: number, message: string, code?: string) => new LlmCallError(`model x: ${message}`, { status, attempts: 1, cause: new ChatHttpError(status, `${status} ${message}`, { code }) });

/** A refusal as a server words it: status, message, the window it names (undefined: none) and OpenAI's error code. */
type Refusal = [server: string, status: number, message: string, window: number | undefined, code?: string];

const REFUSALS: Refusal[] = [
  ['OpenAI, by its code', 400, 'Invalid request.', undefined, 'context_length_exceeded'],
  ['OpenAI', 400, "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.", 128_000],
  ['vLLM', 400, "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens (7000 in the messages, 2000 in the completion). Please reduce the length of the messages or completion.", 8_192],
  ['vLLM, newer', 400, "'max_tokens' or 'max_completion_tokens' is too large: 2000. This model's maximum context length is 8192 tokens and your request has 7000 input tokens (2000 > 8192 - 7000).", 8_192],
  ['Anthropic', 400, 'prompt is too long: 210000 tokens > 200000 maximum', 200_000],
  ['Gemini', 400, 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).', 1_048_576],
  ['Mistral', 400, 'Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length', 32_768],
  ['Hugging Face TGI', 422, 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 2000 `max_new_tokens`', 4_096],
  ['llama.cpp', 400, 'the request exceeds the available context size, try increasing it', undefined],
  ['llama.cpp, newer', 400, 'request (4476 tokens) exceeds the available context size (4096 tokens), try increasing it', 4_096],
  ['LM Studio', 400, 'Trying to keep the first 10136 tokens when context the overflows. However, the model is loaded with context length of only 7866 tokens, which is not enough. Try to load the model with a larger context length, or provide a shorter input', 7_866],
  ['LM Studio, on the tokens it keeps', 400, 'The number of tokens to keep from the initial prompt is greater than the context length (n_keep: 10247 >= n_ctx: 4096). Try to load the model with a larger context length, or provide a shorter prompt.', 4_096],
  ['oMLX', 400, 'Prompt too long: 51587 tokens exceeds max context window of 32768 tokens', 32_768],
  ['a server naming max_seq_len', 400, 'length of prompt_tokens (163280) must be less than max_seq_len (32768).', 32_768],
  ['a proxy, as 413', 413, 'context window exceeded for this deployment', undefined],
  ["a proxy's own 413 page", 413, '<html><head><title>413 Request Entity Too Large</title></head></html>', undefined],
  ['Cohere', 400, 'too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 5000', undefined],
  ['Bedrock', 400, 'Input is too long for requested model.', undefined],
  ['LiteLLM', 400, 'litellm.ContextWindowExceededError: litellm.BadRequestError: the prompt does not fit', undefined],
  ['a server naming the code in its message', 400, 'context_length_exceeded', undefined],
  ['a token limit', 400, 'This request (35000 tokens) exceeds the model token limit of 32000.', undefined],
  ['a token limit, the other way round', 400, 'Token limit exceeded: 35000 > 32000', undefined],
  ['a context limit reached', 400, 'context limit reached for this model', undefined],
  ['a server of its own wording', 400, 'Request exceeds the context limit of 8192 tokens', 8_192],
  ['a server naming only the request', 400, 'Request exceeds context: 9000 tokens', undefined],
];

describe('isContextOverflow', () => {
  it.each<Refusal>(REFUSALS)('%s', (_, status, message, _window, code) => {
    expect(isContextOverflow(refusal(status, message, code))).toBe(true);
  });

  it.each<[server: string, status: number, message: string]>([
    ['max_tokens above what the model can write', 400, 'max_tokens is too large: 100000. This model supports at most 16384 completion tokens, whereas you provided 100000.'],
    ['a refused parameter', 400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."],
    ['a rate limit that mentions context', 429, 'Rate limit reached: your context length budget is exceeded for this minute'],
    ['a server error', 500, 'maximum context length is 8192 tokens'],
    ['a bad request for another reason', 400, 'Invalid model name'],
    ['a max_tokens below its minimum', 400, 'max_tokens must be at least 1'],
    ['a token-per-minute limit, as 400', 400, 'Request too large for gpt-4o on tokens per min (TPM): Limit 30000, Requested 45000.'],
    ['a token rate limit, as 400', 400, 'You have exceeded the token rate limit of your current tier.'],
  ])('not %s', (_, status, message) => {
    expect(isContextOverflow(refusal(status, message))).toBe(false);
  });

  it("llama.cpp's refusal by its type alone (its code is the status, a number)", () => {
    const cause = new ChatHttpError(400, '400 bad request', { code: 400, type: 'exceed_context_size_error' });
    expect(isContextOverflow(new LlmCallError('model x: bad request', { status: 400, attempts: 1, cause }))).toBe(true);
    expect(isContextOverflow(new LlmCallError('model x: bad request', { status: 400, attempts: 1, cause: new ChatHttpError(400, '400 bad request', { code: 400, type: 'invalid_request_error' }) }))).toBe(false);
  });

  it('not a call that never got an answer', () => {
    expect(isContextOverflow(new LlmCallError('model x: timed out after 60 s', { attempts: 2 }))).toBe(false);
    expect(isContextOverflow(new Error('maximum context length'))).toBe(false);
  });
});

describe('reportedWindow', () => {
  it.each<Refusal>(REFUSALS)('%s', (_, status, message, window, code) => {
    expect(reportedWindow(refusal(status, message, code))).toBe(window);
  });

  it('none for an error that is not a refusal, even one that names a window', () => {
    expect(reportedWindow(refusal(500, "This model's maximum context length is 8192 tokens."))).toBeUndefined();
  });
});

describe('reportedPromptTokens', () => {
  /** The prompt tokens each refusal of REFUSALS gives, by the server's name there: the others give none. */
  const PROMPTS: Record<string, number> = {
    vLLM: 7_000,
    'vLLM, newer': 7_000,
    Anthropic: 210_000,
    Gemini: 1_200_000,
    Mistral: 40_000,
    'Hugging Face TGI': 4_000,
    'llama.cpp, newer': 4_476,
    oMLX: 51_587,
    'a server naming max_seq_len': 163_280,
    Cohere: 5_000,
  };

  it.each<Refusal>(REFUSALS)('%s', (server, status, message, _window, code) => {
    expect(reportedPromptTokens(refusal(status, message, code))).toBe(PROMPTS[server]);
  });

  it("OpenAI's requested total with the completion in it gives the messages' part", () => {
    const message = "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens (8000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.";
    expect(reportedPromptTokens(refusal(400, message, 'context_length_exceeded'))).toBe(8_000);
    expect(reportedPromptTokens(refusal(500, message))).toBeUndefined();
  });
});
