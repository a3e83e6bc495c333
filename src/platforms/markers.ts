/**
 * Hidden markers let a re-run find what loom posted before. HTML comments are invisible on GitHub, GitLab,
 * Gitea and Azure; Bitbucket shows them, so there loom uses an empty link reference definition instead.
 */
export type MarkerStyle = 'html' | 'link-ref';

const FP_ALL = /(?:<!-- loom:fp=([0-9a-f]{8,64}) -->|\[\/\/\]: # \(loom:fp=([0-9a-f]{8,64})\))/g;
// loom writes the summary marker first, so a comment that merely quotes or mentions it is not a summary.
const SUMMARY = /^\s*(?:<!-- loom:summary -->|\[\/\/\]: # \(loom:summary\))/;

export function fingerprintMarker(fingerprint: string, style: MarkerStyle): string {
  return style === 'html' ? `<!-- loom:fp=${fingerprint} -->` : `[//]: # (loom:fp=${fingerprint})`;
}

export function summaryMarker(style: MarkerStyle): string {
  return style === 'html' ? '<!-- loom:summary -->' : '[//]: # (loom:summary)';
}

/**
 * The fingerprint of loom's marker, which it writes last: a marker-like line earlier in the body (inside a
 * suggested change, code kept as written) is not loom's.
 */
export function readFingerprint(body: string): string | undefined {
  let last: RegExpExecArray | undefined;
  for (const match of body.matchAll(FP_ALL)) last = match;
  return last?.[1] ?? last?.[2];
}

export function isSummary(body: string): boolean {
  return SUMMARY.test(body);
}
