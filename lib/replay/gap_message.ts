/**
 * The replay's one message Kalshi does not have: `replay_gap`, sent in-band where the capture that
 * is replayed recorded a gap (a span in which it may have missed messages), so a consumer sees the
 * hole instead of a quiet market. It is sent once, at the gap's start in replay time, to every
 * connection with a subscription (on any channel: the gaps are the capture's record, and the
 * client decides what a gap of a channel it does not follow means), without `sid` or `seq`:
 *
 * ```json
 * {"type":"replay_gap","msg":{"channel":"ticker","market_tickers":null,
 *  "start_ts_ms":1764072000000,"end_ts_ms":1764072030000,"reason":"disconnect","detail":{}}}
 * ```
 *
 * `market_tickers` null = every market of the channel; `detail` is the capture's own (or null).
 * ws_service records it as a `capture_gaps` row with the same channel, markets, bounds and reason.
 * @module
 */
import { z } from "zod";

/** The frame `type` of a replayed gap. */
export const REPLAY_GAP_TYPE = "replay_gap";

const instantMs = z.number().int().min(0).max(8_640_000_000_000);

/** A replayed gap: the `msg` of a `replay_gap` frame. */
export interface ReplayGap {
  /** The channel the capture may have missed messages of (e.g. `ticker`). */
  channel: string;
  /** The markets affected; null = every market of the channel. */
  market_tickers: string[] | null;
  /** The gap's start, Unix ms (exchange time). */
  start_ts_ms: number;
  /** The gap's end, Unix ms (not before the start). */
  end_ts_ms: number;
  /** Why the capture recorded the gap (e.g. `disconnect`). */
  reason: string;
  /** The capture's own detail of the gap, or null. */
  detail: Record<string, unknown> | null;
}

/** Validates the `msg` of a `replay_gap` frame (docs/replay.md). */
const ReplayGapSchema = z.object({
  channel: z.string().min(1).max(100),
  market_tickers: z.array(z.string().min(1).max(200)).max(100_000).nullable(),
  start_ts_ms: instantMs,
  end_ts_ms: instantMs,
  reason: z.string().min(1).max(100),
  detail: z.record(z.string(), z.unknown()).nullable(),
}).refine((g) => g.end_ts_ms >= g.start_ts_ms, {
  message: "end_ts_ms before start_ts_ms",
}) satisfies z.ZodType<ReplayGap>;

/**
 * Reads a `replay_gap` frame (the whole frame object); null when it is not a valid one.
 *
 * @example
 * ```ts
 * import { parseReplayGap } from "./gap_message.ts";
 * const gap = parseReplayGap({ type: "replay_gap", msg: { channel: "ticker", market_tickers: null,
 *   start_ts_ms: 1, end_ts_ms: 2, reason: "disconnect", detail: null } });
 * console.log(gap?.end_ts_ms); // 2
 * ```
 */
export function parseReplayGap(frame: Record<string, unknown>): ReplayGap | null {
  if (frame.type !== REPLAY_GAP_TYPE) return null;
  const r = ReplayGapSchema.safeParse(frame.msg);
  return r.success ? r.data : null;
}
