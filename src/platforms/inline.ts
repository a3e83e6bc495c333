import type { DiffIndex } from '../findings/diff-index.ts';
import type { Finding, Severity } from '../findings/finding.ts';
import { fencedBlock, inlineText } from '../report/formats/markdown-escape.ts';
import { defuseTitle, sanitizeMarkdownBody } from '../report/formats/markdown-body.ts';
import { fingerprintMarker, type MarkerStyle } from './markers.ts';
import { truncateMarkdown } from './summary.ts';
import type { Anchor, SuggestionStyle } from './types.ts';

const ICON: Record<Severity, string> = { blocker: '🔴', warning: '🟡', info: '🔵' };

/**
 * Where a finding can be posted inline, from the local diff; undefined when it cannot (the finding then goes
 * into the summary). A range is kept only when every line of it is in the same hunk on the same side.
 */
export function anchorFor(finding: Finding, index: DiffIndex): Anchor | undefined {
  if (!finding.inDiff) return undefined;
  const clamped = index.anchor(finding.path, finding.side, finding.line, finding.endLine);
  if (!clamped) return undefined;
  const first = clamped.line;
  const last = clamped.endLine ?? clamped.line;
  const lastPair = index.pair(finding.path, finding.side, last);
  if (!lastPair) return undefined;
  const anchor: Anchor = { path: finding.path, oldPath: index.oldPath(finding.path) ?? finding.path, side: finding.side, line: last, ...lastPair };
  if (last > first) {
    const firstPair = index.pair(finding.path, finding.side, first);
    anchor.startLine = first;
    if (firstPair?.oldLine !== undefined) anchor.startOldLine = firstPair.oldLine;
    if (firstPair?.newLine !== undefined) anchor.startNewLine = firstPair.newLine;
    // Only a range names line codes (GitLab's line_range).
    const counters = index.counters(finding.path, finding.side, last);
    const startCounters = index.counters(finding.path, finding.side, first);
    if (counters && startCounters) Object.assign(anchor, { counters, startCounters });
  }
  return anchor;
}

/**
 * The body of an inline comment: untrusted model text sanitised (no HTML, no forged markers, no pings), the
 * suggestion in the platform's committable syntax where it has one, and loom's fingerprint marker last.
 */
export function renderInlineBody(
  finding: Finding,
  anchor: Anchor,
  opts: { suggestionStyle: SuggestionStyle; markerStyle: MarkerStyle; maxChars: number; index: DiffIndex },
): string {
  const marker = fingerprintMarker(finding.fingerprint, opts.markerStyle);
  const head = `**${ICON[finding.severity]} ${inlineText(defuseTitle(finding.title))}**`;
  const footer = `<sub>loom · ${inlineText(finding.pipeline)} · ${finding.severity}</sub>`;
  const body = sanitizeMarkdownBody(finding.body);
  const suggestion = finding.suggestion !== undefined && anchor.side === 'new' ? suggestionBlock(finding.suggestion, anchor, opts) : '';
  const full = [head, body, suggestion, footer].filter((s) => s !== '').join('\n\n');
  const room = opts.maxChars - marker.length - 2;
  // Cut fence-aware: a code block left open would show the marker below it as code.
  const text = truncateMarkdown(full, room);
  return `${text}\n\n${marker}`;
}

function suggestionBlock(text: string, anchor: Anchor, opts: { suggestionStyle: SuggestionStyle; index: DiffIndex }): string {
  const replacement = text.replace(/\n$/, '');
  if (opts.suggestionStyle === 'github') return fencedBlock(replacement, 'suggestion');
  if (opts.suggestionStyle === 'gitlab') {
    // GitLab anchors on the last line of the range and counts the lines above it that the suggestion replaces.
    const above = anchor.startLine !== undefined ? anchor.line - anchor.startLine : 0;
    return fencedBlock(replacement, 'suggestion').replace(/^(`{3,})suggestion/, `$1suggestion:-${above}+0`);
  }
  const old: string[] = [];
  for (let n = anchor.startLine ?? anchor.line; n <= anchor.line; n++) old.push(opts.index.lineText(anchor.path, 'new', n) ?? '');
  const diff = [...old.map((l) => `-${l}`), ...replacement.split('\n').map((l) => `+${l}`)].join('\n');
  return `Suggested change:\n\n${fencedBlock(diff, 'diff')}`;
}
