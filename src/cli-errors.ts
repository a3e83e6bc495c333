import { EXIT, exitCodeFor, LoomError } from './errors.ts';

/** The one place an error becomes an exit code. Expected errors print their message; others their stack too. */
export function handleError(error: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (error instanceof LoomError) {
    write(`error: ${error.message}\n`);
  } else {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    write(`error: unexpected failure, please report it with the output below\n${text}\n`);
  }
  return exitCodeFor(error);
}

/**
 * Watches a running command for the ways it can end without reaching handleError, and makes each an error with
 * exit 3 ("the review could not be done"), never a success and never exit 1 (findings) by accident:
 * - an exception thrown, or a promise rejected, outside the command's own chain (node would print it and exit 1);
 * - the command left waiting when node has nothing left to wait for. Node then exits with code 0 even though the
 *   command's promise is pending: a wait that can no longer end (a thread that stopped, a stream nobody closes)
 *   would end a review with no report, no message and a green CI step.
 * `events` is the process; the returned function stops watching, once the command has finished.
 */
export function guardCommand(
  events: Pick<NodeJS.EventEmitter, 'on' | 'once' | 'off'>,
  exit: (code: number) => void,
  write: (s: string) => void = (s) => process.stderr.write(s),
): () => void {
  const abandoned = () => {
    write('error: loom stopped before it finished: it was left waiting for something that can no longer happen, so nothing was reported. This is a bug in loom; please report it with the output of the same command run with --verbose.\n');
    exit(EXIT.failed);
  };
  const crashed = (error: unknown) => exit(handleError(error, write));
  events.once('beforeExit', abandoned);
  events.on('uncaughtException', crashed);
  events.on('unhandledRejection', crashed);
  return () => {
    events.off('beforeExit', abandoned);
    events.off('uncaughtException', crashed);
    events.off('unhandledRejection', crashed);
  };
}
