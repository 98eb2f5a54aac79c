/** Test support for lib/capture: small rows and batches with exact, recognisable values. */
import type { CaptureBatch } from "../batch.ts";
import type { LifecycleRow, TickRow } from "../rows.ts";

/** A fixed instant the rows are built around. */
export const T0: number = Date.UTC(2026, 10, 25, 12);

/** Tick `n` of market `KXTEST-26NOV25-T<n>` at `T0 + n` ms (`extra`: its jsonb text). */
export function tick(n: number, extra: string | null = null): TickRow {
  return {
    marketTicker: `KXTEST-26NOV25-T${n}`,
    tsMs: T0 + n,
    price: "0.5600",
    yesBid: "0.5500",
    yesAsk: "0.5700",
    volume: "10.00",
    openInterest: "5.00",
    yesBidSize: null,
    yesAskSize: null,
    lastTradeSize: null,
    dollarVolume: null,
    dollarOpenInterest: null,
    receivedAtMs: T0 + n,
    extra,
  };
}

/** A lifecycle row that sets market `ticker`'s status (the catalog change carried in the row). */
export function statusRow(ticker: string, status: string, atMs: number): LifecycleRow {
  return {
    messageType: "market_lifecycle_v2",
    eventType: status,
    marketTicker: ticker,
    eventTicker: null,
    sid: 1,
    seq: null,
    eventTsMs: null,
    receivedAtMs: atMs,
    raw: "{}",
    change: {
      kind: "market_update",
      ticker,
      status,
      closeTime: null,
      result: null,
      determinationTs: null,
      settlementValue: null,
      settlementTs: null,
      strikeType: null,
      floorStrike: null,
      capStrike: null,
      customStrike: null,
      yesSubTitle: null,
      priceLevelStructure: null,
      priceRanges: null,
    },
  };
}

/** A sealed batch `id` of `ticks` (receive and exchange bounds from them). */
export function tickBatch(id: string, ticks: TickRow[]): CaptureBatch {
  const times = ticks.map((t) => t.tsMs);
  return {
    id,
    sessionId: "s",
    ticks,
    trades: [],
    lifecycle: [],
    deadLetters: [],
    gaps: [],
    maxExchangeMs: times.length ? Math.max(...times) : null,
    minExchangeMs: times.length ? Math.min(...times) : null,
    firstReceivedMs: ticks[0]?.receivedAtMs ?? null,
  };
}
