/**
 * Routing: what one WebSocket stream item means for capture, as plain data. `routeItem` is pure
 * (no socket, no database, no clock): the run loop applies its effects to the pipeline, the gap
 * tracker, the metrics and the log, so every routing rule is tested on its own.
 * @module
 */
import {
  type DeadLetterRow,
  type LifecycleRow,
  lifecycleRow,
  type TickRow,
  tickRow,
  type TradeRow,
  tradeRow,
} from "@kalshi-data/lib/capture";
import type { GapRow } from "@kalshi-data/lib/capture";
import type {
  OrderbookDeltaMsg,
  OrderbookSnapshotMsg,
  WsStreamItem,
} from "@kalshi-data/lib/kalshi";
import { parseReplayGap } from "@kalshi-data/lib/replay";

/** Message types of the lifecycle channels, stored in `market_lifecycle`. */
export const LIFECYCLE_TYPES: ReadonlySet<string> = new Set([
  "market_lifecycle_v2",
  "multivariate_market_lifecycle",
  "event_lifecycle",
  "event_fee_update",
]);

/** One consequence of a stream item. */
export type Effect =
  | { kind: "tick"; row: TickRow }
  | { kind: "trade"; row: TradeRow }
  | { kind: "lifecycle"; row: LifecycleRow }
  /** Order-book messages go to the order-book capture (./orderbook.ts), which builds the rows. */
  | { kind: "orderbook_snapshot"; message: OrderbookSnapshotMsg; atMs: number }
  | { kind: "orderbook_delta"; message: OrderbookDeltaMsg; atMs: number }
  /**
   * A frame that is not stored as data: an unknown type, an invalid frame, or a valid message
   * whose row the row builder refused ("unwritable": nothing PostgreSQL could store).
   */
  | {
    kind: "dead_letter";
    row: DeadLetterRow;
    reason: "unknown_type" | "invalid" | "unwritable";
  }
  /** A data message arrived (readiness, silence watch, rates); `exchangeMs` moves the watermark. */
  | { kind: "data"; type: string; channel: string; atMs: number; exchangeMs: number | null }
  /** A control reply was counted (subscribed, ok, error, …). */
  | { kind: "control"; type: string }
  | { kind: "subscribed"; channel: string; atMs: number }
  | { kind: "acknowledged"; channel: string; atMs: number }
  | { kind: "seq_gap"; channel: string; atMs: number; detail: Record<string, unknown> }
  /** A gap the replayed capture recorded, announced in-band by a replay (lib/replay). */
  | { kind: "replayed_gap"; row: GapRow }
  | { kind: "disconnected"; fromMs: number; reason: string; failedAttempts: number }
  | { kind: "refused"; status: number; attempts: number }
  | { kind: "error_reply"; code: number | null; message: string | null; sid: number | null };

/** What routing needs to know besides the item. */
export interface RouteContext {
  /** Stamped on dead letters. */
  sessionId: string;
  /** The channel of a subscription id, as the client knows it. */
  channelOf(sid: number): string | null;
}

/** The effects of one stream item, in the order they must be applied. */
export function routeItem(item: WsStreamItem, context: RouteContext): Effect[] {
  switch (item.kind) {
    case "message":
      return routeMessage(item.message, item.receivedAtMs, context);
    case "unsupported": {
      const gap = parseReplayGap(item.raw);
      if (gap !== null) {
        return [{
          kind: "replayed_gap",
          row: {
            channel: gap.channel,
            marketTickers: gap.market_tickers,
            startMs: gap.start_ts_ms,
            endMs: gap.end_ts_ms,
            reason: gap.reason,
            detail: gap.detail,
          },
        }];
      }
      return [{
        kind: "dead_letter",
        reason: "unknown_type",
        row: {
          source: `ws:${item.type}`,
          error: `unknown message type "${item.type}"`,
          payload: JSON.stringify(item.raw),
          context: { sessionId: context.sessionId },
          receivedAtMs: item.receivedAtMs,
        },
      }];
    }
    case "invalid":
      return [{
        kind: "dead_letter",
        reason: "invalid",
        row: {
          source: "ws",
          error: item.error,
          payload: item.rawText,
          context: { sessionId: context.sessionId },
          receivedAtMs: item.receivedAtMs,
        },
      }];
    case "gap":
      return [{
        kind: "seq_gap",
        channel: item.channel ?? context.channelOf(item.sid) ?? "unknown",
        atMs: item.receivedAtMs,
        detail: { sid: item.sid, expectedSeq: item.expectedSeq, receivedSeq: item.receivedSeq },
      }];
    case "disconnect":
      return [{
        kind: "disconnected",
        fromMs: item.startedAtMs,
        reason: item.reason,
        failedAttempts: item.failedAttempts,
      }];
    case "refused":
      return [{ kind: "refused", status: item.status, attempts: item.attempts }];
  }
}

type Message = Extract<WsStreamItem, { kind: "message" }>["message"];

/** The row effect of a data message, built by `build`. */
type RowEffect = Extract<Effect, { kind: "tick" | "trade" | "lifecycle" }>;

/**
 * A data message's effects: the data effect, then its row. When the row builder refuses the
 * message (it throws), the row becomes a dead letter instead and the message's exchange time is
 * not trusted for the watermark: one unwritable message never stops the stream.
 */
function dataEffects(
  m: Message,
  channel: string,
  exchangeMs: number | null,
  atMs: number,
  context: RouteContext,
  build: () => RowEffect,
): Effect[] {
  let row: RowEffect;
  try {
    row = build();
  } catch (error) {
    return [
      { kind: "data", type: m.type, channel, atMs, exchangeMs: null },
      {
        kind: "dead_letter",
        reason: "unwritable",
        row: {
          source: `ws:${m.type}`,
          error: `row refused: ${error instanceof Error ? error.message : String(error)}`,
          payload: JSON.stringify(m.raw),
          context: { sessionId: context.sessionId },
          receivedAtMs: atMs,
        },
      },
    ];
  }
  return [{ kind: "data", type: m.type, channel, atMs, exchangeMs }, row];
}

function routeMessage(m: Message, atMs: number, context: RouteContext): Effect[] {
  if (m.type === "ticker") {
    return dataEffects(m, "ticker", m.tsMs, atMs, context, () => ({
      kind: "tick",
      row: tickRow(m, atMs),
    }));
  }
  if (m.type === "trade") {
    return dataEffects(m, "trade", m.tsMs, atMs, context, () => ({
      kind: "trade",
      row: tradeRow(m, atMs),
    }));
  }
  if (
    m.type === "market_lifecycle_v2" || m.type === "multivariate_market_lifecycle" ||
    m.type === "event_lifecycle" || m.type === "event_fee_update"
  ) {
    return dataEffects(m, m.type, null, atMs, context, () => ({
      kind: "lifecycle",
      row: lifecycleRow(m, atMs),
    }));
  }
  if (m.type === "orderbook_snapshot" || m.type === "orderbook_delta") {
    const exchangeMs = m.type === "orderbook_delta" ? m.tsMs : null;
    return [
      { kind: "data", type: m.type, channel: "orderbook_delta", atMs, exchangeMs },
      m.type === "orderbook_delta"
        ? { kind: "orderbook_delta", message: m, atMs }
        : { kind: "orderbook_snapshot", message: m, atMs },
    ];
  }
  const counted: Effect = { kind: "control", type: m.type };
  switch (m.type) {
    case "subscribed":
      return [counted, { kind: "subscribed", channel: m.channel, atMs }];
    case "ok": {
      const channel = m.sid === null ? null : context.channelOf(m.sid);
      return channel === null ? [counted] : [counted, { kind: "acknowledged", channel, atMs }];
    }
    case "error":
      return [counted, { kind: "error_reply", code: m.code, message: m.message, sid: m.sid }];
    default:
      return [counted];
  }
}
