import { LoomError } from '../errors.ts';

/** A model call that failed (HTTP error, connection, timeout). The message is redacted and names the model. */
export class LlmCallError extends LoomError {
  /** HTTP status of the last answer; absent for connection errors and timeouts. */
  readonly status?: number;
  /** Requests made, retries included. */
  readonly attempts: number;
  constructor(message: string, opts: { status?: number; attempts: number; cause?: unknown }) {
    super('llm-failed', message, { cause: opts.cause });
    this.name = 'LlmCallError';
    if (opts.status !== undefined) this.status = opts.status;
    this.attempts = opts.attempts;
  }
}

/** The model answered, twice, with something that is not findings JSON. Carries the usage so it still counts. */
export class ReplyParseError extends LoomError {
  readonly usage: { promptTokens: number; completionTokens: number };
  readonly calls: number;
  constructor(message: string, opts: { usage: { promptTokens: number; completionTokens: number }; calls: number }) {
    super('llm-failed', message);
    this.name = 'ReplyParseError';
    this.usage = opts.usage;
    this.calls = opts.calls;
  }
}
