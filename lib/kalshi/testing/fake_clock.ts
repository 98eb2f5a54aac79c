/**
 * A {@linkcode Clock} for tests whose time moves only when the test says so: it reads and waits on
 * a @sinonjs/fake-timers clock, which the test advances with `fake.tick` / `fake.tickAsync`.
 * @module
 */
import FakeTimers, { type Clock as FakeTimersClock } from "@sinonjs/fake-timers";
import type { Clock } from "../clock.ts";

/** A fake-timers clock and the {@linkcode Clock} that reads and waits on it. */
export interface FakeClock {
  /** The fake timers: advance time with `tick` / `tickAsync`, read it with `now`. */
  fake: FakeTimersClock;
  /** The clock to inject: `now()` is `fake.now`; `sleep` resolves once `ms` has been ticked. */
  clock: Clock;
}

/**
 * A clock starting at `startMs` (milliseconds since the Unix epoch) that stands still until the
 * test ticks it. A sleep whose signal is or becomes aborted rejects with `signal.reason` (and
 * clears its timer), as the system clock's does.
 */
export function fakeClock(startMs: number): FakeClock {
  const fake = FakeTimers.createClock(startMs);
  const clock: Clock = {
    now: () => fake.now,
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason); // as systemClock: aborted first
        const id = fake.setTimeout(() => resolve(), ms);
        signal?.addEventListener("abort", () => {
          fake.clearTimeout(id);
          reject(signal.reason);
        }, { once: true });
      }),
  };
  return { fake, clock };
}
