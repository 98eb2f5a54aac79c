/**
 * The one exponential backoff of the project: retry number `attempt` (0-based) waits
 * `min(max, base × 2^attempt)`, with "equal jitter" by default — half that ceiling plus a random
 * half, so retries never hot-loop yet spread out. Used by the Kalshi client, the WebSocket
 * reconnect, the broker consumer, the capture writer, backfill job retries and the embedder.
 * @module
 */

/** Backoff settings. */
export interface BackoffOptions {
  /** First delay ceiling in ms (default 250). */
  baseMs?: number;
  /** Largest delay in ms (default 30 000). */
  maxMs?: number;
  /** Injected randomness (tests). */
  random?: () => number;
  /** Spread delays with equal jitter (default true); false gives the exact ceiling. */
  jitter?: boolean;
}

/** Delay before retry number `attempt` (0-based), in ms. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 250;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, base * 2 ** Math.min(Math.max(0, attempt), 30));
  if (options.jitter === false) return ceiling;
  const random = options.random ?? Math.random;
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
