import type { ModelConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { resolveApiKey } from './api-key.ts';

export interface ChatTurn {
  role: 'assistant' | 'user';
  content: string;
}

export interface ChatRequest {
  system: string;
  user: string;
  /** Turns after the first user message: e.g. the model's unparseable answer and the request to fix it. */
  followUp?: ChatTurn[];
  /** ask for JSON matching this schema via response_format */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  signal?: AbortSignal;
}

export interface ChatResult {
  text: string;
  usage: { promptTokens: number; completionTokens: number };
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
  fetch?: typeof fetch;
}

/**
 * A chat client for one configured model. The openai SDK behind it (client-sdk.ts) is loaded on the first call,
 * so a run that never calls a model (no model connected, a skipped review, config check) never pays for it.
 * A missing API key is still reported here, when the client is created.
 */
export function createLlmClient(name: string, model: ModelConfig, deps: LlmClientDeps): LlmClient {
  const { key, placeholder } = resolveApiKey(name, model, deps.env);
  if (!placeholder) deps.log.addSecret(key);
  let sdk: Promise<LlmClient> | undefined;
  return {
    name,
    model: model.model,
    async complete(req) {
      sdk ??= import('./client-sdk.ts').then((m) => m.createSdkClient(name, model, deps));
      return (await sdk).complete(req);
    },
  };
}
