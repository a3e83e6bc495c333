import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { guardCommand } from '../../src/cli-errors.ts';
import { EXIT, LoomError } from '../../src/errors.ts';

/** The process, as far as guardCommand uses it: an emitter of node's process events. */
function watched() {
  const events = new EventEmitter();
  const exits: number[] = [];
  let written = '';
  const finished = guardCommand(events, (code) => exits.push(code), (s) => (written += s));
  return { events, exits, written: () => written, finished };
}

describe('guardCommand', () => {
  // Node emits beforeExit when nothing is left to wait for; with a command still pending, it would exit 0.
  it('turns a command left waiting when node runs out of work into exit 3 with a message', () => {
    const run = watched();
    run.events.emit('beforeExit', 0);
    expect(run.exits).toEqual([EXIT.failed]);
    expect(run.written()).toMatch(/^error: loom stopped before it finished: .*nothing was reported.*--verbose/);
  });

  // Node prints these and exits 1, which loom's contract reserves for findings at or above --fail-on.
  it.each([
    ['an exception thrown outside the command', 'uncaughtException'],
    ['a promise rejected outside the command', 'unhandledRejection'],
  ])('turns %s into exit 3 with the stack, not exit 1', (_, event) => {
    const run = watched();
    run.events.emit(event, new TypeError('x is not a function'));
    expect(run.exits).toEqual([EXIT.failed]);
    expect(run.written()).toMatch(/^error: unexpected failure, please report it with the output below\nTypeError: x is not a function\n {4}at /);
  });

  it('reports a loom error that escaped the command by its message and its own exit code', () => {
    const run = watched();
    run.events.emit('unhandledRejection', new LoomError('git-failed', 'git diff failed (exit 128): bad revision'));
    expect(run.exits).toEqual([EXIT.failed]);
    expect(run.written()).toBe('error: git diff failed (exit 128): bad revision\n');
  });

  it('stops watching once the command has finished', () => {
    const run = watched();
    run.finished();
    run.events.emit('beforeExit', 0);
    expect(run.exits).toEqual([]);
    for (const event of ['beforeExit', 'uncaughtException', 'unhandledRejection']) expect(run.events.listenerCount(event), event).toBe(0);
  });
});
