import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { importEncoding, type Encoding } from './encoding.ts';
import type { EncodingName } from './tokenizer-choice.ts';

/**
 * The token-counting thread. Counting a large diff costs a few hundred ms of CPU; in this thread it runs on
 * another core while the main thread reads git's output, parses and scans the diff, and talks to the model.
 *
 * This module is only ever imported dynamically, so the bundler gives it a chunk of its own, and that chunk is
 * what the worker runs (`import.meta.url`): the worker loads this file, encoding.ts and the encoding, nothing else.
 *
 * Protocol: each request carries the texts and a SharedArrayBuffer of Int32 slots: [state, unused, count...].
 * The worker writes the counts, then sets state to DONE (or FAILED when the encoding could not be loaded) and
 * notifies, so the main thread may wait synchronously (Atomics.wait) or asynchronously (Atomics.waitAsync).
 */
const ROLE = 'loom-token-counter';
export const PENDING = 0;
export const DONE = 1;
export const FAILED = 2;
/** Slots before the counts in a request's shared buffer. */
export const HEADER_SLOTS = 2;

export interface CountRequest {
  texts: readonly string[];
  /** The texts are segments of a rendered diff (see Encoding.countMany). */
  segments: boolean;
  shared: SharedArrayBuffer;
}

const data = workerData as { role?: string; encoding?: EncodingName } | undefined;
if (!isMainThread && parentPort && data?.role === ROLE && data.encoding) serve(parentPort, data.encoding);

function serve(port: MessagePort, encoding: EncodingName): void {
  let loaded: Encoding | undefined;
  const ready = importEncoding(encoding).then(
    (e) => void (loaded = e),
    () => undefined,
  );
  port.on('message', (request: CountRequest) => {
    void ready.then(() => {
      const slots = new Int32Array(request.shared);
      let state = FAILED;
      try {
        if (loaded) {
          slots.set(loaded.countMany(request.texts, request.segments), HEADER_SLOTS);
          state = DONE;
        }
      } finally {
        Atomics.store(slots, 0, state);
        Atomics.notify(slots, 0);
      }
    });
  });
}

/**
 * Starts a counting thread for `encoding`, or returns undefined where there is no built file to run (tests run
 * the TypeScript sources) or threads cannot be started. The thread never keeps the process alive.
 */
export function startCountWorker(encoding: EncodingName): Worker | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  try {
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE, encoding } });
    worker.unref();
    // A worker that fails is noticed by its requests (threadId -1); the error itself must not crash loom.
    worker.on('error', () => undefined);
    return worker;
  } catch {
    return undefined;
  }
}
