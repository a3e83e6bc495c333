import { redact } from './redact.ts';

export type LogLevel = 'quiet' | 'normal' | 'verbose';

/** stderr-only logger: stdout is reserved for the chosen output format. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  /** Registers a value that must never appear in output (API keys, tokens). */
  addSecret(value: string | undefined): void;
  /** Redacts registered secrets; use before putting any text from outside into a message. */
  redact(text: string): string;
}

export function createLogger(opts: { level: LogLevel; write?: (line: string) => void }): Logger {
  const secrets = new Set<string>();
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const emit = (prefix: string, message: string) => write(`${prefix}${redact(message, secrets)}\n`);
  return {
    info: (m) => opts.level !== 'quiet' && emit('', m),
    warn: (m) => emit('warning: ', m),
    error: (m) => emit('error: ', m),
    debug: (m) => opts.level === 'verbose' && emit('debug: ', m),
    addSecret: (v) => {
      if (v) secrets.add(v);
    },
    redact: (t) => redact(t, secrets),
  };
}

/**
 * `[N ms]` since the process started, for --verbose lines: where a slow run spends its time. From process.uptime,
 * not performance.now: a message is built even when it is not shown, and the first use of `performance` loads
 * node's perf_hooks modules into every run.
 */
export function sinceStart(): string {
  return `[${Math.round(process.uptime() * 1000)} ms]`;
}
