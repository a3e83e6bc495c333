/**
 * The part of a configured model name that identifies the model: lower case, without a provider or
 * organisation prefix (`openai/gpt-4o`, `meta-llama/Llama-3.1-8B`) and without an Ollama tag (`:8b`).
 */
export function modelKey(name: string): string {
  const last = name.trim().toLowerCase().split('/').at(-1) ?? '';
  const tag = last.indexOf(':');
  return tag >= 0 ? last.slice(0, tag) : last;
}
