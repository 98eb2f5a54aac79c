/** Retry timing: jittered exponential backoff and the HTTP Retry-After header. */
import type { Random } from "./clock.ts";

/** Backoff settings. */
export interface BackoffOptions {
  /** First delay ceiling in ms (default 250). */
  baseMs?: number;
  /** Largest delay in ms (default 30 000). */
  maxMs?: number;
  /** Injected randomness (tests). */
  random?: Random;
}

/**
 * Delay before retry number `attempt` (0-based): "equal jitter" — half the exponential ceiling
 * plus a random half, so retries never hot-loop yet spread out.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 250;
  const max = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Parses a Retry-After header (delta seconds or HTTP date) into milliseconds from `nowMs`;
 * null when absent or unparsable.
 */
export function retryAfterMs(header: string | null, nowMs: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}
