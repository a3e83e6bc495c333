import type { ModelConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { resolveApiKey } from './api-key.ts';
import { encodeBody, type SharedText } from './body-json.ts';
import { ChatConnectionError, chatCompletionsUrl, ChatHttpError, ChatTimeoutError, postChatCompletion } from './chat-endpoint.ts';
import { isPassingFailure, readCompletion } from './completion-body.ts';
import { LlmCallError } from './errors.ts';
import { type AdaptableParam, rejectedParam } from './param-fallback.ts';
import { connectionDetail, DEFAULT_RETRY_BASE_MS, isCertificateCode, isCutConnection, isRetryable, MAX_RETRY_AFTER_MS, retryWait } from './retry.ts';

export interface ChatTurn {
  role: 'assistant' | 'user';
  content: string;
}

export interface ChatRequest {
  system: string;
  user: string;
  /** Turns after the first user message: e.g. the model's unparseable answer and the request to fix it. */
  followUp?: ChatTurn[];
  /** A long text that `user` holds verbatim and other requests of the run carry too (the unit's diff): encoded once. */
  shared?: SharedText;
  /** ask for JSON matching this schema via response_format */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  signal?: AbortSignal;
}

export interface ChatResult {
  text: string;
  usage: { promptTokens: number; completionTokens: number };
  /** The model stopped at max_tokens (finish_reason `length`): the answer may be cut off. */
  cutOff?: boolean;
}

export interface LlmClient {
  /** The model's key in the config's `models`. */
  readonly name: string;
  readonly model: string;
  complete(req: ChatRequest): Promise<ChatResult>;
}

export interface LlmClientDeps {
  env: Record<string, string | undefined>;
  log: Logger;
  /** First backoff step when the server gives no retry-after (doubles per retry, capped at 8 s). */
  retryBaseMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * A chat client for one configured model. Retries are loom's own loop: it caps a huge retry-after, takes an
 * injected backoff, and adapts to parameters the endpoint refuses (response_format, temperature, max_tokens),
 * remembering them for later calls. A missing API key is reported here, when the client is created.
 */
export function createLlmClient(name: string, model: ModelConfig, deps: LlmClientDeps): LlmClient {
  const { log } = deps;
  const { key, placeholder } = resolveApiKey(name, model, deps.env);
  if (!placeholder) {
    log.addSecret(key);
    log.addSecret(deps.env[model.api_key_env]);
  }
  const url = chatCompletionsUrl(model.base_url);
  const sleep = deps.sleep ?? abortableSleep;
  const baseMs = deps.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const where = `model ${model.model} at ${model.base_url}`;
  // Parameters this endpoint refused once; never sent again by this client.
  const refused = new Set<AdaptableParam>();

  const buildBody = (req: ChatRequest): CompletionBody => {
    const messages: CompletionBody['messages'] = [];
    if (req.system !== '') messages.push({ role: 'system', content: req.system });
    messages.push({ role: 'user', content: req.user });
    for (const turn of req.followUp ?? []) messages.push({ role: turn.role, content: turn.content });
    const body: CompletionBody = { model: model.model, messages, stream: false };
    if (!refused.has('temperature')) body.temperature = model.temperature;
    if (refused.has('max_tokens')) body.max_completion_tokens = model.max_tokens;
    else body.max_tokens = model.max_tokens;
    if (req.jsonSchema && !refused.has('response_format')) {
      body.response_format = responseFormat(req.jsonSchema);
    }
    return body;
  };

  const describe = (error: unknown, attempts: number, retried: boolean): LlmCallError => {
    const status = error instanceof ChatHttpError ? error.status : undefined;
    let reason: string;
    if (error instanceof ChatTimeoutError) reason = `timed out after ${model.timeout_s} s (models.${name}.timeout_s)`;
    else if (error instanceof ChatConnectionError) reason = connectionReason(error);
    else if (isCutConnection(error)) reason = 'the connection closed before the answer was complete';
    else reason = oneLine(error instanceof Error ? error.message : String(error));
    const hint = status === undefined ? '' : statusHint(status, name, model, placeholder);
    const tries = retried ? ` (gave up after ${attempts} attempts)` : '';
    return new LlmCallError(log.redact(`${where}: ${reason}${hint}${tries}`), { ...(status === undefined ? {} : { status }), attempts, cause: error });
  };

  const complete = async (req: ChatRequest): Promise<ChatResult> => {
    let attempts = 0;
    let retries = 0;
    /** Waits before the next retry: as long as the server asked (within a cap), else exponential backoff. */
    const backOff = async (error: unknown, what: string): Promise<void> => {
      const wait = retryWait(error, retries, baseMs);
      retries++;
      if (wait.capped) {
        log.debug(`${where} asked to wait ${Math.round((wait.askedMs ?? 0) / 1000)} s before retrying; loom waits at most ${MAX_RETRY_AFTER_MS / 1000} s`);
      }
      log.debug(log.redact(`${where}: ${oneLine(what)}; retry ${retries}/${model.max_retries} in ${wait.ms} ms`));
      await sleep(wait.ms, req.signal);
    };
    for (;;) {
      const body = buildBody(req);
      attempts++;
      let raw: string;
      try {
        raw = await postChatCompletion(url, { apiKey: key, headers: model.headers, body: encodeBody(body, req.shared), timeoutMs: model.timeout_s * 1000, ...(req.signal ? { signal: req.signal } : {}) });
      } catch (error) {
        if (req.signal?.aborted) throw req.signal.reason ?? error;
        const param = rejectedParam(error, {
          maxTokens: body.max_tokens !== undefined,
          temperature: body.temperature !== undefined,
          responseFormat: body.response_format !== undefined,
        });
        // The body carried the parameter, so adapting helps, even when a call in flight at the same time
        // already learnt the same refusal.
        if (param) {
          if (!refused.has(param)) log.debug(log.redact(`${where} refused ${param} (${oneLine(String((error as Error).message))}); ${adaptation(param)} from now on`));
          refused.add(param);
          continue;
        }
        if (isRetryable(error) && retries < model.max_retries) {
          await backOff(error, String((error as Error).message));
          continue;
        }
        throw describe(error, attempts, retries > 0);
      }
      const completion = readCompletion(raw);
      if (!completion) {
        const reason = `the answer is not a chat completion: ${oneLine(compactJson(raw)).slice(0, 200)}`;
        if (isPassingFailure(raw) && retries < model.max_retries) {
          await backOff(undefined, reason);
          continue;
        }
        throw describe(new Error(reason), attempts, retries > 0);
      }
      if (completion.finishReason === 'length') {
        log.warn(`${where} stopped at max_tokens (${model.max_tokens}), so the answer may be cut off; raise models.${name}.max_tokens`);
      }
      // Model output ends up in PR comments: a registered secret it echoes must not be posted.
      return { text: log.redact(completion.text), usage: completion.usage, ...(completion.finishReason === 'length' && { cutOff: true }) };
    }
  };

  return { name, model: model.model, complete };
}

function adaptation(param: AdaptableParam): string {
  if (param === 'max_tokens') return 'sending max_completion_tokens instead';
  return `not sending ${param}`;
}

function statusHint(status: number, name: string, model: ModelConfig, placeholder: boolean): string {
  if (status === 401 || status === 403) {
    return placeholder ? ` (the server wants an API key: set ${model.api_key_env})` : ` (check ${model.api_key_env})`;
  }
  if (status === 404) return ` (check models.${name}.model and models.${name}.base_url)`;
  return '';
}

function connectionReason(error: ChatConnectionError): string {
  const detail = connectionDetail(error);
  const hint =
    detail === 'ECONNREFUSED'
      ? ': is the server running?'
      : isCertificateCode(detail)
        ? ": the server's certificate is not trusted; if it is signed by your own CA, name that CA's file in NODE_EXTRA_CA_CERTS"
        : '';
  return `connection failed${detail ? ` (${oneLine(detail)})` : ''}${hint}`;
}

/** A JSON answer as one compact line (the server may pretty-print it); anything else as it came. */
function compactJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The `response_format` that asks for JSON matching a schema, as loom sends it. */
export function responseFormat(jsonSchema: NonNullable<ChatRequest['jsonSchema']>): NonNullable<CompletionBody['response_format']> {
  return { type: 'json_schema', json_schema: { name: jsonSchema.name, schema: jsonSchema.schema, strict: false } };
}

/** The request body of POST /chat/completions as loom sends it. */
interface CompletionBody {
  model: string;
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  stream: false;
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  response_format?: { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict: boolean } };
}
