import type { core } from 'zod/mini';
import type { Document, LineCounter } from 'yaml';
import { didYouMean } from './did-you-mean.ts';
import type { ConfigIssue } from './issues.ts';
import { allowedKeys, EXPECTED, expectedAt } from './schema-walk.ts';
import { locateKey, locateValue, type ConfigPath } from './yaml-locate.ts';

/** `pipelines[0].severity`: the spelling people see in docs and can search the file for. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function valueAt(data: unknown, path: ConfigPath): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[String(segment)];
  }
  return current;
}

// Header values and api_key_env are where people paste credentials by mistake; never echo those back.
const mayEcho = (path: ConfigPath) => !path.includes('headers') && path[path.length - 1] !== 'api_key_env';

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function got(data: unknown, path: ConfigPath): string {
  const value = valueAt(data, path);
  if (!mayEcho(path) && typeof value === 'string') return '';
  let hint = '';
  if (typeof value === 'string' && /^(-?\d+(\.\d+)?|true|false)$/.test(value.trim())) hint = '; remove the quotes';
  return ` (got ${describeValue(value)}${hint})`;
}

// Patterns in the schema without their own message, said in words.
const PATTERN_WORDS: Record<string, string> = {
  '/^[A-Za-z0-9][A-Za-z0-9_.-]*$/': 'start with a letter or digit and use only letters, digits, "-", "_" or "."',
};

function formatRule(issue: { message: string; pattern?: string; format?: string }): string {
  if (issue.format === 'url') return 'must be an http(s) URL such as https://api.openai.com/v1';
  if (issue.format === 'regex' && issue.pattern) {
    if (!issue.message.startsWith('Invalid')) return issue.message;
    return PATTERN_WORDS[issue.pattern] ?? `must match the pattern ${issue.pattern}`;
  }
  return issue.message.startsWith('Invalid') ? `must be a valid ${issue.format ?? 'value'}` : issue.message;
}

function plural(n: number | bigint, word: string): string {
  return `${n} ${word}${Number(n) === 1 ? '' : 's'}`;
}

interface Context {
  doc: Document;
  lines: LineCounter;
  data: unknown;
  schema: core.$ZodType;
}

function error(position: { line: number; col: number }, message: string): ConfigIssue {
  return { severity: 'error', line: position.line, col: position.col, message };
}

function prefixed(path: ConfigPath, message: string): string {
  const where = formatPath(path);
  return where ? `${where}: ${message}` : message;
}

function fromIssue(issue: core.$ZodIssue, ctx: Context): ConfigIssue[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  const at = () => locateValue(ctx.doc, ctx.lines, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const allowed = allowedKeys(ctx.schema, path);
        const suggestion = didYouMean(key, allowed);
        const hint = suggestion ? `did you mean "${suggestion}"?` : `allowed: ${allowed.join(', ')}`;
        return error(locateKey(ctx.doc, ctx.lines, path, key), prefixed(path, `unknown key "${key}" (${hint})`));
      });
    case 'invalid_type': {
      const parent = path.slice(0, -1);
      const last = path[path.length - 1];
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (last !== undefined && valueAt(ctx.data, path) === undefined && valueAt(ctx.data, parent) !== undefined) {
        const what = expectedAt(ctx.schema, path) ?? expected;
        return [error(locateValue(ctx.doc, ctx.lines, parent), prefixed(parent, `missing required key "${last}" (${what})`))];
      }
      if (path.length === 0) {
        return [error(at(), `the top level must be a mapping of settings such as models and pipelines${got(ctx.data, path)}`)];
      }
      return [error(at(), prefixed(path, `must be ${expected}${got(ctx.data, path)}`))];
    }
    case 'invalid_value':
      return [error(at(), prefixed(path, `must be one of ${issue.values.map(String).join(', ')}${got(ctx.data, path)}`))];
    case 'too_small': {
      const n = issue.minimum;
      const rule =
        issue.origin === 'array' || issue.origin === 'set'
          ? `must have at least ${plural(n, 'item')}`
          : issue.origin === 'string'
            ? Number(n) === 1
              ? 'must not be empty'
              : `must be at least ${plural(n, 'character')} long`
            : issue.inclusive
              ? `must be at least ${n}`
              : `must be greater than ${n}`;
      return [error(at(), prefixed(path, `${rule}${got(ctx.data, path)}`))];
    }
    case 'too_big': {
      const n = issue.maximum;
      const rule =
        issue.origin === 'array' || issue.origin === 'set'
          ? `must have at most ${plural(n, 'item')}`
          : issue.origin === 'string'
            ? `must be at most ${plural(n, 'character')} long`
            : issue.inclusive
              ? `must be at most ${n}`
              : `must be less than ${n}`;
      return [error(at(), prefixed(path, `${rule}${got(ctx.data, path)}`))];
    }
    case 'invalid_format':
      return [error(at(), prefixed(path, formatRule(issue)))];
    case 'invalid_key': {
      const parent = path.slice(0, -1);
      const key = String(path[path.length - 1] ?? '');
      const inner = issue.issues[0];
      const rule = inner && inner.code === 'invalid_format' ? formatRule(inner) : (inner?.message ?? issue.message);
      return [error(locateKey(ctx.doc, ctx.lines, parent, key), prefixed(parent, `invalid name "${key}": names must ${rule.replace(/^must /, '')}`))];
    }
    default:
      return [error(at(), prefixed(path, issue.message))];
  }
}

/** Every zod issue as a located, plain-English ConfigIssue. */
export function zodIssuesToConfigIssues(issues: readonly core.$ZodIssue[], ctx: Context): ConfigIssue[] {
  return issues.flatMap((issue) => fromIssue(issue, ctx));
}
