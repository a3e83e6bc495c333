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
/** The counting thread's young generation (see startCountWorker). */
const YOUNG_GENERATION_MB = 8;
/** Slots before the counts in a request's shared buffer. */
export const HEADER_SLOTS = 2;

export interface CountRequest {
  texts: readonly string[];
  /** The texts are segments of a rendered diff (see Encoding.countMany). */
  segments: boolean;
  /** Counting ahead: answered after every request waiting that is not (someone is waiting on those). */
  background: boolean;
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
 * Starts a counting thread for `encoding`, or returns undefined where there is no built file to run (tests run
 * the TypeScript sources) or threads cannot be started. The thread never keeps the process alive.
 */
export function startCountWorker(encoding: EncodingName): Worker | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  try {
    // Counting makes short-lived strings by the megabyte; V8's default young generation let the thread grow by
    // 20-30 MB on a 100k-line diff, and a smaller one measured no slower (bench/, alternating runs).
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE, encoding }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    worker.unref();
    // A worker that fails is noticed by its requests (threadId -1); the error itself must not crash loom.
    worker.on('error', () => undefined);
    return worker;
  } catch {
    return undefined;
  }
}
