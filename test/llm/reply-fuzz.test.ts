import { describe, expect, it } from 'vitest';
import { type ParsedReply, parseFindingsReply } from '../../src/llm/reply.ts';

/** mulberry32: a small seeded PRNG, so a failure reproduces from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = '[]{}",:\\ \n`-0123456789.abcdefLRnulltrue findings line file body title ```json é🙂\u0000';
const KEYS = ['file', 'path', 'line', 'end_line', 'endLine', 'side', 'severity', 'title', 'body', 'message', 'suggestion', 'findings', 'issues', '__proto__', 'constructor'];

function generators(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (max: number) => Math.floor(random() * max);
  const randomString = (max: number) => Array.from({ length: int(max) }, () => pick([...ALPHABET])).join('');
  const value = (depth: number): unknown => {
    const kind = depth > 3 ? int(5) : int(8);
    switch (kind) {
      case 0: return null;
      case 1: return random() < 0.5;
      case 2: return pick([0, -1, 1, 42, 2.5, 1e300, Number.MAX_SAFE_INTEGER + 2, -0]);
      case 3: return pick(['42', '42-44', 'L3', 'LEFT', 'old', 'critical', 'nit', '', ' ', 'constructor', randomString(20)]);
      case 4: return randomString(30);
      case 5: return Array.from({ length: int(5) }, () => value(depth + 1));
      case 6:
      case 7: return Object.fromEntries(Array.from({ length: int(7) }, () => [pick(KEYS), value(depth + 1)]));
      default: return null;
    }
  };
  const finding = () => Object.fromEntries(KEYS.filter(() => random() < 0.6).map((k) => [k, value(3)]));
  const mutate = (text: string) => {
    const chars = [...text];
    for (let n = int(4); n > 0; n--) {
      const at = int(chars.length + 1);
      if (random() < 0.5) chars.splice(at, 1);
      else chars.splice(at, 0, pick([...ALPHABET]));
    }
    return chars.join('').slice(0, random() < 0.2 ? int(chars.length + 1) : undefined);
  };
  const wrap = (json: string) => pick([json, `\`\`\`json\n${json}\n\`\`\``, `Here you go: ${json} thanks`, `${randomString(20)}${json}${randomString(20)}`]);
  return { int, randomString, value, finding, mutate, wrap };
}

function expectWellFormed(parsed: ParsedReply): void {
  if (!parsed.ok) {
    expect(typeof parsed.error).toBe('string');
    return;
  }
  for (const f of parsed.findings) {
    expect(typeof f.file === 'string' && f.file.trim() !== '').toBe(true);
    expect(Number.isSafeInteger(f.line) && f.line > 0).toBe(true);
    if (f.endLine !== undefined) expect(Number.isSafeInteger(f.endLine) && f.endLine > f.line).toBe(true);
    expect(['new', 'old']).toContain(f.side);
    if (f.severity !== undefined) expect(['blocker', 'warning', 'info']).toContain(f.severity);
    expect(typeof f.title === 'string' && f.title !== '').toBe(true);
    expect(typeof f.body).toBe('string');
    if (f.suggestion !== undefined) expect(typeof f.suggestion).toBe('string');
  }
  for (const reason of parsed.dropped) expect(typeof reason).toBe('string');
}

describe('parseFindingsReply fuzz', () => {
  it('never throws and always returns a well-formed result on 4000 random inputs', () => {
    const random = prng(0x100_0f);
    const g = generators(random);
    let okCount = 0;
    for (let i = 0; i < 4000; i++) {
      let input: string;
      switch (i % 4) {
        case 0: input = g.randomString(200); break;
        case 1: input = g.wrap(JSON.stringify(g.value(0)) ?? 'null'); break;
        case 2: input = g.wrap(JSON.stringify(Array.from({ length: g.int(4) }, g.finding))); break;
        default: input = g.mutate(g.wrap(JSON.stringify({ findings: Array.from({ length: 1 + g.int(3) }, g.finding) })));
      }
      let parsed: ParsedReply | undefined;
      expect(() => {
        parsed = parseFindingsReply(input);
      }, `input #${i}: ${JSON.stringify(input).slice(0, 300)}`).not.toThrow();
      expectWellFormed(parsed!);
      if (parsed!.ok) okCount++;
    }
    // The generators must reach the success path often, or the property checks above check nothing.
    expect(okCount).toBeGreaterThan(800);
  });

  it('handles pathological inputs: deep nesting, long bracket runs, non-strings', () => {
    const inputs: unknown[] = [
      '['.repeat(100_000),
      '[{"'.repeat(30_000),
      `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
      '{"a":'.repeat(20_000),
      `${'x[] '.repeat(20_000)}[{"file":"a","line":1,"title":"t","body":"b"}]`,
      '```\n```\n```',
      undefined,
      null,
      42,
    ];
    for (const input of inputs) {
      let parsed: ParsedReply | undefined;
      expect(() => {
        parsed = parseFindingsReply(input as string);
      }).not.toThrow();
      expectWellFormed(parsed!);
    }
  });
});
