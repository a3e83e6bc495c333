import type { Report } from '../report.ts';
import { formatCodeQuality } from './codequality.ts';
import type { FormatOptions } from './format-options.ts';
import { formatJson } from './json.ts';
import { formatMarkdown } from './markdown.ts';
import { formatSarif } from './sarif.ts';
import { formatText } from './text.ts';

export type { FormatOptions } from './format-options.ts';

export const FORMAT_IDS = ['text', 'markdown', 'json', 'sarif', 'codequality'] as const;
export type FormatId = (typeof FORMAT_IDS)[number];
export type Formatter = (report: Report, opts?: FormatOptions) => string;

/** Pure: the same report and options always give the same string (no clock, env or I/O). */
export const formats = {
  text: formatText,
  markdown: formatMarkdown,
  json: formatJson,
  sarif: formatSarif,
  codequality: formatCodeQuality,
} satisfies Record<FormatId, Formatter>;

export function isFormatId(s: string): s is FormatId {
  return (FORMAT_IDS as readonly string[]).includes(s);
}
