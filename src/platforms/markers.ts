/**
 * Hidden markers let a re-run find what loom posted before. HTML comments are invisible on GitHub, GitLab,
 * Gitea and Azure; Bitbucket shows them, so there loom uses an empty link reference definition instead.
 */
export type MarkerStyle = 'html' | 'link-ref';

const FP = /(?:<!-- loom:fp=([0-9a-f]{8,64}) -->|\[\/\/\]: # \(loom:fp=([0-9a-f]{8,64})\))/;
// loom writes the summary marker first, so a comment that merely quotes or mentions it is not a summary.
const SUMMARY = /^\s*(?:<!-- loom:summary -->|\[\/\/\]: # \(loom:summary\))/;

export function fingerprintMarker(fingerprint: string, style: MarkerStyle): string {
  return style === 'html' ? `<!-- loom:fp=${fingerprint} -->` : `[//]: # (loom:fp=${fingerprint})`;
}

export function summaryMarker(style: MarkerStyle): string {
  return style === 'html' ? '<!-- loom:summary -->' : '[//]: # (loom:summary)';
}

export function readFingerprint(body: string): string | undefined {
  const match = FP.exec(body);
  return match?.[1] ?? match?.[2];
}

export function isSummary(body: string): boolean {
  return SUMMARY.test(body);
}
