import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { importEncoding, type Encoding } from './encoding.ts';
import type { EncodingName } from './tokenizer-choice.ts';
import { DONE, FAILED, HEADER_SLOTS, type CountRequest } from './count-protocol.ts';

/**
 * The token-counting thread. Counting a large diff costs a few hundred ms of CPU; in this thread it runs on
 * another core while the main thread reads git's output, parses and scans the diff, and talks to the model.
 *
 * This module is an entry point of the build (dist/count-worker.cjs, see WORKER_FILE), and that file is what the worker
 * runs: it loads this file, encoding.ts and the encoding, nothing else.
 *
 * The protocol (count-protocol.ts): texts in, counts written into a shared buffer the main thread waits on.
 */
const ROLE = 'loom-token-counter';
/** This module as built (tsup.config.ts), beside the other chunks: TypeScript sources (tests) have none. */
const WORKER_FILE = 'count-worker.cjs';
/** The counting thread's young generation (see startCountWorker). */
const YOUNG_GENERATION_MB = 8;

const data = workerData as { role?: string; encoding?: EncodingName } | undefined;
if (!isMainThread && parentPort && data?.role === ROLE && data.encoding) serve(parentPort, data.encoding);

function serve(port: MessagePort, encoding: EncodingName): void {
  let loaded: Encoding | undefined;
  const ready = importEncoding(encoding).then(
    (e) => {
      loaded = e;
      try {
        warmUp(e);
      } catch {
        // A warm-up that fails only leaves V8 to learn from the diff itself.
      }
    },
    () => undefined,
  );
  // Requests wait here, not in the port, so the next one answered can be chosen: one the planner is blocked on
  // goes before chunks counted ahead. Messages that came during a count are delivered before setImmediate runs.
  const queue: CountRequest[] = [];
  let scheduled = false;
  const answerNext = () => {
    const urgent = queue.findIndex((request) => !request.background);
    answer(queue.splice(urgent >= 0 ? urgent : 0, 1)[0]!);
    if (queue.length > 0) setImmediate(answerNext);
    else scheduled = false;
  };
  const answer = (request: CountRequest) => {
    const slots = new Int32Array(request.shared);
    let state = FAILED;
    try {
      if (loaded) {
        slots.set(loaded.countMany(request.texts, request.segments), HEADER_SLOTS);
        state = DONE;
      }
    } catch {
      // This request fails (the main thread counts it itself); the thread stays up for the next ones.
    } finally {
      Atomics.store(slots, 0, state);
      Atomics.notify(slots, 0);
    }
  };
  port.on('message', (request: CountRequest) => {
    queue.push(request);
    if (scheduled) return;
    scheduled = true;
    void ready.then(() => setImmediate(answerNext));
  });
}

/**
 * Counts text with every kind of piece and line a diff holds, a few times, as the thread starts: V8 then has seen
 * every branch of the counting code before it optimizes it, instead of throwing the optimized code away (and
 * compiling it again) each time a large diff first reaches a rarer case: a line with other than ASCII characters,
 * a character outside the BMP, a piece that is not a token, a text longer than the buffers kept between calls.
 * It costs the thread ~7 ms as it starts, mostly compiling what the first request would compile anyway, while the
 * main thread is still reading the config and the diff.
 */
function warmUp(encoding: Encoding): void {
  const ascii = [
    '@@ -1,3 +1,4 @@ function name()\n',
    '  12 + const value = items.map((x) => x * 2); // don\'t\n',
    '  13 - \tif (A_CONSTANT > 1234567) return "zqxjvkwp_unusualIdentifierQzx";\r\n\n',
  ];
  const other = ['  14 + a\n  15 + // geprüft ✓ «ok» 審査済み 😀\n  16 + b\n', '  17 + naïve café 😀\n'];
  // V8 records feedback only once a function has run a little (lazy feedback allocation): a few rounds.
  for (let round = 0; round < WARM_ROUNDS; round++) {
    encoding.countMany([...ascii, ...other], true);
    encoding.countMany([ascii.join(''), other.join('')], false);
  }
  // Once, the growth of the buffers kept between calls: longer than their first sizes, a long piece and a long
  // text, of ASCII and of other characters.
  encoding.countMany([`  18 + ${'x'.repeat(300)} ${'word '.repeat(1_000)}\n`, `  19 + ${'é '.repeat(600)}\n`], true);
}
const WARM_ROUNDS = 4;

/**
 * Starts a counting thread for `encoding`, or returns undefined where there is no built file to run (tests run
 * the TypeScript sources) or threads cannot be started. The thread never keeps the process alive.
 */
export function startCountWorker(encoding: EncodingName): Worker | undefined {
  if (!import.meta.url.endsWith('.cjs')) return undefined;
  try {
    // Counting makes short-lived strings by the megabyte; V8's default young generation let the thread grow by
    // 20-30 MB on a 100k-line diff, and a smaller one measured no slower (bench/, alternating runs).
    const worker = new Worker(new URL(WORKER_FILE, import.meta.url), { workerData: { role: ROLE, encoding }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    worker.unref();
    // A worker that fails is noticed by its requests (threadId -1); the error itself must not crash loom.
    worker.on('error', () => undefined);
    return worker;
  } catch {
    return undefined;
  }
}
