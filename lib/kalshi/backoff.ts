/** Retry timing: the project's backoff (lib/runtime) and the HTTP Retry-After header. */

export { backoffDelay, type BackoffOptions } from "../runtime/mod.ts";

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
