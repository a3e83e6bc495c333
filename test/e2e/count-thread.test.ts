import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bpeTableFile } from '../../src/tokens/encoding.ts';
import { createTokenCounter } from '../../src/tokens/counter.ts';
import { misbehavingThreadCode } from '../helpers/misbehaving-thread.ts';
import { LOOM_BIN } from '../helpers/run-cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'loom-count-thread-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * counter.ts bundled as the CLI bundles it (ESM, node), in a directory of its own with the tokenizer table the
 * build writes (taken from the built package), so it loads the encoding as the CLI does.
 */
async function builtCounter(): Promise<string> {
  const out = join(scratch, 'counter.js');
  await build({ entryPoints: [join(import.meta.dirname, '..', '..', 'src', 'tokens', 'counter.ts')], bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile: out, external: ['gpt-tokenizer'], logLevel: 'silent' });
  const table = bpeTableFile('o200k_base');
  copyFileSync(join(dirname(LOOM_BIN), '..', 'dist', table), join(scratch, table));
  return out;
}

/**
 * In the CLI nothing but the counting thread may keep node running while the planner waits for counts; when that
 * thread stops, node would exit (code 0, nothing printed) in the middle of the review unless the wait ends with it.
 * So this runs in a process of its own, as the CLI does, not inside the test runner (whose own work keeps node up).
 */
describe('the built counter, in a process of its own, when its counting thread stops', () => {
  it('counts on the main thread and finishes, instead of node exiting in the middle', async () => {
    const segments = ['   1 + const a = 1;\n', '   2 - let b = "x";\n', '  10   日本語 🎉\n'];
    const script = `
      import { Worker } from 'node:worker_threads';
      const { createTokenCounterOnThread } = await import(${JSON.stringify(pathToFileURL(await builtCounter()).href)});
      const worker = new Worker(${JSON.stringify(misbehavingThreadCode('answer', 'stop'))}, { eval: true });
      const counter = await createTokenCounterOnThread({ model: 'gpt-4o' }, worker);
      const counts = await counter.segments.countRawAsync(${JSON.stringify(segments)});
      process.stdout.write(JSON.stringify({ counts: Array.from(counts), threadId: worker.threadId }));`;
    const scriptFile = join(scratch, 'count.mjs');
    writeFileSync(scriptFile, script);
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [scriptFile], { timeout: 20_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
    });

    const expected = Array.from((await createTokenCounter({ model: 'gpt-4o' })).segments!.countRaw(segments));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ counts: expected, threadId: -1 });
  });
});
