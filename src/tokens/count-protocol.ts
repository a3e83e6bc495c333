/**
 * How the main thread and the token-counting thread (count-worker.ts) talk. Each request carries the texts and a
 * SharedArrayBuffer of Int32 slots: [state, unused, count...]. The counting thread writes the counts, then sets
 * state to DONE (or FAILED: the encoding could not be loaded, or counting threw) and notifies, so the main thread
 * may wait synchronously (Atomics.wait) or asynchronously (Atomics.waitAsync).
 */
export const PENDING = 0;
export const DONE = 1;
export const FAILED = 2;
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
