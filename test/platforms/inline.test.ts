import { describe, expect, it } from 'vitest';
import { buildFinding, type FindingDraft } from '../../src/findings/build.ts';
import { indexDiff } from '../../src/findings/diff-index.ts';
import { anchorFor, renderInlineBody } from '../../src/platforms/inline.ts';
import { fingerprintMarker, readFingerprint } from '../../src/platforms/markers.ts';
import { renderSummary, truncateMarkdown } from '../../src/platforms/summary.ts';
import { fileDiff } from '../helpers/file-diff.ts';
import { makeReport } from '../helpers/make-report.ts';

const files = [
  fileDiff('src/a.ts', [
    { oldStart: 10, newStart: 10, lines: [' ctx10', '-old11', '+new11', '+new12', ' ctx13'] },
    { oldStart: 40, newStart: 41, lines: [' ctx41', '+new42'] },
  ]),
  fileDiff('src/b.ts', [{ oldStart: 1, newStart: 1, lines: ['+x'] }], { oldPath: 'src/old-b.ts', status: 'renamed' }),
];
const index = indexDiff(files);
const finding = (over: Partial<FindingDraft>) => buildFinding({ path: 'src/a.ts', line: 11, side: 'new', severity: 'warning', pipeline: 'review', ruleId: 'review', title: 'T', body: 'B', ...over }, index);
const opts = (style: 'github' | 'gitlab' | 'diff') => ({ suggestionStyle: style, markerStyle: 'html' as const, maxChars: 60_000, index });

describe('anchorFor', () => {
  it('gives an added line its new number only, a context line both, a removed line its old number', () => {
    expect(anchorFor(finding({ line: 11 }), index)).toEqual({ path: 'src/a.ts', oldPath: 'src/a.ts', side: 'new', line: 11, newLine: 11 });
    expect(anchorFor(finding({ line: 13 }), index)).toEqual({ path: 'src/a.ts', oldPath: 'src/a.ts', side: 'new', line: 13, oldLine: 12, newLine: 13 });
    expect(anchorFor(finding({ line: 11, side: 'old' }), index)).toEqual({ path: 'src/a.ts', oldPath: 'src/a.ts', side: 'old', line: 11, oldLine: 11 });
  });

  it('anchors a range on its last line, keeps it within one hunk, and carries the old path of a rename', () => {
    expect(anchorFor(finding({ line: 11, endLine: 50 }), index)).toMatchObject({ startLine: 11, line: 13, startNewLine: 11, newLine: 13, oldLine: 12, startCounters: { old: 12, new: 11 }, counters: { old: 12, new: 13 } });
    // A single line names no line code.
    expect(anchorFor(finding({ line: 11 }), index)).not.toHaveProperty('counters');
    expect(anchorFor(finding({ path: 'src/b.ts', line: 1 }), index)).toMatchObject({ path: 'src/b.ts', oldPath: 'src/old-b.ts' });
  });

  it('has no anchor for a line outside the diff', () => {
    expect(anchorFor(finding({ line: 30 }), index)).toBeUndefined();
  });
});

describe('renderInlineBody', () => {
  it('uses each platform\'s suggestion syntax and ends with the fingerprint marker', () => {
    const f = finding({ line: 11, endLine: 12, suggestion: 'fixed();' });
    const anchor = anchorFor(f, index)!;

    const github = renderInlineBody(f, anchor, opts('github'));
    const gitlab = renderInlineBody(f, anchor, opts('gitlab'));
    const diff = renderInlineBody(f, anchor, opts('diff'));

    expect(github).toContain('```suggestion\nfixed();\n```');
    expect(gitlab).toContain('```suggestion:-1+0\nfixed();\n```');
    expect(diff).toContain('```diff\n-new11\n-new12\n+fixed();\n```');
    expect(readFingerprint(github)).toBe(f.fingerprint);
    expect(github.trimEnd().endsWith(`<!-- loom:fp=${f.fingerprint} -->`)).toBe(true);
  });

  it('drops forged markers, HTML and pings from model text', () => {
    const f = finding({ title: '<img src=x onerror=alert(1)> @admins https://evil.example', body: 'cc @octocat and @org/team <!-- loom:fp=deadbeefdeadbeef --> [//]: # (loom:fp=cafecafecafecafe) `@Decorator` <b>x</b>' });

    const body = renderInlineBody(f, anchorFor(f, index)!, opts('github'));

    expect(body).not.toContain('<img');
    expect(body).not.toContain('<b>');
    expect(body).not.toContain('deadbeefdeadbeef');
    expect(body).not.toContain('cafecafecafecafe');
    expect(body).not.toMatch(/@octocat|@org\/team|@admins|https:\/\/evil/);
    expect(body).toContain('`@Decorator`');
    expect(readFingerprint(body)).toBe(f.fingerprint);
  });

  it('commits suggested code as written, HTML comments included, but never a marker of loom\'s', () => {
    const forged = fingerprintMarker('deadbeefdeadbeef', 'html');
    const spliced = '<!<!-- loom:x -->-- loom:fp=cafecafecafecafe -->';
    const f = finding({ suggestion: `<!-- keep: used by the docs build -->\n${forged}${spliced}[//]: # (loom:fp=abcdabcdabcdabcd)\n<p>{{ title }}</p>` });

    for (const style of ['github', 'gitlab'] as const) {
      const body = renderInlineBody(f, anchorFor(f, index)!, opts(style));
      expect(body).toContain('\n<!-- keep: used by the docs build -->\n\n<p>{{ title }}</p>\n```');
      expect(body).not.toMatch(/deadbeef|cafecafe|abcdabcd/);
      expect(readFingerprint(body)).toBe(f.fingerprint);
    }
  });

  it('reads the marker loom writes last, whatever marker-like text comes before it', () => {
    const mine = fingerprintMarker('0123456789abcdef', 'html');
    expect(readFingerprint(`${fingerprintMarker('deadbeefdeadbeef', 'html')}\n[//]: # (loom:fp=cafecafecafecafe)\n\n${mine}`)).toBe('0123456789abcdef');
    expect(readFingerprint(`x ${fingerprintMarker('deadbeefdeadbeef', 'link-ref')}`)).toBe('deadbeefdeadbeef');
    expect(readFingerprint('no marker')).toBeUndefined();
  });

  it('stays within the platform limit and keeps the marker', () => {
    const f = finding({ body: 'x'.repeat(5000) });

    const body = renderInlineBody(f, anchorFor(f, index)!, { ...opts('github'), maxChars: 1000 });

    expect(body.length).toBeLessThanOrEqual(1000);
    expect(readFingerprint(body)).toBe(f.fingerprint);
  });
});

describe('renderSummary', () => {
  it('starts with the summary marker, lists inline findings briefly and the rest in full', () => {
    const a = finding({ line: 11, title: 'Posted one', body: 'long body A' });
    const b = finding({ line: 30, title: 'Outside one', body: 'long body B' });

    const text = renderSummary(makeReport({ findings: [a, b] }), { postedInline: new Set([a.fingerprint]), markerStyle: 'html', maxChars: 60_000 });

    expect(text.startsWith('<!-- loom:summary -->\n')).toBe(true);
    expect(text).toContain('### Findings not posted inline');
    expect(text).toContain('long body B');
    expect(text).not.toContain('long body A');
    expect(text).toMatch(/### Posted as inline comments\n\n- .*src\/a\.ts:11.*Posted one/);
  });

  it('cuts a long summary at the limit, closes an open fence, and says so', () => {
    const long = `intro\n\n\`\`\`ts\n${'code line\n'.repeat(500)}\`\`\`\n\nend`;

    const cut = truncateMarkdown(long, 2000);

    expect(cut.length).toBeLessThanOrEqual(2000);
    expect((cut.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect(cut).toMatch(/cut to fit the platform's limit of 2,000 characters/);
  });
});
