import { ChatHttpError } from './chat-endpoint.ts';

/** Request parameters some endpoints refuse, and that loom can drop or rename and try again. */
export type AdaptableParam = 'max_tokens' | 'temperature' | 'response_format';

export interface SentParams {
  maxTokens: boolean;
  temperature: boolean;
  responseFormat: boolean;
}

/**
 * Which of the parameters we sent a 400/422 blames, if any. Order matters: OpenAI's max_tokens refusal says
 * "not supported" too, and must not be mistaken for a refused response_format.
 */
export function rejectedParam(error: unknown, sent: SentParams): AdaptableParam | undefined {
  if (!(error instanceof ChatHttpError) || (error.status !== 400 && error.status !== 422)) return undefined;
  const text = `${error.param ?? ''} ${error.message}`.toLowerCase();
  // "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
  if (sent.maxTokens && /\bmax_tokens\b/.test(text) && /max_completion_tokens|unsupported|not supported/.test(text)) return 'max_tokens';
  // "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is supported."
  if (sent.temperature && /\btemperature\b/.test(text)) return 'temperature';
  if (!sent.responseFormat) return undefined;
  if (/response_format|json_schema|json_object|structured output|guided_json/.test(text)) return 'response_format';
  // A vague refusal that names no other parameter: response_format is the one servers most often lack.
  const namesOther = /max_tokens|max_completion_tokens|temperature/.test(text);
  if (!namesOther && /not supported|unsupported|not permitted|unrecognized|unknown (field|param)|extra (inputs|fields)/.test(text)) return 'response_format';
  return undefined;
}
