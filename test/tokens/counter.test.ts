import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createTokenCounter, createTokenCounterOnThread, loadEncoding, releaseTokenizers, preloadLikelyTokenizer, type EncodingLoader } from '../../src/tokens/counter.ts';
import { misbehavingThreadCode } from '../helpers/misbehaving-thread.ts';
import { OTHER_FAMILY_MARGIN, tokenizerFor } from '../../src/tokens/tokenizer-choice.ts';

describe('tokenizerFor', () => {
  it.each([
    ['gpt-4o', 'o200k_base', 1],
    ['gpt-4o-mini-2024-07-18', 'o200k_base', 1],
    ['gpt-4.1-nano', 'o200k_base', 1],
    ['gpt-5-mini', 'o200k_base', 1],
    ['o3-mini', 'o200k_base', 1],
    ['o1', 'o200k_base', 1],
    ['openai/gpt-oss-20b', 'o200k_base', 1],
    ['gpt-4', 'cl100k_base', 1],
    ['gpt-4-turbo', 'cl100k_base', 1],
    ['gpt-3.5-turbo', 'cl100k_base', 1],
    ['gpt-35-turbo', 'cl100k_base', 1],
    ['llama3.1:8b', 'o200k_base', OTHER_FAMILY_MARGIN],
    ['qwen2.5-coder:32b', 'o200k_base', OTHER_FAMILY_MARGIN],
    ['claude-3-5-sonnet-latest', 'o200k_base', OTHER_FAMILY_MARGIN],
    ['my-azure-deployment', 'o200k_base', OTHER_FAMILY_MARGIN],
  ])('%s -> %s x%s', (model, encoding, margin) => {
    expect(tokenizerFor(model)).toEqual({ encoding, margin });
  });
});

describe('createTokenCounter', () => {
  it('loads only the encoding the model needs, when asked, and applies the margin rounded up', async () => {
    const loads: string[] = [];
    const load: EncodingLoader = async (encoding) => {
      loads.push(encoding);
      return (text) => text.length;
    };
    expect(loads).toEqual([]);

    const gpt = await createTokenCounter({ model: 'gpt-4o' }, load);
    const llama = await createTokenCounter({ model: 'llama3.1' }, load);
    const old = await createTokenCounter({ model: 'gpt-3.5-turbo' }, load);

    expect(loads).toEqual(['o200k_base', 'o200k_base', 'cl100k_base']);
    expect(gpt.count('abcdefghij')).toBe(10);
    expect(llama.count('abcdefghij')).toBe(13); // ceil(10 x 1.25)
    expect(llama.count('abcd')).toBe(5);
    expect(old).toMatchObject({ encoding: 'cl100k_base', margin: 1 });
  });

  it('counts with the real o200k and cl100k encodings, treating special-token text as plain text', async () => {
    const o200k = await createTokenCounter({ model: 'gpt-4o' });
    const cl100k = await createTokenCounter({ model: 'gpt-4' });

    expect(o200k.count('hello world')).toBe(2);
    expect(cl100k.count('hello world')).toBe(2);
    expect(o200k.count('')).toBe(0);
    // Would throw "Disallowed special token" with gpt-tokenizer's defaults.
    expect(o200k.count('x <|endoftext|> y')).toBe(9);
  });

  it('imports each encoding once and shares it between counters', async () => {
    const first = loadEncoding('o200k_base');
    const second = loadEncoding('o200k_base');
    expect(second).toBe(first);
    expect((await first)('héllo wörld 日本語')).toBe((await second)('héllo wörld 日本語'));
  });
});

describe('preloadLikelyTokenizer', () => {
  // The thread itself runs only from the built CLI (see startCountWorker; the e2e tests run that); from the
  // sources no thread can start, and counters must count in this thread as without it.
  it('leaves counters counting where no thread can start, and is released', async () => {
    await preloadLikelyTokenizer();
    await preloadLikelyTokenizer();
    const counter = await createTokenCounter({ model: 'gpt-4o' });
    expect(counter.count('x <|endoftext|> y')).toBe(9);
    expect(Array.from(await counter.segments!.countRawAsync(['   1 + a\n', '   2 + b\n']))).toEqual([6, 6]);
    releaseTokenizers();
    expect((await createTokenCounter({ model: 'gpt-4' })).count('hello world')).toBe(2);
  });
});

const misbehavingThread = (ready: 'answer' | 'stop' | 'silent', then: 'stop' | 'fail') => new Worker(misbehavingThreadCode(ready, then), { eval: true });

describe('a counting thread that fails', () => {
  const segments = ['   1 + const a = 1;\n', '   2 - let b = "x";\n', '  10   日本語 🎉\n', '### src/a.ts (modified)\n'];

  it.each([
    ['stops at its first count', 'stop'],
    ['answers FAILED', 'fail'],
  ] as const)('is replaced by this thread when it %s: the same counts, and the review goes on', async (_, then) => {
    const local = await createTokenCounter({ model: 'gpt-4o' });
    const expected = Array.from(local.segments!.countRaw(segments));
    const worker = misbehavingThread('answer', then);
    try {
      const counter = await createTokenCounterOnThread({ model: 'gpt-4o' }, worker);
      expect(Array.from(await counter.segments!.countRawAsync(segments))).toEqual(expected);
      // Once taken over, synchronous counts are this thread's too (no wait on a thread that will not answer).
      expect(Array.from(counter.segments!.countRaw(segments))).toEqual(expected);
      expect(counter.count('hello world')).toBe(2);
      if (then === 'stop') expect(worker.threadId).toBe(-1);
    } finally {
      await worker.terminate();
    }
  });

  it('is not used when it stops before it is ready', async () => {
    const worker = misbehavingThread('stop', 'fail');
    const counter = await createTokenCounterOnThread({ model: 'gpt-4o' }, worker);
    expect(worker.threadId).toBe(-1);
    expect(Array.from(counter.segments!.countRaw(segments))).toEqual(Array.from((await createTokenCounter({ model: 'gpt-4o' })).segments!.countRaw(segments)));
  });
});

describe('a counter for something small', () => {
  const segments = ['   1 + const a = 1;\n', '   2 - let b = "x";\n', '  10   日本語 🎉\n'];

  it('counts in this thread while the counting thread is not ready, where any other counter waits for it', async () => {
    const expected = Array.from((await createTokenCounter({ model: 'gpt-4o' })).segments!.countRaw(segments));
    const worker = misbehavingThread('silent', 'fail');
    try {
      let waited = false;
      const waiting = createTokenCounterOnThread({ model: 'gpt-4o' }, worker).finally(() => (waited = true));
      const counter = await createTokenCounterOnThread({ model: 'gpt-4o' }, worker, { small: true });
      expect(Array.from(counter.segments!.countRaw(segments))).toEqual(expected);
      expect(Array.from(await counter.segments!.countRawAsync(segments))).toEqual(expected);
      expect(counter.count('hello world')).toBe(2);
      // The thread never says it is ready: a counter that waits for it is still waiting.
      expect(waited).toBe(false);
      await worker.terminate();
      await waiting;
    } finally {
      await worker.terminate();
    }
  });
});

describe('segment counts', () => {
  it('counts many rendered-diff segments at once exactly as one by one, in o200k and cl100k', async () => {
    const samples = ['', ' ', '\t', '/', '//x', ';', '});', 'x  ', 'a\rb', '\r', '日本語', '🎉', "it's", '<|endoftext|>', '...', '#', '(', '…', '42', '    if (a) {'];
    const segments: string[] = [];
    samples.forEach((a, i) => samples.forEach((b, j) => {
      const number = String(i * samples.length + j + 1).padStart(4);
      segments.push(`${number} ${'+- '[j % 3]} ${a}${b}\n`, ...(j % 7 === 0 ? [`${number} + ${a}\n\n`, `### path/${a}.ts (modified)\n`, `@@ -1,2 +1,3 @@ ${b}\n`] : []));
    }));
    for (const model of ['gpt-4o', 'gpt-4']) {
      const counter = await createTokenCounter({ model });
      const many = counter.segments!.countRaw(segments);
      expect(Array.from(many), model).toEqual(segments.map((text) => counter.count(text)));
      expect(Array.from(await counter.segments!.countRawAsync(segments)), model).toEqual(Array.from(many));
    }
  });
});
