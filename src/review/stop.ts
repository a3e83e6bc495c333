import type { Logger } from '../log.ts';
import { ReviewStopped } from '../pipelines/run.ts';

/** Subscribes `stop` to what asks loom to stop (with the reason to report); returns the unsubscribe. */
export type StopSubscriber = (stop: (reason: string) => void) => () => void;

export interface ReviewStop {
  /** Aborted, with a ReviewStopped, once the review stops waiting on models. */
  signal: AbortSignal;
  /** The stop came from a subscriber (a signal: the job is being cancelled), not from limits.max_minutes. */
  readonly interrupted: boolean;
  /** Ends the time limit and the subscription: from then on a signal has its default effect. */
  release(): void;
}

/**
 * What ends the model phase early: limits.max_minutes, counted from `startedAt` (ms since the epoch), and whatever
 * `subscribe` reports. Either way the calls not answered yet are stopped and the report still goes out, so a job
 * that runs out of time leaves a partial review that says what it left out, instead of nothing.
 */
export function watchForStop(opts: { maxMinutes: number | undefined; startedAt: number; subscribe?: StopSubscriber | undefined; log: Logger }): ReviewStop {
  const controller = new AbortController();
  let interrupted = false;
  const stop = (reason: string, bySubscriber: boolean) => {
    if (controller.signal.aborted) return;
    interrupted = bySubscriber;
    opts.log.warn(`${reason}: the model calls not answered yet are stopped; the report covers what was answered`);
    controller.abort(new ReviewStopped(reason));
  };
  const { maxMinutes } = opts;
  const timer =
    maxMinutes === undefined ? undefined : setTimeout(() => stop(`limits.max_minutes (${maxMinutes}) was reached`, false), Math.max(0, opts.startedAt + maxMinutes * 60_000 - Date.now()));
  timer?.unref();
  const unsubscribe = opts.subscribe?.((reason) => stop(reason, true));
  return {
    signal: controller.signal,
    get interrupted() {
      return interrupted;
    },
    release() {
      clearTimeout(timer);
      unsubscribe?.();
    },
  };
}

/**
 * The process's stop signals: SIGINT (Ctrl-C; GitHub Actions sends it first when a run is cancelled or times out)
 * and SIGTERM (GitLab, Azure, Bitbucket and Gitea runners, and GitHub after SIGINT). Each is caught once: a second
 * one stops loom at once, as if it were not caught.
 */
export const processStopSignals: StopSubscriber = (stop) => {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const handler = () => stop(`loom was stopped (${name})`);
    process.once(name, handler);
    return [name, handler] as const;
  });
  return () => {
    for (const [name, handler] of handlers) process.off(name, handler);
  };
};
