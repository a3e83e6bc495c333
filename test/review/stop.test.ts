import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { ReviewStopped } from '../../src/pipelines/run.ts';
import { watchForStop, type StopSubscriber } from '../../src/review/stop.ts';

function logLines() {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: 'normal', write: (line) => void lines.push(line) }) };
}

describe('watchForStop', () => {
  it('stops when limits.max_minutes has passed since the review started, and says so once', async () => {
    const { lines, log } = logLines();
    // Started two minutes ago with a limit of one: the time is up at once.
    const stop = watchForStop({ maxMinutes: 1, startedAt: Date.now() - 120_000, log });
    await once(stop.signal, 'abort');
    stop.release();

    expect(stop.signal.reason).toBeInstanceOf(ReviewStopped);
    expect((stop.signal.reason as Error).message).toBe('limits.max_minutes (1) was reached');
    expect(stop.interrupted).toBe(false);
    expect(lines.join('')).toContain('limits.max_minutes (1) was reached: the model calls not answered yet are stopped; the report covers what was answered');
  });

  it('stops when its subscriber asks (a signal), marks the run interrupted, and unsubscribes on release', async () => {
    const { log } = logLines();
    let ask: ((reason: string) => void) | undefined;
    let subscribed = 0;
    const subscribe: StopSubscriber = (stop) => {
      ask = stop;
      subscribed++;
      return () => void subscribed--;
    };
    const stop = watchForStop({ maxMinutes: undefined, startedAt: Date.now(), subscribe, log });
    expect(subscribed).toBe(1);
    expect(stop.signal.aborted).toBe(false);
    ask!('loom was stopped (SIGTERM)');
    // A second signal changes nothing: the first reason stands.
    ask!('loom was stopped (SIGINT)');
    stop.release();

    expect(stop.signal.aborted).toBe(true);
    expect((stop.signal.reason as Error).message).toBe('loom was stopped (SIGTERM)');
    expect(stop.interrupted).toBe(true);
    expect(subscribed).toBe(0);
  });

  it('never stops a review that ends within its time, and leaves no timer behind', async () => {
    const { log } = logLines();
    const stop = watchForStop({ maxMinutes: 0.001, startedAt: Date.now(), log });
    stop.release();
    // 60 ms later the limit would have passed, had release not ended it.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(stop.signal.aborted).toBe(false);
  });
});
