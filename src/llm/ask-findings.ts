import type { SharedText } from './body-json.ts';
import { responseFormat, type LlmClient } from './client.ts';
import { ReplyParseError } from './errors.ts';
import { FINDINGS_JSON_SCHEMA, parseFindingsReply, type RawFinding } from './reply.ts';

export { LlmCallError, ReplyParseError } from './errors.ts';

const SCHEMA = { name: 'loom_findings', schema: FINDINGS_JSON_SCHEMA };

/**
 * The findings schema as every review call asks for it (response_format), as text. Servers that enforce it through
 * the prompt count it as prompt tokens (OpenAI's structured outputs do, ~230 o200k tokens), so planning counts it as
 * part of each call's fixed cost.
 */
export const FINDINGS_FORMAT_TEXT = JSON.stringify(responseFormat(SCHEMA));

const CONTRACT =
  'Answer with only a JSON array of findings, no prose and no code fence: ' +
  '[{"file": "src/db.ts", "line": 42, "end_line": 44, "side": "new", "severity": "warning", ' +
  '"title": "one line", "body": "markdown explanation", "suggestion": "replacement for lines 42-44"}]. ' +
  '"end_line", "side" ("old" for a removed line), "severity" and "suggestion" are optional. ' +
  '{"findings": [...]} is accepted too. Answer [] when there is nothing to report.';

/**
 * One review call: asks for findings JSON and, when the answer cannot be parsed, asks once more with the
 * parse error and the contract, so a model that drifted into prose gets one chance to correct itself.
 */
export async function askForFindings(
  llm: LlmClient,
  prompt: { system: string; user: string; shared?: SharedText },
  opts: { signal?: AbortSignal } = {},
): Promise<{ findings: RawFinding[]; dropped: string[]; usage: { promptTokens: number; completionTokens: number }; calls: number; cutOff?: boolean; firstPromptTokens: number }> {
  const base = { system: prompt.system, user: prompt.user, jsonSchema: SCHEMA, ...(prompt.shared !== undefined ? { shared: prompt.shared } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
  const first = await llm.complete(base);
  const usage = { ...first.usage };
  // The prompt tokens the server reported for the first call alone: the one that sent the prompt as loom built it
  // (a second call repeats it, and a server with a prompt cache may count only what it had not seen).
  const firstPromptTokens = first.usage.promptTokens;
  const parsed = parseFindingsReply(first.text);
  // An answer cut at max_tokens can still parse (the findings before the cut): it says so, for the report.
  if (parsed.ok) return { findings: parsed.findings, dropped: parsed.dropped, usage, calls: 1, firstPromptTokens, ...(first.cutOff && { cutOff: true }) };

  const second = await llm.complete({
    ...base,
    followUp: [
      { role: 'assistant', content: first.text.trim() === '' ? '(empty answer)' : first.text },
      { role: 'user', content: `Your answer could not be parsed: ${parsed.error}. ${CONTRACT}` },
    ],
  });
  usage.promptTokens += second.usage.promptTokens;
  usage.completionTokens += second.usage.completionTokens;
  const reparsed = parseFindingsReply(second.text);
  if (reparsed.ok) return { findings: reparsed.findings, dropped: reparsed.dropped, usage, calls: 2, firstPromptTokens, ...(second.cutOff && { cutOff: true }) };

  // The client already redacted registered secrets from the text it returned.
  const quoted = JSON.stringify(second.text.slice(0, 200));
  throw new ReplyParseError(
    `${llm.name} (${llm.model}): the answer could not be parsed as findings JSON (${reparsed.error}), also after asking again: ${quoted}`,
    { usage, calls: 2 },
  );
}
