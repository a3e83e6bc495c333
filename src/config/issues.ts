/** One problem in a config file, located for `file:line:col` output (1-based line and column). */
export interface ConfigIssue {
  severity: 'error' | 'warning';
  line: number;
  col: number;
  message: string;
}

/** `file:line:col: message`, the format editors and CI log parsers link to. */
export function formatIssue(file: string, issue: ConfigIssue): string {
  const kind = issue.severity === 'warning' ? 'warning: ' : '';
  return `${file}:${issue.line}:${issue.col}: ${kind}${issue.message}`;
}

/** Document order, so the output reads top to bottom like the file. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

export function hasErrors(issues: ConfigIssue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}
