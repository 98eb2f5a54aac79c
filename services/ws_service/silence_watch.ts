/**
 * The silence watch: an open socket whose ticker channel went silent while markets are watched is
 * treated as dead (cryptofeed's per-channel staleness, not a global timeout) — the run records a
 * `stale` gap and reconnects.
 * @module
 */

/** Settings and hooks of {@linkcode SilenceWatch}. */
export interface SilenceWatchOptions {
  /** Silence after which the channel counts as dead, ms (0 disables the watch). */
  staleMs: number;
  /** Whether the socket is open. */
  connected: () => boolean;
  /** Markets watched now (no market, no expected traffic). */
  watched: () => number;
  /** Called once per silence with how long the channel was silent. */
  onStale: (silentMs: number) => void;
  /** Current time, ms (default Date.now). */
  now?: () => number;
}

/** Watches the ticker channel for silence. */
export class SilenceWatch {
  #o: SilenceWatchOptions;
  #lastSeen = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Starts checking (every quarter of the limit, between 50 ms and 5 s). */
  constructor(options: SilenceWatchOptions) {
    this.#o = options;
    if (options.staleMs > 0) {
      const every = Math.max(50, Math.min(5000, options.staleMs / 4));
      this.#timer = setInterval(() => this.check(), every);
    }
  }

  /** A message of `channel` arrived (or it was just subscribed). */
  seen(channel: string): void {
    this.#lastSeen.set(channel, (this.#o.now ?? Date.now)());
  }

  /** Reports the ticker channel when it has been silent past the limit. */
  check(): void {
    const seen = this.#lastSeen.get("ticker");
    if (!this.#o.connected() || this.#o.watched() === 0 || seen === undefined) return;
    const silentMs = (this.#o.now ?? Date.now)() - seen;
    if (silentMs <= this.#o.staleMs) return;
    this.#lastSeen.delete("ticker");
    this.#o.onStale(silentMs);
  }

  /** Stops the timer. */
  close(): void {
    clearInterval(this.#timer);
  }
}
