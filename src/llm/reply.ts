import type { Severity, Side } from '../findings/finding.ts';
import { jsonValuesIn } from './json-in-text.ts';

/** A finding as the model stated it, before it is checked against the diff and given a pipeline. */
export interface RawFinding {
  file: string;
  line: number;
  endLine?: number;
  side: Side;
  /** Absent when the model gave none or one loom does not know: the pipeline's default applies. */
  severity?: Severity;
  title: string;
  body: string;
  suggestion?: string;
}

export type ParsedReply =
  | { ok: true; findings: RawFinding[]; /** reasons for individual invalid items */ dropped: string[] }
  | { ok: false; error: string };

/** Sent as response_format. An object at the top because json_schema mode requires one; the parser takes both. */
export const FINDINGS_JSON_SCHEMA: Record<string, unknown> = {
  type: 'object',
  properties: {
    findings: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          file: { type: 'string', description: 'Repository-relative path of the file' },
          line: { type: 'integer', minimum: 1, description: 'Line number as shown in the diff (old file line when side is "old")' },
          end_line: { type: 'integer', minimum: 1, description: 'Last line, when the finding spans several lines' },
          side: { type: 'string', enum: ['new', 'old'], description: '"old" for a removed line, otherwise "new"' },
          severity: { type: 'string', enum: ['blocker', 'warning', 'info'] },
          title: { type: 'string', description: 'One line' },
          body: { type: 'string', description: 'Markdown explanation' },
          suggestion: { type: 'string', description: 'Replacement code for line..end_line' },
        },
        required: ['file', 'line', 'title', 'body'],
        additionalProperties: false,
      },
    },
  },
  required: ['findings'],
  additionalProperties: false,
};

const LIST_KEYS = ['findings', 'results', 'issues', 'comments'];
const FILE_KEYS = ['file', 'path', 'filename', 'file_path', 'filePath'];
const LINE_KEYS = ['line', 'line_number', 'lineNumber', 'start_line', 'startLine'];
const END_KEYS = ['end_line', 'endLine', 'line_end', 'lineEnd'];
const BODY_KEYS = ['body', 'message', 'description', 'comment', 'explanation', 'details'];
const TITLE_KEYS = ['title', 'summary'];

// A Map, not an object literal: "constructor" from a model must not find Object.prototype's.
const SEVERITY_SYNONYMS = new Map<string, Severity>([
  ...(['blocker', 'critical', 'high', 'error', 'severe', 'fatal'] as const).map((k) => [k, 'blocker'] as const),
  ...(['warning', 'warn', 'medium', 'major', 'moderate'] as const).map((k) => [k, 'warning'] as const),
  ...(['info', 'low', 'minor', 'nit', 'nitpick', 'note', 'trivial', 'suggestion'] as const).map((k) => [k, 'info'] as const),
]);
const OLD_SIDE = new Set(['old', 'left', 'deleted', 'removed', 'base']);

/**
 * Reads the findings contract out of a model's answer, tolerating the usual deviations (fences, prose around
 * the JSON, an object wrapper, aliased keys, line ranges as strings). Invalid items are dropped with a reason;
 * an answer without findings JSON at all is an error, so the caller can ask once more. Never throws.
 */
export function parseFindingsReply(text: string): ParsedReply {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, error: 'the answer was empty' };
  let sawJson = false;
  let empty = false;
  for (const value of jsonValuesIn(text)) {
    sawJson = true;
    const items = findingsList(value);
    if (!items) continue;
    // A `[]` in the prose ("returns [] when ...") must not hide the findings that follow it.
    if (items.length === 0) {
      empty = true;
      continue;
    }
    const findings: RawFinding[] = [];
    const dropped: string[] = [];
    items.forEach((item, i) => {
      const result = toFinding(item, i + 1);
      if (typeof result === 'string') dropped.push(result);
      else findings.push(result);
    });
    return { ok: true, findings, dropped };
  }
  if (empty) return { ok: true, findings: [], dropped: [] };
  return {
    ok: false,
    error: sawJson
      ? 'the JSON in the answer is not a list of findings (expected [...] or {"findings": [...]})'
      : 'the answer contains no JSON',
  };
}

function findingsList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value.length === 0 || value.some(isRecord) ? value : undefined;
  if (!isRecord(value)) return undefined;
  for (const key of Object.keys(value)) {
    const list = value[key];
    if (LIST_KEYS.includes(key.toLowerCase()) && Array.isArray(list)) return list;
  }
  // A lone finding object, as some models answer when there is exactly one.
  const single = FILE_KEYS.some((k) => k in value) && LINE_KEYS.some((k) => k in value);
  return single ? [value] : undefined;
}

function toFinding(item: unknown, n: number): RawFinding | string {
  if (!isRecord(item)) return `finding ${n}: not an object`;
  const file = firstString(item, FILE_KEYS);
  if (!file) return `finding ${n}: no "file"`;
  const lineValue = firstDefined(item, LINE_KEYS);
  const range = lineRange(lineValue);
  if (!range) return `finding ${n} (${file}): no valid "line" (got ${preview(lineValue)})`;

  const body = firstString(item, BODY_KEYS) ?? '';
  const title = firstString(item, TITLE_KEYS) ?? titleFrom(body);
  if (!title) return `finding ${n} (${file}:${range.line}): no "title" or "body"`;

  const finding: RawFinding = { file, line: range.line, side: sideOf(item['side']), title, body };
  const explicitEnd = lineRange(firstDefined(item, END_KEYS))?.line;
  const end = explicitEnd ?? range.end;
  if (end !== undefined && end > range.line) finding.endLine = end;
  const severity = typeof item['severity'] === 'string' ? SEVERITY_SYNONYMS.get(item['severity'].trim().toLowerCase()) : undefined;
  if (severity) finding.severity = severity;
  const suggestion = typeof item['suggestion'] === 'string' ? unfence(item['suggestion']) : undefined;
  // A blank suggestion would read as "delete these lines" on platforms with committable suggestions.
  if (suggestion !== undefined && suggestion.trim() !== '') finding.suggestion = suggestion;
  return finding;
}

/** 42, "42", "L42", "42-44", "42–44", "42:44", "42..44" */
function lineRange(value: unknown): { line: number; end?: number } | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? { line: value } : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*L?(\d{1,9})(?:\s*(?:-|–|—|:|\.\.|to)\s*L?(\d{1,9}))?\s*$/i.exec(value);
  if (!m) return undefined;
  const line = Number(m[1]);
  if (line <= 0) return undefined;
  return m[2] === undefined ? { line } : { line, end: Number(m[2]) };
}

function sideOf(value: unknown): Side {
  return typeof value === 'string' && OLD_SIDE.has(value.trim().toLowerCase()) ? 'old' : 'new';
}

/** The first sentence of the body's first line, at most 80 characters. */
function titleFrom(body: string): string {
  const firstLine = body.split('\n').map((l) => l.replace(/^[#>*\s-]+/, '').trim()).find((l) => l !== '') ?? '';
  const sentence = /^(.+?[.!?])(?:\s|$)/.exec(firstLine)?.[1] ?? firstLine;
  return sentence.length > 80 ? `${sentence.slice(0, 79).trimEnd()}…` : sentence;
}

/** Models often wrap the replacement in a ``` fence; the suggestion is the code alone. */
function unfence(text: string): string {
  const m = /^\s*```[^\n]*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return m ? (m[1] ?? '') : text;
}

function firstString(item: Record<string, unknown>, keys: string[]): string | undefined {
  for (const key of keys) {
    const value = item[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

function firstDefined(item: Record<string, unknown>, keys: string[]): unknown {
  for (const key of keys) if (item[key] !== undefined && item[key] !== null) return item[key];
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function preview(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
