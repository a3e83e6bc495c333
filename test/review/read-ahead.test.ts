import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { readWhile } from '../../src/review/read-ahead.ts';

/** A source of 1..count, one item per turn of the event loop, that records what it was asked for. */
function counting(count: number, opts: { onYield?: (item: number) => void; failAt?: number } = {}) {
  const log = { produced: 0, closed: false, inFlight: 0, mostInFlight: 0 };
  let item = 0;
  const iterator: AsyncIterator<number> = {
    next: async () => {
      log.inFlight++;
      log.mostInFlight = Math.max(log.mostInFlight, log.inFlight);
      try {
        await tick();
        if (item >= count) return { done: true, value: undefined };
        item++;
        if (item === opts.failAt) throw new Error(`read ${item} failed`);
        log.produced = item;
        opts.onYield?.(item);
        return { done: false, value: item };
      } finally {
        log.inFlight--;
      }
    },
    return: async () => {
      log.closed = true;
      return { done: true, value: undefined };
    },
  };
  return { source: { [Symbol.asyncIterator]: () => iterator }, log };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('readWhile', () => {
  it('reads on while the promise is pending, stops when it settles, and then gives every item once, in order', async () => {
    let settle!: () => void;
    const until = new Promise<void>((resolve) => (settle = resolve));
    const { source, log } = counting(10, { onYield: (item) => item === 4 && settle() });
    const items = readWhile(source, until);
    await until;
    for (let i = 0; i < 5; i++) await tick();
    expect(log.produced).toBe(4);
    expect(await all(items)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('stops reading ahead when the promise is rejected', async () => {
    let fail!: (error: Error) => void;
    const until = new Promise<void>((_, reject) => (fail = reject));
    const { source, log } = counting(10, { onYield: (item) => item === 2 && fail(new Error('no counter')) });
    const items = readWhile(source, until);
    await until.catch(() => undefined);
    for (let i = 0; i < 5; i++) await tick();
    expect(log.produced).toBe(2);
    expect(await all(items)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('stops reading ahead once the consumer asks, and never reads twice at once', async () => {
    const { source, log } = counting(20);
    const items = readWhile(source, new Promise<void>(() => undefined));
    await tick();
    await tick();
    expect(await all(items)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(log.mostInFlight).toBe(1);
  });

  it('closes the source when the consumer stops early', async () => {
    const { source, log } = counting(10);
    for await (const item of readWhile(source, new Promise<void>(() => undefined))) if (item === 2) break;
    expect(log.closed).toBe(true);
  });

  it('hands a failed read to the consumer, after what was read before it', async () => {
    const { source } = counting(10, { failAt: 3 });
    const items = readWhile(source, new Promise<void>(() => undefined));
    for (let i = 0; i < 6; i++) await tick();
    const got: number[] = [];
    await expect(async () => {
      for await (const item of items) got.push(item);
    }).rejects.toThrow('read 3 failed');
    expect(got).toEqual([1, 2]);
  });
});
