import { DONE, FAILED } from '../../src/tokens/count-protocol.ts';

/**
 * Source of a counting thread (run with `new Worker(code, { eval: true })`) that speaks the protocol
 * (count-protocol.ts) and never counts: it answers the readiness request (no texts) as `ready` says (or never, when
 * `silent`: a thread still loading), then every request with texts as `then` says: stop the thread, or answer FAILED.
 */
export function misbehavingThreadCode(ready: 'answer' | 'stop' | 'silent', then: 'stop' | 'fail'): string {
  return `
    const { parentPort } = require('node:worker_threads');
    parentPort.on('message', ({ texts, shared }) => {
      const slots = new Int32Array(shared);
      if (texts.length === 0 && ${JSON.stringify(ready)} === 'silent') return;
      const stop = texts.length === 0 ? ${JSON.stringify(ready)} === 'stop' : ${JSON.stringify(then)} === 'stop';
      if (stop) process.exit(1);
      Atomics.store(slots, 0, texts.length === 0 ? ${DONE} : ${FAILED});
      Atomics.notify(slots, 0);
    });`;
}
