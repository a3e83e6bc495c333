import { exchange, replyHeader, type ExchangeReply } from '../net/exchange.ts';
import { VERSION } from '../version.ts';
import { openAiErrorBody } from './error-body.ts';

/**
 * POST {base_url}/chat/completions, the one call of the OpenAI API loom makes. It is spoken directly rather than
 * through the openai SDK: the SDK's 390 KB module and the undici classes it builds cost ~40 ms of start-up on the
 * way to the first model call, and loom used none of its own retries, streaming or resources.
 */

/** The endpoint answered with an error status. The message is `<status> <the server's message>`. */
export class ChatHttpError extends Error {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** OpenAI's `error.param`, `error.code`, `error.type`, where the server gave them. */
  readonly param: string | undefined;
  readonly code: string | undefined;
  readonly type: string | undefined;
  constructor(status: number, message: string, opts: { headers?: { get(name: string): string | null }; param?: unknown; code?: unknown; type?: unknown } = {}) {
    super(message);
    this.name = 'ChatHttpError';
    this.status = status;
    this.headers = opts.headers ?? { get: () => null };
    this.param = typeof opts.param === 'string' ? opts.param : undefined;
    this.code = typeof opts.code === 'string' ? opts.code : undefined;
    this.type = typeof opts.type === 'string' ? opts.type : undefined;
  }
}

/** No answer arrived: the connection was refused, reset or never made. `cause` holds the socket error. */
export class ChatConnectionError extends Error {
  constructor(message = 'connection error', opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'ChatConnectionError';
  }
}

/** No whole answer within the model's timeout_s. */
export class ChatTimeoutError extends ChatConnectionError {
  constructor(message = 'request timed out') {
    super(message);
    this.name = 'ChatTimeoutError';
  }
}

/** `{base_url}/chat/completions`; a query in base_url (Azure OpenAI's `?api-version=`) stays on the end. */
export function chatCompletionsUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  return url;
}

export interface ChatPost {
  apiKey: string;
  /** The model's configured headers: they win over loom's own, so a gateway can replace Authorization. */
  headers?: Record<string, string>;
  body: string | Uint8Array | readonly Uint8Array[];
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Sends one request and returns the body text of a 2xx answer. Throws ChatHttpError for an error status,
 * ChatConnectionError / ChatTimeoutError when no answer came, `TypeError('terminated')` when the answer was cut,
 * and the caller's abort reason when it aborts.
 */
export async function postChatCompletion(url: URL, post: ChatPost): Promise<string> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/json',
    'user-agent': `loom/${VERSION}`,
    authorization: `Bearer ${post.apiKey}`,
  };
  for (const [name, value] of Object.entries(post.headers ?? {})) {
    delete headers[name.toLowerCase()];
    headers[name] = value;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ChatTimeoutError()), post.timeoutMs);
  const onAbort = () => controller.abort(post.signal?.reason);
  if (post.signal?.aborted) onAbort();
  else post.signal?.addEventListener('abort', onAbort, { once: true });
  let reply: ExchangeReply;
  try {
    reply = await exchange(url, { method: 'POST', headers, body: post.body, signal: controller.signal });
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw new ChatConnectionError('connection error', { cause: error instanceof TypeError && error.cause !== undefined ? error.cause : error });
  } finally {
    clearTimeout(timer);
    post.signal?.removeEventListener('abort', onAbort);
  }
  if (reply.bodyError) throw reply.bodyError;
  const text = reply.body.toString('utf8');
  if (reply.status >= 400) throw httpError(reply, text);
  return text;
}

/** Error bodies come in many shapes (vLLM, FastAPI, proxies' HTML); openAiErrorBody reads them all as OpenAI's. */
function httpError(reply: ExchangeReply, text: string): ChatHttpError {
  const error = openAiErrorBody(text)?.error;
  return new ChatHttpError(reply.status, error ? `${reply.status} ${error.message}` : `${reply.status} status code (no body)`, {
    headers: { get: (name) => replyHeader(reply, name) ?? null },
    param: error?.param,
    code: error?.code,
    type: error?.type,
  });
}
