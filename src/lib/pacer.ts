/**
 * Spaces calls evenly, with no burst, a little below `rps`: `wait()` resolves when the next call may start.
 * The Mono task queue's rate (`maxTaskQueueActivitiesPerSecond`) bounds Mono activities across every worker;
 * this bounds the requests of one process, retries and two-call activities included. Calls are spaced for
 * PACER_HEADROOM × rps, so that uneven network and event-loop delays between two requests never put more
 * than `rps` of them into one second at Mono's end.
 */
export const PACER_HEADROOM = 0.9;

export interface Pacer {
  wait(signal?: AbortSignal): Promise<void>;
}

export function createPacer(rps: number, now: () => number = Date.now): Pacer {
  if (!(rps > 0)) throw new Error('rps must be more than 0');
  const intervalMs = 1000 / (rps * PACER_HEADROOM);
  let nextAtMs = -Infinity;
  return {
    wait(signal) {
      const t = now();
      const at = Math.max(t, nextAtMs);
      nextAtMs = at + intervalMs;
      const delay = Math.ceil(at - t);
      if (delay <= 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, delay);
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
          },
          { once: true }
        );
      });
    },
  };
}
