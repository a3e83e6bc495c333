import type { Worker } from 'node:worker_threads';
import { DONE, HEADER_SLOTS, PENDING, type CountRequest } from './count-protocol.ts';
import type { ModelConfig } from '../config/schema.ts';
import { importEncoding, type CountFn, type Encoding } from './encoding.ts';
import { tokenizerFor, type EncodingName } from './tokenizer-choice.ts';

export type { CountFn } from './encoding.ts';

export interface TokenCounter {
  /** The tokenizer's name, e.g. o200k_base. */
  readonly encoding: string;
  readonly margin: number;
  /** Tokens `text` costs the model, margin included (rounded up). */
  count(text: string): number;
  /**
   * Present when raw counts add up over the segments of a rendered diff (true of the BPE encodings, whose
   * pre-tokenizer never joins a newline to a following digit, `#`, `@`, `(` or `…`; see
   * units/exact.ts): the planner then counts each line once instead of rendering and counting every unit.
   */
  readonly segments?: SegmentCounter;
}

/**
 * Raw (margin-free) counts, in bulk, of segments of a rendered diff (units/exact.ts), or of any one text: several
 * texts in one request are counted over their concatenation (see Encoding.countMany).
 */
export interface SegmentCounter {
  countRaw(texts: readonly string[]): ArrayLike<number>;
  /**
   * The same without blocking this thread: a worker counts meanwhile. `background`: counting ahead, answered after
   * the requests someone is waiting on.
   */
  countRawAsync(texts: readonly string[], background?: boolean): Promise<ArrayLike<number>>;
  /** Raw counts of texts that are not segments (need not end a piece), each counted on its own. */
  countApart(texts: readonly string[]): ArrayLike<number>;
  /** The same without blocking this thread. */
  countApartAsync(texts: readonly string[]): Promise<ArrayLike<number>>;
  /** The counter's count of a text whose raw count is `raw`: the margin applied, rounded up. */
  total(raw: number): number;
}

export type EncodingLoader = (encoding: EncodingName) => Promise<CountFn>;

const loaded = new Map<EncodingName, Promise<Encoding>>();

/** Loads an encoding in this thread, once (a few ms from the built CLI's table; see importEncoding). */
function loadLocal(encoding: EncodingName): Promise<Encoding> {
  let pending = loaded.get(encoding);
  if (!pending) {
    pending = importEncoding(encoding);
    loaded.set(encoding, pending);
    // A failed import may succeed later (e.g. a transient file error); do not keep the rejection.
    pending.catch(() => loaded.delete(encoding));
  }
  return pending;
}

/**
 * Imports an encoding in this thread the first time it is needed, so commands that never count tokens
 * (`--version`, `config check`) never pay for it.
 */
export const loadEncoding: EncodingLoader = (encoding) => {
  let pending = counts.get(encoding);
  if (!pending) {
    pending = loadLocal(encoding).then((e) => e.count);
    counts.set(encoding, pending);
    pending.catch(() => counts.delete(encoding));
  }
  return pending;
};
const counts = new Map<EncodingName, Promise<CountFn>>();

/** Where an encoding counts: a worker thread (the built CLI) or this thread (tests, or no thread could start). */
type Backend = { kind: 'worker'; worker: Worker; released?: boolean } | { kind: 'local'; encoding: Encoding };

const backends = new Map<EncodingName, Promise<Backend>>();

/**
 * Starts loading the model's encoding now, off this thread where possible, so it is ready by the time the diff
 * has been read and parsed. Costs nothing on this thread; calling it again is free.
 */
export function preloadTokenizer(model: Pick<ModelConfig, 'model'>): void {
  void backendFor(tokenizerFor(model.model).encoding);
}

/**
 * Starts loading, in a counting thread, the encoding most models count with (o200k_base: OpenAI's current models,
 * and the stand-in for other families, see tokenizerFor) before the config names the model, so it is ready when
 * the first files of the diff are. Nothing happens where no thread can start: loading in this thread would delay
 * everything else for an encoding that may not be needed.
 */
export async function preloadLikelyTokenizer(): Promise<void> {
  const encoding: EncodingName = 'o200k_base';
  if (backends.has(encoding)) return;
  const worker = (await import('./count-worker.ts')).startCountWorker(encoding);
  if (worker && !backends.has(encoding)) backends.set(encoding, workerBackend(encoding, worker));
  else void worker?.terminate();
}

/**
 * Stops the counting threads: they are not needed once every plan is made.
 * Counters made before refuse to count afterwards; a counter made later starts a new thread.
 */
export function releaseTokenizers(): void {
  for (const backend of backends.values()) {
    void backend.then((b) => {
      if (b.kind !== 'worker') return;
      b.released = true;
      void b.worker.terminate();
    });
  }
  backends.clear();
}

function backendFor(encoding: EncodingName): Promise<Backend> {
  let backend = backends.get(encoding);
  if (!backend) {
    backend = import('./count-worker.ts')
      .then((mod) => workerBackend(encoding, mod.startCountWorker(encoding)))
      .catch(() => localBackend(encoding));
    backends.set(encoding, backend);
  }
  return backend;
}

/** A started thread once it has loaded the encoding (an empty request answers then); this thread's own otherwise. */
async function workerBackend(encoding: EncodingName, worker: Worker | undefined): Promise<Backend> {
  if (worker && (await requestAsync(worker, [])) !== undefined) return { kind: 'worker', worker };
  void worker?.terminate();
  return localBackend(encoding);
}

async function localBackend(encoding: EncodingName): Promise<Backend> {
  return { kind: 'local', encoding: await loadLocal(encoding) };
}

export interface CounterOptions {
  /**
   * What is to be counted is small (a diff of a few thousand tokens): unless the counting thread is ready already,
   * this thread counts it. Loading the encoding here takes a few ms; the thread takes 50-100 ms to start and load
   * it, all of which a small review would spend waiting.
   */
  small?: boolean;
}

export async function createTokenCounter(model: Pick<ModelConfig, 'model'>, load: EncodingLoader = loadEncoding, opts: CounterOptions = {}): Promise<TokenCounter> {
  const { encoding, margin } = tokenizerFor(model.model);
  const total = margin === 1 ? (raw: number) => raw : (raw: number) => Math.ceil(raw * margin);
  if (load !== loadEncoding) {
    // An injected loader (tests): counts as given, no claim that they add up.
    const countRaw = await load(encoding);
    return { encoding, margin, count: (text) => total(countRaw(text)) };
  }
  return counterOn(encoding, margin, await chooseBackend(encoding, backendFor(encoding), opts));
}

/**
 * createTokenCounter on a counting thread the caller started (speaking count-protocol.ts), instead of loom's own:
 * tests give it one that fails, or one that is never ready.
 */
export async function createTokenCounterOnThread(model: Pick<ModelConfig, 'model'>, worker: Worker, opts: CounterOptions = {}): Promise<TokenCounter> {
  const { encoding, margin } = tokenizerFor(model.model);
  return counterOn(encoding, margin, await chooseBackend(encoding, workerBackend(encoding, worker), opts));
}

/** The thread's backend once it is ready; for something small, this thread's unless the thread is ready now. */
async function chooseBackend(encoding: EncodingName, thread: Promise<Backend>, { small = false }: CounterOptions): Promise<Backend> {
  if (!small) return thread;
  const now = await Promise.race([thread, Promise.resolve(undefined)]);
  return now ?? (await localBackend(encoding).catch(() => thread));
}

async function counterOn(encoding: EncodingName, margin: number, backend: Backend): Promise<TokenCounter> {
  const total = margin === 1 ? (raw: number) => raw : (raw: number) => Math.ceil(raw * margin);
  const thread = backend.kind === 'worker' ? backend : undefined;
  // Where the counting thread fails a request or stops, this thread counts instead: the same counts, only slower,
  // and the review goes on. (A thread that stopped also left nothing to keep node running: a wait on it alone
  // would have ended the process, silently, in the middle of the review.)
  let local = backend.kind === 'local' ? backend.encoding : undefined;
  const takeOver = async (): Promise<Encoding> => (local ??= await loadLocal(encoding));
  if (thread) {
    if (stopped(thread.worker) && !thread.released) await takeOver();
    // Loaded as soon as the thread stops, so counts asked for synchronously find it.
    else void exitOf(thread.worker).then(() => (thread.released ? undefined : takeOver().catch(() => undefined)));
  }
  const failed = (released: boolean | undefined) => new Error(released ? 'tokens counted after releaseTokenizers()' : 'the token counting thread failed or stopped before this thread could take over');
  const countMany = (texts: readonly string[], segments: boolean): ArrayLike<number> => {
    if (local) return local.countMany(texts, segments);
    // A stopped thread never answers: fail now rather than wait out the deadline.
    const counts = thread!.released || stopped(thread!.worker) ? undefined : requestSync(thread!.worker, texts, segments);
    if (counts) return counts;
    // This count cannot wait for the encoding to load here; the next ones will find it.
    if (!thread!.released) void takeOver().catch(() => undefined);
    throw failed(thread!.released);
  };
  const countManyAsync = async (texts: readonly string[], segments: boolean, background = false): Promise<ArrayLike<number>> => {
    if (!local) {
      if (thread!.released) throw failed(true);
      const counts = await requestAsync(thread!.worker, texts, segments, background);
      if (counts) return counts;
      if (thread!.released) throw failed(true);
    }
    return (await takeOver()).countMany(texts, segments);
  };
  return {
    encoding,
    margin,
    count: (text) => total(local ? local.count(text) : countMany([text], false)[0]!),
    segments: {
      countRaw: (texts) => countMany(texts, true),
      countRawAsync: (texts, background) => countManyAsync(texts, true, background),
      countApart: (texts) => countMany(texts, false),
      countApartAsync: (texts) => countManyAsync(texts, false),
      total,
    },
  };
}

// --- talking to the counting thread (count-protocol.ts) ---

/** How long an asynchronous wait lasts before checking that the thread is still alive. */
const CHECK_MS = 200;
/**
 * A blocked thread cannot see the worker die (its exit is an event), so a synchronous request gives up after a
 * time far beyond any real count: a minute plus a second per 100,000 characters (counting runs at ~20 MB/s).
 */
const SYNC_DEADLINE_MS = 60_000;
const SYNC_CHARS_PER_MS = 100;

function post(worker: Worker, texts: readonly string[], segments: boolean, background = false): Int32Array {
  const shared = new SharedArrayBuffer(4 * (HEADER_SLOTS + texts.length));
  worker.postMessage({ texts, segments, background, shared } satisfies CountRequest);
  return new Int32Array(shared);
}

function result(slots: Int32Array): Int32Array | undefined {
  return Atomics.load(slots, 0) === DONE ? slots.subarray(HEADER_SLOTS) : undefined;
}

/** Blocks this thread until the worker has counted `texts`; undefined when it failed or did not answer in time. */
function requestSync(worker: Worker, texts: readonly string[], segments: boolean): Int32Array | undefined {
  let chars = 0;
  for (const text of texts) chars += text.length;
  const slots = post(worker, texts, segments);
  const outcome = Atomics.wait(slots, 0, PENDING, SYNC_DEADLINE_MS + chars / SYNC_CHARS_PER_MS);
  return outcome === 'timed-out' ? undefined : result(slots);
}

/** Whether a thread has stopped (node sets threadId to -1 when it exits). */
const stopped = (worker: Worker): boolean => worker.threadId === -1;

const exits = new WeakMap<Worker, Promise<'exited'>>();

/** Settles once the thread has stopped, at once if it already has. */
function exitOf(worker: Worker): Promise<'exited'> {
  let exited = exits.get(worker);
  if (!exited) {
    exited = stopped(worker) ? Promise.resolve('exited') : new Promise((resolve) => worker.once('exit', () => resolve('exited')));
    exits.set(worker, exited);
  }
  return exited;
}

// In node since 16; missing from the TypeScript lib this project targets.
const waitAsync = (Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number, timeout: number): { async: boolean; value: 'ok' | 'not-equal' | 'timed-out' | Promise<'ok' | 'timed-out'> } }).waitAsync;

/** Asynchronous requests in flight per worker: the worker is referenced while there are any. */
const inFlight = new WeakMap<Worker, number>();

/**
 * Waits without blocking. A pending wait alone does not keep node running, so the worker is referenced while any
 * request is in flight (ref/unref are not counted by node: the count is kept here).
 */
async function requestAsync(worker: Worker, texts: readonly string[], segments = false, background = false): Promise<Int32Array | undefined> {
  const slots = post(worker, texts, segments, background);
  const waiting = (inFlight.get(worker) ?? 0) + 1;
  inFlight.set(worker, waiting);
  if (waiting === 1) worker.ref();
  try {
    while (Atomics.load(slots, 0) === PENDING) {
      // Nothing else may keep node running once the thread has stopped: its exit ends the wait.
      const wait = waitAsync(slots, 0, PENDING, CHECK_MS);
      const outcome = wait.async ? await Promise.race([wait.value, exitOf(worker)]) : wait.value;
      if (outcome === 'exited' || (outcome === 'timed-out' && stopped(worker))) break;
    }
    return result(slots);
  } finally {
    const left = inFlight.get(worker)! - 1;
    inFlight.set(worker, left);
    if (left === 0) worker.unref();
  }
}
