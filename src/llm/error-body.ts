/**
 * OpenAI's error shape is `{"error": {"message"}}`; vLLM (`{"message"}`), FastAPI servers (`{"detail"}`), proxies
 * (`{"error": "..."}`, HTML, plain text) answer otherwise. Read in OpenAI's shape, every reason reaches the user
 * and the parameter fallbacks. `undefined` when the body is empty.
 */
export function openAiErrorBody(text: string): { error: OpenAiError } | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { error: { message: plainText(trimmed) } };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { error: { message: plainText(trimmed) } };
  const obj = json as Record<string, unknown>;
  const err = obj['error'];
  if (err && typeof err === 'object' && typeof (err as Record<string, unknown>)['message'] === 'string') return { error: err as OpenAiError };
  if (typeof err === 'string') return { error: { message: err } };
  if (typeof obj['message'] === 'string') {
    return { error: { message: obj['message'], type: obj['type'], code: obj['code'], param: obj['param'] } };
  }
  const detail = obj['detail'];
  if (typeof detail === 'string') return { error: { message: detail } };
  if (Array.isArray(detail)) return { error: { message: detail.map(validationIssue).join('; ') } };
  return { error: { message: plainText(trimmed) } };
}

export interface OpenAiError {
  message: string;
  type?: unknown;
  code?: unknown;
  param?: unknown;
}

/** FastAPI/pydantic validation items: `{loc: ["body", "response_format"], msg: "Extra inputs are not permitted"}`. */
function validationIssue(item: unknown): string {
  if (!item || typeof item !== 'object') return String(item);
  const { loc, msg } = item as { loc?: unknown; msg?: unknown };
  const where = Array.isArray(loc) ? loc.join('.') : '';
  const what = typeof msg === 'string' ? msg : JSON.stringify(item);
  return where ? `${where}: ${what}` : what;
}

/** HTML error pages from proxies become one short line of their text. */
function plainText(text: string): string {
  const flat = text.startsWith('<') ? text.replace(/<[^>]*>/g, ' ') : text;
  const line = flat.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
