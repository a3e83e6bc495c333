import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { failIfAbandoned } from '../../src/cli-errors.ts';
import { EXIT } from '../../src/errors.ts';

describe('failIfAbandoned', () => {
  // Node emits beforeExit when nothing is left to wait for; with a command still pending, it would exit 0.
  it('turns a command left waiting when node runs out of work into exit 3 with a message', () => {
    const events = new EventEmitter();
    const exits: number[] = [];
    let written = '';
    failIfAbandoned(events, (code) => exits.push(code), (s) => (written += s));

    events.emit('beforeExit', 0);

    expect(exits).toEqual([EXIT.failed]);
    expect(written).toMatch(/^error: loom stopped before it finished: .*nothing was reported.*--verbose/);
  });

  it('stops watching once the command has finished', () => {
    const events = new EventEmitter();
    const exits: number[] = [];
    const finished = failIfAbandoned(events, (code) => exits.push(code), () => undefined);

    finished();
    events.emit('beforeExit', 0);

    expect(exits).toEqual([]);
    expect(events.listenerCount('beforeExit')).toBe(0);
  });
});
