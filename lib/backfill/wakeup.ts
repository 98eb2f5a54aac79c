/**
 * Wakes idle backfill workers early (a "jobs ready" notification) and tells the notifier when a
 * claim round that started after its notification has finished, so the broker message can be
 * acknowledged after the work it announced was committed (or found already taken).
 * @module
 */

/** The rendezvous between notifications and worker rounds. */
export interface Wakeup {
  /** Wakes idle workers; resolves when a round begun after this call has finished. */
  notify(): Promise<void>;
  /** Waits up to `ms` or until notified or aborted (never rejects). */
  wait(ms: number, signal: AbortSignal): Promise<void>;
  /** A worker starts a claim round: takes the notifications waiting for one. */
  beginRound(): () => void;
}

/** Creates a rendezvous. */
export function createWakeup(): Wakeup {
  let sleepers: (() => void)[] = [];
  let waiting: (() => void)[] = [];
  return {
    notify() {
      const { promise, resolve } = Promise.withResolvers<void>();
      waiting.push(resolve);
      const wake = sleepers;
      sleepers = [];
      for (const w of wake) w();
      return promise;
    },
    wait(ms, signal) {
      return new Promise<void>((resolve) => {
        // A notification that came while every worker was busy still needs a round.
        if (signal.aborted || waiting.length > 0) return resolve();
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          sleepers = sleepers.filter((s) => s !== done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener("abort", done, { once: true });
        sleepers.push(done);
      });
    },
    beginRound() {
      const mine = waiting;
      waiting = [];
      return () => {
        for (const resolve of mine) resolve();
      };
    },
  };
}
