/**
 * The WebSocket client's stream: the items it yields and the bounded buffer between the socket and
 * the consumer. A native WebSocket cannot be paused, so the buffer only says when it is full (the
 * client then drops the connection) and when a lagging consumer has caught up again.
 */
import type { WsMessage } from "./schemas/ws.ts";

/** `reason` of the `disconnect` marker when the client dropped a connection its consumer lagged. */
export const BUFFER_OVERFLOW_REASON = "buffer_overflow";

/** Default `maxBufferedMessages`. */
export const DEFAULT_MAX_BUFFERED_MESSAGES = 10_000;

/** A jump in a subscription's sequence numbers: messages were lost between two frames. */
export interface WsGapItem {
  /** A sequence gap. */
  kind: "gap";
  /** When the frame that showed it arrived, Unix ms. */
  receivedAtMs: number;
  /** The subscription id. */
  sid: number;
  /** The sid's channel when the jump was seen, or null if the sid was unknown. */
  channel: string | null;
  /** The sequence number due next. */
  expectedSeq: number;
  /** The sequence number received instead. */
  receivedSeq: number;
}

/** An outage of the connection, from its loss to its restoration. */
export interface WsDisconnectItem {
  /** A connection outage. */
  kind: "disconnect";
  /**
   * When the connection was lost (or the first connect failed); for `buffer_overflow`, when
   * the first frame that did not fit arrived.
   */
  startedAtMs: number;
  /** When it was restored; null if the client closed while still disconnected. */
  endedAtMs: number | null;
  /**
   * What started the outage: a close / error description, or `buffer_overflow`
   * (BUFFER_OVERFLOW_REASON) when the consumer fell a full buffer behind.
   */
  reason: string;
  /** Failed connection attempts during the outage. */
  failedAttempts: number;
}

/**
 * The server refused the handshake with 401 or 403: a credentials problem (wrong key, wrong
 * environment, skewed clock), which retrying alone will not fix. The client keeps retrying; the
 * consumer decides when to give up.
 */
export interface WsRefusedItem {
  /** A refused handshake. */
  kind: "refused";
  /** HTTP status of the refused handshake. */
  status: 401 | 403;
  /** Refused handshakes in a row, this one included (an opened connection resets the count). */
  attempts: number;
  /** When the refusal arrived, Unix ms. */
  receivedAtMs: number;
}

/** One item of the stream. `receivedAtMs` is the local clock when the frame arrived. */
export type WsStreamItem =
  | { kind: "message"; receivedAtMs: number; message: WsMessage }
  | { kind: "unsupported"; receivedAtMs: number; type: string; raw: Record<string, unknown> }
  | { kind: "invalid"; receivedAtMs: number; rawText: string; error: string }
  | WsGapItem
  | WsDisconnectItem
  | WsRefusedItem;

/**
 * The items received and not yet read, bounded by `maxBufferedMessages`: `full` says when the
 * client must stop taking frames, `caughtUp` when the consumer has read half of them again.
 *
 * @example
 * ```ts
 * import { WsStreamBuffer } from "./ws_stream.ts";
 * const buffer = new WsStreamBuffer(2);
 * buffer.push({ kind: "invalid", receivedAtMs: 1, rawText: "x", error: "not JSON" });
 * buffer.end();
 * for await (const item of buffer) console.log(item.kind); // "invalid"
 * ```
 */
export class WsStreamBuffer implements AsyncIterable<WsStreamItem> {
  /** Items kept at most before `full` (markers may exceed it by one). */
  readonly max: number;
  /** After an overflow, the client reconnects once the consumer is this far down. */
  readonly resumeBelow: number;
  #items: WsStreamItem[] = [];
  #waiter: (() => void) | null = null;
  #drained: (() => void) | null = null;
  #ended = false;

  /** Throws RangeError unless `maxBufferedMessages` is a positive integer. */
  constructor(maxBufferedMessages: number = DEFAULT_MAX_BUFFERED_MESSAGES) {
    if (!Number.isInteger(maxBufferedMessages) || maxBufferedMessages < 1) {
      throw new RangeError(
        `maxBufferedMessages must be a positive integer, got ${maxBufferedMessages}`,
      );
    }
    this.max = maxBufferedMessages;
    this.resumeBelow = Math.floor(maxBufferedMessages / 2);
  }

  /** Items received and not yet read. */
  get size(): number {
    return this.#items.length;
  }

  /** Whether the consumer is a full buffer behind: the next frame cannot be kept. */
  get full(): boolean {
    return this.#items.length >= this.max;
  }

  /** Appends an item and wakes a waiting consumer. */
  push(item: WsStreamItem): void {
    this.#items.push(item);
    this.#wake();
  }

  /**
   * Nothing more will be pushed: the consumer stops once it has read everything. Only the end
   * of the connection loop calls it, after its last `disconnect` marker, so a consumer never
   * stops short of that marker.
   */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  /** Resolves once the consumer has read the buffer down to `resumeBelow`, or on `signal`. */
  caughtUp(signal: AbortSignal): Promise<void> {
    if (this.#items.length <= this.resumeBelow || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const onAbort = () => done();
      const done = () => {
        this.#drained = null;
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      this.#drained = done;
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Yields items in arrival order until the buffer is ended and empty. */
  async *[Symbol.asyncIterator](): AsyncGenerator<WsStreamItem, void, undefined> {
    for (;;) {
      if (this.#items.length > 0) {
        const item = this.#items.shift() as WsStreamItem;
        if (this.#drained !== null && this.#items.length <= this.resumeBelow) this.#drained();
        yield item;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }

  #wake(): void {
    this.#waiter?.();
    this.#waiter = null;
  }
}
