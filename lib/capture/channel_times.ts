/**
 * The newest receive and exchange time of each WebSocket channel in a batch, as `writeBatch`
 * merges them into `ingest_state` `ws.session` `channels` (so `deno task status` can tell which
 * channel went quiet). Channel names: `ticker` for ticks, `trade` for trades, `orderbook_delta` for order-book rows, the message type
 * (`market_lifecycle_v2`, `event_lifecycle`, …) for lifecycle rows.
 * @module
 */
import type { CaptureBatch } from "./batch.ts";

/** One channel's watermarks: ISO-8601 UTC times. */
export interface ChannelTimes {
  /** When the newest message of the channel was received here. */
  lastReceivedAt: string;
  /** The newest exchange time among its messages, when they carry one. */
  lastMessageAt?: string;
}

interface Maxima {
  receivedMs: number;
  exchangeMs: number | null;
}

function see(
  into: Map<string, Maxima>,
  channel: string,
  receivedMs: number,
  exchange: number | null,
) {
  const seen = into.get(channel);
  if (seen === undefined) {
    into.set(channel, { receivedMs, exchangeMs: exchange });
    return;
  }
  seen.receivedMs = Math.max(seen.receivedMs, receivedMs);
  if (exchange !== null) seen.exchangeMs = Math.max(seen.exchangeMs ?? exchange, exchange);
}

/** The watermarks of every channel with rows in `batch`; `{}` when it has none. */
export function batchChannelTimes(batch: CaptureBatch): Record<string, ChannelTimes> {
  const maxima = new Map<string, Maxima>();
  for (const t of batch.ticks) see(maxima, "ticker", t.receivedAtMs, t.tsMs);
  for (const t of batch.trades) see(maxima, "trade", t.receivedAtMs, t.tsMs);
  for (const l of batch.lifecycle) see(maxima, l.messageType, l.receivedAtMs, l.eventTsMs);
  for (const d of batch.orderbookDeltas ?? []) {
    see(maxima, "orderbook_delta", d.receivedAtMs, d.tsMs);
  }
  for (const o of batch.orderbookSnapshots ?? []) {
    see(maxima, "orderbook_delta", o.receivedAtMs, null);
  }
  const out: Record<string, ChannelTimes> = {};
  for (const [channel, m] of maxima) {
    out[channel] = {
      lastReceivedAt: new Date(m.receivedMs).toISOString(),
      ...(m.exchangeMs === null ? {} : { lastMessageAt: new Date(m.exchangeMs).toISOString() }),
    };
  }
  return out;
}
