/**
 * `source`, read on while `until` is pending: what is read meanwhile is kept and comes first, in order. Reading
 * ahead stops once `until` settles (either way) or the consumer asks for its first item, and never runs two reads
 * of `source` at once.
 *
 * The review reads the diff through it while the token counter's thread starts (50-100 ms): the main thread
 * otherwise waited with nothing to do, and the diff, unread, waited with it.
 */
export function readWhile<T>(source: AsyncIterable<T>, until: Promise<unknown>): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  const ahead: Promise<IteratorResult<T>>[] = [];
  let reading = true;
  const stop = () => void (reading = false);
  until.then(stop, stop);
  const readAhead = (async () => {
    while (reading) {
      const next = iterator.next();
      ahead.push(next);
      // A failed read is the consumer's to see, when it comes to it.
      if ((await next.catch(() => ({ done: true }))).done) return;
    }
  })();
  return {
    [Symbol.asyncIterator]: () => ({
      // Once reading ahead has stopped, the read it has in flight (if any) is the first in `ahead`: taken from there,
      // it is never joined by a second.
      next: () => {
        stop();
        return ahead.shift() ?? iterator.next();
      },
      // A consumer that stops early (a cap reached) closes the source, as it would without this.
      return: async () => {
        stop();
        await readAhead;
        return (await iterator.return?.()) ?? { done: true, value: undefined };
      },
    }),
  };
}
