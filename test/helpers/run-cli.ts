import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The package as npm would publish it, staged by test/global-setup.ts; the checkout's own bin without it. */
export const LOOM_BIN = process.env.LOOM_TEST_BIN ?? resolve(import.meta.dirname, '..', '..', 'bin', 'loom.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI as a separate process. The environment is built from scratch (not inherited) so a
 * developer's OPENAI_API_KEY or a CI's GITHUB_* variables never leak into a test.
 */
export function runCli(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [LOOM_BIN, ...args], {
      cwd: opts.cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_SYSTEM: '/dev/null',
        NO_COLOR: '1',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}
