/**
 * Token-bucket rate limiter, first come first served. One limiter per process is shared by every
 * Kalshi request (`processRateLimiter`), so concurrent loops cannot together exceed the budget.
 * The bucket holds `burst` tokens: budget left unused while no request was ready is kept (up to
 * `burst`) instead of thrown away, as Kalshi's own bucket (2–3 s of budget) keeps it.
 */
import { type Clock, systemClock } from "./clock.ts";

/** Waits until a request may be sent. */
export interface RateLimiter {
  /** Resolves when a token is available (FIFO); rejects if `signal` aborts while waiting. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Requests per second this limiter allows. */
  readonly ratePerSecond: number;
  /** Bucket capacity in requests (at least 1). */
  readonly burst: number;
}

/** Limiter settings. */
export interface RateLimiterOptions {
  /** Sustained requests per second (> 0). */
  ratePerSecond: number;
  /**
   * Bucket capacity: requests that may go back to back after idling; default 1 (no burst).
   * Values below 1 count as 1; fractions are kept (capacity 2.5 = two requests now, a third
   * half an interval later).
   */
  burst?: number;
  /** Injected clock (tests). */
  clock?: Clock;
}

/**
 * Creates a token bucket: at most `burst + ratePerSecond × t` acquisitions complete in any
 * window of `t` seconds.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const rate = options.ratePerSecond;
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw new RangeError(`ratePerSecond must be a positive number, got ${rate}`);
  }
  const burst = options.burst ?? 1;
  if (Number.isNaN(burst) || burst === Infinity) {
    throw new RangeError(`burst must be a finite number, got ${burst}`);
  }
  const capacity = Math.max(1, burst);
  const clock = options.clock ?? systemClock;
  let tokens = capacity;
  let updatedAt = clock.now();
  let queue: Promise<void> = Promise.resolve();

  const refill = () => {
    const now = clock.now();
    tokens = Math.min(capacity, tokens + ((now - updatedAt) * rate) / 1000);
    updatedAt = now;
  };

  const takeToken = async (signal?: AbortSignal) => {
    for (;;) {
      signal?.throwIfAborted();
      refill();
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await clock.sleep(Math.ceil(((1 - tokens) * 1000) / rate), signal);
    }
  };

  return {
    ratePerSecond: rate,
    burst: capacity,
    acquire(signal?: AbortSignal): Promise<void> {
      const turn = queue.then(() => takeToken(signal));
      queue = turn.catch(() => {});
      return turn;
    },
  };
}

let shared: RateLimiter | undefined;

/**
 * The process-wide limiter for Kalshi reads. The first call fixes rate and burst; later calls
 * get the same limiter whatever they pass (one budget per process, as Kalshi counts per account).
 *
 * @example
 * ```ts
 * const limiter = processRateLimiter({ ratePerSecond: 20, burst: 20 });
 * await limiter.acquire();
 * ```
 */
export function processRateLimiter(options: Omit<RateLimiterOptions, "clock">): RateLimiter {
  shared ??= createRateLimiter(options);
  return shared;
}
