import YAML, { LineCounter, type YAMLError } from 'yaml';
import { hasErrors, sortIssues, type ConfigIssue } from './issues.ts';
import { LoomConfig } from './schema.ts';
import { semanticIssues } from './semantic-checks.ts';
import { zodIssuesToConfigIssues } from './zod-issues.ts';

export interface CheckOptions {
  /** The path shown to the user; issues carry only line and column, callers format them with it. */
  file: string;
  /** Repository root: prompt_file and guidelines are relative to it. */
  cwd: string;
  env: Record<string, string | undefined>;
}

export interface CheckResult {
  /** Present only when there is no error-severity issue. */
  config?: LoomConfig;
  issues: ConfigIssue[];
}

function yamlIssue(severity: ConfigIssue['severity'], e: YAMLError, text: string, lines: LineCounter): ConfigIssue {
  const { line, col } = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
  let message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  if (e.code === 'DUPLICATE_KEY') {
    const key = /^\s*["']?([^"':\n]*)/.exec(text.slice(e.pos[0]))?.[1]?.trim();
    message = key ? `duplicate key "${key}"; each key may appear only once in a mapping` : 'duplicate key; each key may appear only once in a mapping';
  } else {
    message = `invalid YAML: ${message}`;
  }
  return { severity, line, col, message };
}

/**
 * Validates config file text and reports every problem found, in file order: YAML syntax, unknown keys,
 * wrong types and values, then cross-references and files on disk once the shape is right.
 */
export function checkConfigText(text: string, opts: CheckOptions): CheckResult {
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { prettyErrors: true, lineCounter: lines });
  const issues: ConfigIssue[] = [
    ...doc.errors.map((e) => yamlIssue('error', e, text, lines)),
    ...doc.warnings.map((w) => yamlIssue('warning', w, text, lines)),
  ];
  // A duplicate key leaves a usable document, so its other problems are worth reporting too;
  // after a syntax error the tree is a guess and schema messages would only add noise.
  if (doc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) return { issues: sortIssues(issues) };

  let data: unknown;
  try {
    // An empty file (or only comments) means "all defaults".
    data = doc.toJS() ?? {};
  } catch (e) {
    issues.push({ severity: 'error', line: 1, col: 1, message: `invalid YAML: ${(e as Error).message}` });
    return { issues: sortIssues(issues) };
  }

  const parsed = LoomConfig.safeParse(data);
  if (!parsed.success) {
    issues.push(...zodIssuesToConfigIssues(parsed.error.issues, { doc, lines, data, schema: LoomConfig }));
    return { issues: sortIssues(issues) };
  }
  issues.push(...semanticIssues(parsed.data, { doc, lines, cwd: opts.cwd, env: opts.env }));
  const sorted = sortIssues(issues);
  return hasErrors(sorted) ? { issues: sorted } : { config: parsed.data, issues: sorted };
}
