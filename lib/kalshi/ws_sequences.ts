/**
 * Per-subscription sequence tracking on one connection: which channel each sid belongs to, the
 * sequence number expected next on it, and the `gap` item when a frame skips ahead.
 */
import type { WsFrameSequence } from "./ws_frame.ts";
import type { WsGapItem } from "./ws_stream.ts";

/**
 * The sids of the current connection: their channels and expected sequence numbers.
 *
 * @example
 * ```ts
 * import { WsSequences } from "./ws_sequences.ts";
 * const sequences = new WsSequences();
 * sequences.bind(7, "trade");
 * sequences.observe({ type: "trade", sid: 7, seq: 1 }, 10);
 * const gap = sequences.observe({ type: "trade", sid: 7, seq: 4 }, 11);
 * console.log(gap?.expectedSeq, gap?.channel); // 2 "trade"
 * ```
 */
export class WsSequences {
  #lastSeq = new Map<number, number>();
  #channels = new Map<number, string>();

  /** The server confirmed `sid` on `channel`: its numbering starts afresh. */
  bind(sid: number, channel: string): void {
    this.#channels.set(sid, channel);
    this.#lastSeq.delete(sid);
  }

  /** The channel of `sid` on the current connection, or undefined if the client never saw it. */
  channelOf(sid: number): string | undefined {
    return this.#channels.get(sid);
  }

  /**
   * Takes a frame's sequence number; returns the gap it reveals, if any. Control replies on a sid
   * (`ok` to update_subscription, `unsubscribed`) take a number of its sequence too: they count,
   * or every update would look like a lost message. `error` replies do not.
   */
  observe(frame: WsFrameSequence, receivedAtMs: number): WsGapItem | null {
    const { type, sid, seq } = frame;
    if (type === "error" || sid === null || seq === null) return null;
    const previous = this.#lastSeq.get(sid);
    this.#lastSeq.set(sid, seq);
    if (previous === undefined || seq === previous + 1) return null;
    return {
      kind: "gap",
      receivedAtMs,
      sid,
      channel: this.#channels.get(sid) ?? null,
      expectedSeq: previous + 1,
      receivedSeq: seq,
    };
  }

  /** A new connection: sids of the old one mean nothing any more. */
  reset(): void {
    this.#lastSeq.clear();
    this.#channels.clear();
  }
}
