import { ModelConfig } from '../../src/config/schema.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { createLlmClient, type LlmClient } from '../../src/llm/client.ts';

export const KEY = 'sk-test-3f9a1c2b7d8e4f60';

/** A real logger at verbose level whose output lines are kept for assertions. */
export function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ level: 'verbose', write: (line) => lines.push(line) }), lines };
}

export function modelAt(url: string, extra: Record<string, unknown> = {}): ModelConfig {
  return ModelConfig.parse({ base_url: url, model: 'gpt-test', max_retries: 2, ...extra });
}

/** A client whose backoff sleeps are recorded instead of waited, so retries cost no time. */
export function testClient(
  url: string,
  opts: { model?: Record<string, unknown>; env?: Record<string, string | undefined> } = {},
): { llm: LlmClient; waits: number[]; lines: string[]; log: Logger } {
  const { log, lines } = captureLog();
  const waits: number[] = [];
  const llm = createLlmClient('default', modelAt(url, opts.model), {
    env: opts.env ?? { OPENAI_API_KEY: KEY },
    log,
    retryBaseMs: 10,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { llm, waits, lines, log };
}
