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
 * Turns a command that never finishes into an error. Node exits with code 0 once nothing is left to wait for, even
 * while the command's promise is pending: a wait that can no longer end (a thread that stopped, a stream nobody
 * closes) would end a review with no report, no message and a green CI step. `events` is the process; the returned
 * function stops watching, once the command has finished.
 */
export function failIfAbandoned(
  events: Pick<NodeJS.EventEmitter, 'once' | 'off'>,
  exit: (code: number) => void,
  write: (s: string) => void = (s) => process.stderr.write(s),
): () => void {
  const abandoned = () => {
    write('error: loom stopped before it finished: it was left waiting for something that can no longer happen, so nothing was reported. This is a bug in loom; please report it with the output of the same command run with --verbose.\n');
    exit(EXIT.failed);
  };
  events.once('beforeExit', abandoned);
  return () => void events.off('beforeExit', abandoned);
}
