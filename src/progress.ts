/** Progress on stderr: a spinner on a terminal, plain lines in CI logs, nothing with --quiet. */
export interface Progress {
  step(text: string): void;
  /** Called as model calls finish; plain mode prints at most ~10 lines for the whole run. */
  calls(done: number, total: number): void;
  stop(): void;
}

export async function createProgress(opts: { mode: 'spinner' | 'plain' | 'silent'; write: (line: string) => void }): Promise<Progress> {
  if (opts.mode === 'silent') return { step() {}, calls() {}, stop() {} };
  if (opts.mode === 'plain') {
    let lastDecile = -1;
    return {
      step: (text) => opts.write(`loom: ${text}\n`),
      calls(done, total) {
        const decile = Math.floor((done / total) * 10);
        if (decile === lastDecile && done !== total) return;
        lastDecile = decile;
        opts.write(`loom: model calls ${done}/${total}\n`);
      },
      stop() {},
    };
  }
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr }).start();
  let label = '';
  return {
    step(text) {
      label = text;
      spinner.text = text;
    },
    calls(done, total) {
      spinner.text = `${label} (${done}/${total})`;
    },
    stop: () => spinner.stop(),
  };
}
