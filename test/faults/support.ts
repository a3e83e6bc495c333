/**
 * What the fault-injection suites share: a two-file feature branch reviewed by two path-scoped pipelines (so
 * "one unit fails, the other succeeds" does not depend on how units are planned), config builders, a raw
 * HTTP server for faults the fake OpenAI server cannot express (a body cut in the middle), and the checks every
 * run must pass (no stack trace, no secret).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import type { ReceivedRequest } from '../helpers/openai-server.ts';
import type { CliResult } from '../helpers/run-cli.ts';

export const KEY = 'sk-faults-model-key-0123456789abcdef';

/** Ten numbered lines of plausible code, so a file has a hunk with added lines 1..10. */
export function codeLines(name: string, count = 10): string {
  return Array.from({ length: count }, (_, i) => `export const ${name}${i + 1} = (x) => x + ${i + 1};\n`).join('');
}

export interface TwoFileRepo {
  repo: TestRepo;
  baseSha: string;
  headSha: string;
}

/** `main` has a README; `feature` adds src/a.js and src/b.js (10 lines each) and the config. */
export function makeTwoFileRepo(config: string, extra: Record<string, string | Buffer> = {}): TwoFileRepo {
  const repo = makeRepo({ 'README.md': '# test\n' });
  const baseSha = repo.git('rev-parse', 'HEAD');
  repo.git('checkout', '-q', '-b', 'feature');
  repo.write({
    'src/a.js': codeLines('a'),
    'src/b.js': codeLines('b'),
    '.loom/config.yaml': config,
    '.loom/prompts/review.md': PROMPT,
    ...extra,
  });
  return { repo, baseSha, headSha: repo.commit('feature') };
}

export const PROMPT = 'Review this change. Answer with the JSON findings contract.\n\n{{diff}}\n';

export interface ModelSpec {
  model: string;
  baseUrl: string;
  maxRetries?: number;
  timeoutS?: number;
  fallback?: string[];
  apiKeyEnv?: string;
}

/**
 * Two pipelines, `pa` reviewing only src/a.js (blocker) and `pb` only src/b.js (warning), so every run makes
 * exactly one model call per file. `max_retries: 1` keeps retried faults fast; the answer cache is off so a
 * re-run really calls the model.
 */
export function twoPipelineConfig(models: Record<string, ModelSpec>, pipelineModel = 'default'): string {
  const modelYaml = Object.entries(models)
    .map(([name, m]) =>
      [
        `  ${name}:`,
        `    base_url: ${m.baseUrl}`,
        `    api_key_env: ${m.apiKeyEnv ?? 'OPENAI_API_KEY'}`,
        `    model: ${m.model}`,
        `    max_retries: ${m.maxRetries ?? 1}`,
        `    timeout_s: ${m.timeoutS ?? 20}`,
        ...(m.fallback ? [`    fallback: [${m.fallback.join(', ')}]`] : []),
      ].join('\n'),
    )
    .join('\n');
  return `models:
${modelYaml}
pipelines:
  - name: pa
    model: ${pipelineModel}
    prompt_file: .loom/prompts/review.md
    paths: ["src/a.js"]
    severity: blocker
  - name: pb
    model: ${pipelineModel}
    prompt_file: .loom/prompts/review.md
    paths: ["src/b.js"]
    severity: warning
cache:
  enabled: false
`;
}

/** The text of the last user message a model request carried. */
export function userText(req: ReceivedRequest | { body: any }): string {
  const messages: any[] = Array.isArray(req.body?.messages) ? req.body.messages : [];
  const first = messages.find((m) => m.role === 'user');
  return typeof first?.content === 'string' ? first.content : '';
}

/** Which file a review request is about: 'a' or 'b' (each pipeline sees one file). */
export function unitOf(req: ReceivedRequest | { body: any }): 'a' | 'b' | undefined {
  const text = userText(req);
  if (text.includes('src/a.js')) return 'a';
  if (text.includes('src/b.js')) return 'b';
  return undefined;
}

export const findingA = { file: 'src/a.js', line: 3, severity: 'blocker', title: 'Finding in a', body: 'Something is wrong in a.' };
export const findingB = { file: 'src/b.js', line: 4, severity: 'warning', title: 'Finding in b', body: 'Something is wrong in b.' };

/** The findings the model gives for a unit when it answers properly. */
export function goodAnswer(unit: 'a' | 'b' | undefined): string {
  return JSON.stringify(unit === 'a' ? [findingA] : unit === 'b' ? [findingB] : []);
}

/** Counts requests per unit. */
export function countByUnit(requests: readonly { body: any }[]): { a: number; b: number } {
  return { a: requests.filter((r) => unitOf(r) === 'a').length, b: requests.filter((r) => unitOf(r) === 'b').length };
}

/** No run may end in a crash: no JS stack frames, no "unexpected failure" banner, on either stream. */
export function expectNoCrash(result: CliResult): void {
  for (const stream of [result.stdout, result.stderr]) {
    expect(stream).not.toMatch(/^\s+at .+(\(|:\d+:\d+)/m);
    expect(stream).not.toMatch(/unexpected failure/i);
    expect(stream).not.toMatch(/\b(TypeError|ReferenceError|RangeError|SyntaxError): /);
  }
}

/** None of `secrets` may appear on stdout or stderr. */
export function expectNoSecrets(result: CliResult, ...secrets: string[]): void {
  for (const secret of secrets) {
    expect(result.stdout, 'stdout leaks a secret').not.toContain(secret);
    expect(result.stderr, 'stderr leaks a secret').not.toContain(secret);
  }
}

/** A port on 127.0.0.1 nobody listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RawServer {
  url: string;
  /** Parsed JSON bodies of every POST, in arrival order. */
  requests: { body: any }[];
  close(): Promise<void>;
}

/**
 * A bare node:http server for replies the fake OpenAI server does not script: the handler writes what it wants
 * to `res` (and may destroy the socket half way). `index` counts requests from 0.
 */
export async function startRawServer(handler: (req: { body: any }, res: ServerResponse, index: number, raw: IncomingMessage) => void): Promise<RawServer> {
  const requests: { body: any }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      const received = { body };
      requests.push(received);
      handler(received, res, requests.length - 1, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A complete, well-formed chat.completion body. */
export function completionJson(content: string, model = 'fake-model'): string {
  return JSON.stringify({
    id: 'chatcmpl-raw',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  });
}

/** SSE chunks of `content` (what a proxy that always streams sends), without the final `[DONE]`. */
export function sseChunks(content: string): string[] {
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-raw', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'fake-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const out = [chunk({ role: 'assistant', content: '' }, null)];
  for (let i = 0; i < content.length; i += 8) out.push(chunk({ content: content.slice(i, i + 8) }, null));
  out.push(chunk({}, 'stop'));
  return out;
}
