export interface CompletionText {
  text: string;
  usage: { promptTokens: number; completionTokens: number };
  finishReason?: string;
}

/**
 * The answer text and usage from the body of a 2xx answer. Usually a chat.completion object; sometimes an SSE
 * stream although we asked for `stream: false` (some proxies always stream), which is then assembled from its
 * chunks. `undefined` when it is neither.
 */
export function readCompletion(body: string): CompletionText | undefined {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      return fromCompletion(JSON.parse(trimmed));
    } catch {
      return undefined;
    }
  }
  return /^data:/m.test(trimmed) ? fromEventStream(trimmed) : undefined;
}

/**
 * Whether a 2xx body that is not a chat completion (readCompletion gave undefined) is worth asking again: an
 * empty or cut-off body, a gateway's error sent with status 200 (`{"error": ...}`), or a completion with no
 * choice in it come and go with the server's load. A web page, or another API's JSON, comes every time: the
 * base_url is wrong, and asking again only delays saying so.
 */
export function isPassingFailure(body: string): boolean {
  const trimmed = body.trim();
  if (trimmed === '') return true;
  if (!trimmed.startsWith('{')) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return true;
  }
  const answer = parsed as { error?: unknown; choices?: unknown } | null;
  return answer?.error !== undefined || (Array.isArray(answer?.choices) && answer.choices.length === 0);
}

function fromCompletion(body: unknown): CompletionText | undefined {
  const choices = (body as { choices?: unknown } | null)?.choices;
  // No choice at all is no answer (a gateway whose upstream failed), not an empty one.
  if (!Array.isArray(choices) || choices.length === 0) return undefined;
  const choice = choices[0] as { message?: { content?: unknown }; finish_reason?: unknown } | undefined;
  const content = choice?.message?.content;
  const result: CompletionText = { text: typeof content === 'string' ? content : '', usage: readUsage((body as { usage?: unknown }).usage) };
  if (typeof choice?.finish_reason === 'string') result.finishReason = choice.finish_reason;
  return result;
}

function fromEventStream(stream: string): CompletionText | undefined {
  let text = '';
  let sawChunk = false;
  let usage = readUsage(undefined);
  let finishReason: string | undefined;
  for (const line of stream.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') break;
    let chunk: { choices?: unknown; usage?: unknown };
    try {
      chunk = JSON.parse(data);
    } catch {
      continue;
    }
    if (!chunk || typeof chunk !== 'object') continue;
    if (chunk.usage) usage = readUsage(chunk.usage);
    if (!Array.isArray(chunk.choices)) continue;
    sawChunk = true;
    const choice = chunk.choices[0] as { delta?: { content?: unknown }; finish_reason?: unknown } | undefined;
    if (typeof choice?.delta?.content === 'string') text += choice.delta.content;
    if (typeof choice?.finish_reason === 'string') finishReason = choice.finish_reason;
  }
  if (!sawChunk) return undefined;
  return finishReason === undefined ? { text, usage } : { text, usage, finishReason };
}

function readUsage(usage: unknown): CompletionText['usage'] {
  const u = (usage ?? {}) as { prompt_tokens?: unknown; completion_tokens?: unknown };
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  return { promptTokens: count(u.prompt_tokens), completionTokens: count(u.completion_tokens) };
}
