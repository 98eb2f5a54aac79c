/**
 * The reconnect policy: jittered backoff between failed attempts, the count of failed and refused
 * attempts, the outage each loss starts and the `disconnect` marker that reports it, and the
 * liveness watch that gives up on a connection that went silent.
 */
import { backoffDelay } from "./backoff.ts";
import type { Clock, Random } from "./clock.ts";
import type { WsDisconnectItem, WsRefusedItem } from "./ws_stream.ts";

/** Why a connection ends when the client itself closes it (no marker reports that). */
export const CLIENT_CLOSED_REASON = "client closed";

/** Settings of {@linkcode WsReconnectPolicy}. */
export interface WsReconnectOptions {
  /** Timestamps of the outage and of refused handshakes. */
  clock: Clock;
  /** Backoff jitter (default Math.random). */
  random?: Random;
  /** Backoff delay ceiling of the first retry (default 500 ms). */
  baseMs?: number;
  /** Largest backoff delay (default 30 000 ms). */
  maxMs?: number;
}

/**
 * What the client does between connections: how long to wait before the next attempt, and what
 * the stream says about the outage (`disconnect`) and about refused handshakes (`refused`).
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * import { WsReconnectPolicy } from "./ws_reconnect.ts";
 * const policy = new WsReconnectPolicy({ clock: systemClock, random: () => 0 });
 * policy.attemptFailed("tcp connect error"); // 250: half of the 500 ms ceiling
 * const marker = policy.connected();
 * console.log(marker?.reason, marker?.failedAttempts); // "tcp connect error" 1
 * ```
 */
export class WsReconnectPolicy {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #baseMs: number;
  readonly #maxMs: number;
  #failedAttempts = 0;
  #refusedInARow = 0;
  /** Start of the current outage, or null while connected (or before the first attempt). */
  #downSince: number | null = null;
  #reason = "";

  /** A policy timed by `options.clock`. */
  constructor(options: WsReconnectOptions) {
    this.#clock = options.clock;
    this.#random = options.random ?? Math.random;
    this.#baseMs = options.baseMs ?? 500;
    this.#maxMs = options.maxMs ?? 30_000;
  }

  /** Failed attempts in the current outage. */
  get failedAttempts(): number {
    return this.#failedAttempts;
  }

  /**
   * An attempt to connect failed for `reason`; returns the delay before the next one. The first
   * failure of an outage names it (a later one does not replace the reason).
   */
  attemptFailed(reason: string): number {
    if (this.#downSince === null) {
      this.#downSince = this.#clock.now();
      this.#reason = reason;
    }
    const delay = backoffDelay(this.#failedAttempts, {
      baseMs: this.#baseMs,
      maxMs: this.#maxMs,
      random: this.#random,
    });
    this.#failedAttempts++;
    return delay;
  }

  /** The failed attempt was a handshake refused with `status`: the item that reports it. */
  refused(status: 401 | 403): WsRefusedItem {
    this.#refusedInARow++;
    return {
      kind: "refused",
      status,
      attempts: this.#refusedInARow,
      receivedAtMs: this.#clock.now(),
    };
  }

  /** A connection opened: the marker of the outage it ends (null if there was none). */
  connected(): WsDisconnectItem | null {
    const marker: WsDisconnectItem | null = this.#downSince === null ? null : {
      kind: "disconnect",
      startedAtMs: this.#downSince,
      endedAtMs: this.#clock.now(),
      reason: this.#reason,
      failedAttempts: this.#failedAttempts,
    };
    this.#failedAttempts = 0;
    this.#refusedInARow = 0;
    this.#downSince = null;
    return marker;
  }

  /** The open connection ended at `atMs` for `reason`: an outage starts. */
  connectionLost(reason: string, atMs: number): void {
    this.#downSince = atMs;
    this.#reason = reason;
  }

  /**
   * The client stopped: the open-ended marker of the outage in progress, or null if there is
   * none or the client itself ended the connection.
   */
  stopped(): WsDisconnectItem | null {
    if (this.#downSince === null || this.#reason === CLIENT_CLOSED_REASON) return null;
    return {
      kind: "disconnect",
      startedAtMs: this.#downSince,
      endedAtMs: null,
      reason: this.#reason,
      failedAttempts: this.#failedAttempts,
    };
  }
}

/**
 * Watches one connection for silence: `frame()` on every frame; `expired()` resolves true once
 * no frame arrived for `timeoutMs` of `clock`, or false when its signal aborts first.
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * import { LivenessWatch } from "./ws_reconnect.ts";
 * const watch = new LivenessWatch(systemClock, 20);
 * watch.frame();
 * console.log(await watch.expired(new AbortController().signal)); // true, about 20 ms later
 * ```
 */
export class LivenessWatch {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  #lastFrameMs: number;

  /** Starts the watch now: the connection has `timeoutMs` to send its first frame. */
  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#lastFrameMs = clock.now();
  }

  /** A frame arrived. */
  frame(): void {
    this.#lastFrameMs = this.#clock.now();
  }

  /** True once the connection was silent for the timeout; false if `signal` aborts first. */
  async expired(signal: AbortSignal): Promise<boolean> {
    for (;;) {
      const idle = this.#clock.now() - this.#lastFrameMs;
      if (idle >= this.#timeoutMs) return true;
      try {
        await this.#clock.sleep(this.#timeoutMs - idle, signal);
      } catch {
        return false;
      }
    }
  }
}
