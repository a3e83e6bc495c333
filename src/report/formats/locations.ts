import type { Finding } from '../../findings/finding.ts';

/** `42` or `42-44`. */
export function lineRange(f: Pick<Finding, 'line' | 'endLine'>): string {
  return f.endLine !== undefined && f.endLine > f.line ? `${f.line}-${f.endLine}` : String(f.line);
}

/** The end line when the finding spans more than one line, so single-line findings carry no redundant end. */
export function spanEnd(f: Pick<Finding, 'line' | 'endLine'>): number | undefined {
  return f.endLine !== undefined && f.endLine > f.line ? f.endLine : undefined;
}

/** Why a finding is listed but not posted on its line, or undefined when it can be. */
export function notInline(f: Pick<Finding, 'inDiff' | 'notShown'>): string | undefined {
  if (f.inDiff) return undefined;
  return f.notShown ? 'a line its model call was not shown' : 'outside the diff';
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** Findings grouped by path, groups in order of first appearance (so the most severe file comes first). */
export function groupByPath(findings: readonly Finding[]): [string, Finding[]][] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const group = groups.get(f.path);
    if (group) group.push(f);
    else groups.set(f.path, [f]);
  }
  return [...groups];
}
