/** Why loom stopped. Each code maps to one exit code, so the CLI boundary needs no special cases. */
export type LoomErrorCode =
  | 'usage'
  | 'config-not-found'
  | 'config-invalid'
  | 'git-failed'
  | 'llm-failed'
  | 'platform-auth'
  | 'platform-http';

export const EXIT = { ok: 0, findings: 1, usage: 2, failed: 3 } as const;

/** An expected failure: its message is for the user and says what to do; no stack trace is printed. */
export class LoomError extends Error {
  readonly code: LoomErrorCode;
  constructor(code: LoomErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LoomError';
    this.code = code;
  }
}

export function exitCodeFor(error: unknown): number {
  if (!(error instanceof LoomError)) return EXIT.failed;
  switch (error.code) {
    case 'usage':
    case 'config-not-found':
    case 'config-invalid':
      return EXIT.usage;
    default:
      return EXIT.failed;
  }
}
