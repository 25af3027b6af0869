/** A background loop of `rekindle serve`. */
export interface Loop {
  /** Stops the timers and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `work` every `everyMs` (and once `firstAfterMs` after start, when given). A run still going
 * when the next is due makes that one skip, so a slow run (a destination timing out) is never
 * overlapped; a failed run goes to `onError` and the next is tried on time. Timers are unref'd.
 */
export const every = (
  everyMs: number,
  work: () => Promise<unknown>,
  o: { firstAfterMs?: number; onError: (e: unknown) => void },
): Loop => {
  let current: Promise<unknown> = Promise.resolve();
  let busy = false;
  let stopped = false;
  const tick = () => {
    if (stopped || busy) return;
    busy = true;
    current = work()
      .catch(o.onError)
      .finally(() => {
        busy = false;
      });
  };
  const first = o.firstAfterMs === undefined ? undefined : setTimeout(tick, o.firstAfterMs);
  const timer = setInterval(tick, everyMs);
  first?.unref();
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await current;
    },
  };
};
