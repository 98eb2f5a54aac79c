/**
 * Bounds on candle and tick downloads, so no client can starve the others of database
 * connections: {@linkcode ExportLimiter} caps how many run at once per client and overall (the
 * excess is answered 429 with Retry-After), and {@linkcode ExportWatchdog} ends a streaming
 * download whose client stops taking data or that runs too long. Neither caps the rows of a
 * requested range.
 * @module
 */

/** Seconds a client refused by {@linkcode ExportLimiter} is asked to wait (Retry-After). */
export const EXPORT_RETRY_AFTER_SECONDS = 5;

/** Limits of {@linkcode ExportLimiter}. */
export interface ExportLimits {
  /** Downloads one client may run at once. */
  perClient: number;
  /** Downloads all clients together may run at once. */
  total: number;
}

/** Counts running downloads per client key and overall. */
export class ExportLimiter {
  /** The limits in force. */
  readonly limits: ExportLimits;
  #perClient = new Map<string, number>();
  #total = 0;

  /** Creates a limiter; defaults 3 per client, 5 overall. */
  constructor(limits: Partial<ExportLimits> = {}) {
    this.limits = { perClient: 3, total: 5, ...limits };
  }

  /** Downloads running now. */
  get active(): number {
    return this.#total;
  }

  /**
   * Takes a slot for `client`: a release function (idempotent), or the limit that is full.
   * Synchronous, so concurrent requests cannot both take the last slot.
   */
  tryAcquire(client: string): { release: () => void } | { full: "client" | "total" } {
    const mine = this.#perClient.get(client) ?? 0;
    if (mine >= this.limits.perClient) return { full: "client" };
    if (this.#total >= this.limits.total) return { full: "total" };
    this.#perClient.set(client, mine + 1);
    this.#total++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#total--;
        const left = (this.#perClient.get(client) ?? 1) - 1;
        if (left > 0) this.#perClient.set(client, left);
        else this.#perClient.delete(client);
      },
    };
  }
}

/** Options of {@linkcode ExportWatchdog}. */
export interface WatchdogOptions {
  /** A download whose client takes no data for this long is ended. */
  stallMs: number;
  /** A download running longer than this is ended. */
  maxMs: number;
  /** Clock in ms; default `Date.now` (tests inject one). */
  now?: () => number;
  /** Sweep interval while downloads run; default 1000; 0 sweeps only when `sweep()` is called. */
  sweepEveryMs?: number;
}

/** One watched download (see {@linkcode ExportWatchdog.watch}). */
export interface Watch {
  /** The client asked for more data. */
  pulled(): void;
  /** Data was handed over; from now on the client is being waited for. */
  waiting(): void;
  /** The download ended; stop watching it. */
  stop(): void;
}

interface Entry {
  started: number;
  waitingSince: number | undefined;
  abort: (reason: string) => void;
}

/** Ends downloads that stall or run too long; one timer for all, running only while any run. */
export class ExportWatchdog {
  /** The bounds in force. */
  readonly options: Required<WatchdogOptions>;
  #entries = new Set<Entry>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Creates a watchdog; nothing runs until a download is watched. */
  constructor(options: WatchdogOptions) {
    this.options = { now: Date.now, sweepEveryMs: 1000, ...options };
  }

  /** Downloads being watched. */
  get size(): number {
    return this.#entries.size;
  }

  /** Watches a download; `abort` is called (once) with the reason when it must end. */
  watch(abort: (reason: string) => void): Watch {
    const entry: Entry = { started: this.options.now(), waitingSince: undefined, abort };
    this.#entries.add(entry);
    this.#arm();
    return {
      pulled: () => {
        entry.waitingSince = undefined;
      },
      waiting: () => {
        entry.waitingSince = this.options.now();
      },
      stop: () => {
        this.#entries.delete(entry);
        this.#disarmIfIdle();
      },
    };
  }

  /** Ends every download over a bound; returns how many. */
  sweep(): number {
    const now = this.options.now();
    const { stallMs, maxMs } = this.options;
    const ended: [Entry, string][] = [];
    for (const entry of this.#entries) {
      if (now - entry.started >= maxMs) {
        ended.push([entry, `ran longer than ${maxMs / 1000} s (PORTAL_EXPORT_MAX_SECONDS)`]);
      } else if (entry.waitingSince !== undefined && now - entry.waitingSince >= stallMs) {
        ended.push([
          entry,
          `its client took no data for ${stallMs / 1000} s (PORTAL_EXPORT_STALL_SECONDS)`,
        ]);
      }
    }
    for (const [entry, reason] of ended) {
      this.#entries.delete(entry);
      entry.abort(reason);
    }
    this.#disarmIfIdle();
    return ended.length;
  }

  #arm(): void {
    if (this.#timer !== undefined || this.options.sweepEveryMs <= 0) return;
    const timer = setInterval(() => this.sweep(), this.options.sweepEveryMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #disarmIfIdle(): void {
    if (this.#entries.size > 0 || this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
