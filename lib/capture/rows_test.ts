/**
 * Row builders: whatever the schema accepts builds a row; what they cannot store they refuse
 * with a {@linkcode RowValueError} naming the field, the value and the expectation.
 */
import fc from "fast-check";
import {
  EARLIEST_TIME_MS,
  parseWsMessage,
  type TickerMessage,
  TIME_LIMIT_MS,
  type TradeMessage,
} from "../kalshi/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { RowValueError, tickRow, tradeRow } from "./rows.ts";

const AT = Date.UTC(2026, 6, 19, 15, 45);

function parsedTicker(msg: Record<string, unknown>): TickerMessage | null {
  const parsed = parseWsMessage({ type: "ticker", sid: 1, msg });
  return parsed.status === "valid" && parsed.message.type === "ticker" ? parsed.message : null;
}

function refusal(build: () => unknown): RowValueError {
  try {
    build();
  } catch (error) {
    assertOk(error instanceof RowValueError, String(error));
    return error;
  }
  throw new Error("the builder accepted the row");
}

const TICKER = {
  market_ticker: "KXBTC15M-26JUL191145-45",
  price_dollars: "0.9990",
  yes_bid_dollars: "0.0000",
  yes_ask_dollars: "1.0000",
  volume_fp: "2233487.48",
  open_interest_fp: "618700.14",
  ts_ms: 1_784_475_900_544,
};

Deno.test("property: every ticker the schema accepts builds a row with the same values", () => {
  const whole = fc.oneof(
    fc.bigInt({ min: 0n, max: 1000n }),
    fc.bigInt({ min: 0n, max: 10n ** 17n }),
  );
  const decimal = (scale: number) =>
    fc.tuple(whole, fc.nat({ max: 10 ** scale - 1 })).map(([w, frac]) =>
      `${w}.${String(frac).padStart(scale, "0")}`
    );
  let built = 0;
  fc.assert(
    fc.property(
      // Mostly values the schema accepts (each checked against its row), some it refuses.
      fc.oneof(
        { arbitrary: fc.integer({ min: EARLIEST_TIME_MS, max: TIME_LIMIT_MS - 1 }), weight: 6 },
        {
          arbitrary: fc.integer({ min: EARLIEST_TIME_MS - 1000, max: TIME_LIMIT_MS + 1000 }),
          weight: 2,
        },
        { arbitrary: fc.integer({ min: -1, max: 9e15 }), weight: 1 },
        { arbitrary: fc.double({ noNaN: true }), weight: 1 },
      ),
      decimal(4),
      decimal(2),
      fc.option(
        fc.oneof(
          { arbitrary: fc.nat(), weight: 6 },
          { arbitrary: fc.maxSafeInteger(), weight: 1 },
          { arbitrary: fc.double({ noNaN: true }), weight: 1 },
        ),
        { freq: 3 },
      ),
      (ts_ms, price, volume, dollarVolume) => {
        const message = parsedTicker({
          ...TICKER,
          ts_ms,
          price_dollars: price,
          volume_fp: volume,
          dollar_volume: dollarVolume,
        });
        if (message === null) return;
        const row = tickRow(message, AT);
        built++;
        assertEquals(row.tsMs, ts_ms);
        assertEquals(BigInt(row.price.replace(".", "")), BigInt(price.replace(".", "")));
        assertEquals(BigInt(row.volume.replace(".", "")), BigInt(volume.replace(".", "")));
        assertEquals(row.dollarVolume, dollarVolume === null ? null : String(dollarVolume));
      },
    ),
    { numRuns: 500 },
  );
  // About a fifth of the generated tickers validate (80–130 seen); 50 still exercises the property.
  assertOk(built >= 50, `only ${built} of 500 generated tickers validated`);
});

Deno.test("a builder refuses times outside the window, inexact units and NUL text, naming the field", () => {
  const message = parsedTicker(TICKER)!;
  const late = refusal(() => tickRow({ ...message, tsMs: 8.7e15 }, AT));
  assertEquals([late.field, late.value], ["tsMs", 8.7e15]);
  assertOk(late.message.startsWith("tsMs: expected integer Unix ms from 2000-01-01T00:00:00.000Z"));
  assertOk(late.message.endsWith("received 8700000000000000"), late.message);
  assertEquals(refusal(() => tickRow(message, 0)).field, "receivedAtMs");
  assertEquals(refusal(() => tickRow({ ...message, price: 0.5 }, AT)).field, "price");
  assertEquals(
    refusal(() => tickRow({ ...message, dollarVolume: 1e300 }, AT)).field,
    "dollarVolume",
  );
  const nul = refusal(() => tickRow({ ...message, marketTicker: "KX\u0000" }, AT));
  assertOk(nul.message.includes("NUL"), nul.message);
  // Unknown fields go to the jsonb `extra` column: storable JSON only.
  const raw = { ...message.raw, msg: { ...TICKER, note: "a\u0000b" } };
  assertEquals(refusal(() => tickRow({ ...message, raw }, AT)).field, "extra");

  const trade = parseWsMessage({
    type: "trade",
    sid: 2,
    seq: 1,
    msg: {
      trade_id: "f195de40-6a3f-418b-1a7e-9d89fee559c0",
      market_ticker: "KXGOLD15M-26AUG050000-00",
      yes_price_dollars: "0.6800",
      count_fp: "46.02",
      ts_ms: 1_785_901_540_722,
    },
  });
  assertOk(trade.status === "valid" && trade.message.type === "trade");
  const t: TradeMessage = trade.message;
  assertEquals(tradeRow(t, AT).noPrice, "0.3200");
  assertEquals(refusal(() => tradeRow({ ...t, tsMs: -1 }, AT)).field, "tsMs");
  assertEquals(refusal(() => tradeRow({ ...t, tradeId: "t\u0000" }, AT)).field, "tradeId");
});
