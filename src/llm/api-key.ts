import type { ModelConfig } from '../config/schema.ts';
import { LoomError } from '../errors.ts';

/** Sent to local servers (Ollama, llama.cpp, vLLM) that need no key; an empty key would send a malformed `Authorization: Bearer ` header. */
export const PLACEHOLDER_API_KEY = 'loom-no-key';

/**
 * The key from `env[api_key_env]`. Without one, a loopback or private-network endpoint gets a placeholder
 * (local servers ignore it); a public one cannot work, so loom stops and says which variable to set.
 */
export function resolveApiKey(name: string, model: ModelConfig, env: Record<string, string | undefined>): { key: string; placeholder: boolean } {
  const key = env[model.api_key_env];
  if (key !== undefined && key.trim() !== '') return { key: key.trim(), placeholder: false };
  if (isLocalBaseUrl(model.base_url)) return { key: PLACEHOLDER_API_KEY, placeholder: true };
  throw new LoomError('llm-failed', `set ${model.api_key_env} (models.${name}.api_key_env) to call ${model.model} at ${model.base_url}`);
}

/** Loopback, private IPv4 ranges, localhost and mDNS names: addresses that cannot be a paid public API. */
export function isLocalBaseUrl(baseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local')) return true;
  if (host === '::1') return true;
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!ipv4) return false;
  const a = Number(ipv4[1]);
  const b = Number(ipv4[2]);
  return a === 127 || a === 10 || (a === 192 && b === 168) || (a === 172 && b >= 16 && b <= 31) || host === '0.0.0.0';
}
