import { exitCodeFor, LoomError } from './errors.ts';

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
