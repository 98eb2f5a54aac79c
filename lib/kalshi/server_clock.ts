/**
 * "Now" taken from the server a service talks to (`KALSHI_CLOCK=server`): every response's HTTP
 * `Date` header (Kalshi, the simulator and the replay all send one) sets the offset between the
 * server's clock and ours, so a service pointed at a replay of an old window sees it as live.
 * Until a first response arrives the local clock is used; `Date` has one-second resolution.
 * @module
 */
import { type Clock, systemClock } from "./clock.ts";

/** A clock that follows the server's `Date` headers. */
export interface ServerClock extends Clock {
  /** Takes the server's time from a response's `Date` header (ignored when absent or invalid). */
  observe(response: Response): void;
  /** `fetch` that observes every response: pass it to the REST client. */
  readonly fetch: typeof fetch;
}

/**
 * A clock following the server's `Date` headers, on top of `base` (default the system clock).
 *
 * @example
 * ```ts
 * import { createServerClock } from "./server_clock.ts";
 * const clock = createServerClock();
 * clock.observe(new Response(null, { headers: { date: "Wed, 25 Nov 2026 12:00:00 GMT" } }));
 * console.log(new Date(clock.now()).toISOString().slice(0, 16)); // "2026-11-25T12:00"
 * ```
 */
export function createServerClock(
  options: { base?: Clock; fetch?: typeof fetch } = {},
): ServerClock {
  const base = options.base ?? systemClock;
  const inner = options.fetch ?? globalThis.fetch;
  let offsetMs = 0;
  const observe = (response: Response) => {
    const text = response.headers.get("date");
    const serverMs = text === null ? NaN : Date.parse(text);
    if (Number.isFinite(serverMs)) offsetMs = serverMs - base.now();
  };
  return {
    now: () => base.now() + offsetMs,
    sleep: (ms, signal) => base.sleep(ms, signal),
    observe,
    fetch: async (input, init) => {
      const response = await inner(input, init);
      observe(response);
      return response;
    },
  };
}
