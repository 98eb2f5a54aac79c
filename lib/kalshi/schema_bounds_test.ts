/**
 * Bounds at the schema edge: every time, number and string a payload may carry is checked against
 * what PostgreSQL stores and what our integer units hold exactly, and a refusal names the field,
 * the value and the expectation. Recorded real payloads all stay valid (schemas_test.ts).
 */
import fc from "fast-check";
import { assertEquals, assertOk } from "../testing/assert.ts";
import {
  EARLIEST_TIME_MS,
  MarketSchema,
  MAX_JSON_DEPTH,
  parseWsMessage,
  TIME_LIMIT_MS,
} from "./schemas.ts";
import { readFixture } from "./testing/fixtures.ts";
import { validatePayload } from "./validate.ts";

const TS_MS = 1_784_475_900_544;

/** A current-format ticker frame (as recorded 2026-07-19) with `msg` fields overridden. */
function ticker(msg: Record<string, unknown>, frame: Record<string, unknown> = {}) {
  return {
    type: "ticker",
    sid: 1,
    ...frame,
    msg: {
      market_ticker: "KXBTC15M-26JUL191145-45",
      price_dollars: "0.9990",
      yes_bid_dollars: "0.0000",
      yes_ask_dollars: "1.0000",
      volume_fp: "2233487.48",
      open_interest_fp: "618700.14",
      ts: 1_784_475_900,
      ts_ms: TS_MS,
      time: "2026-07-19T15:45:00.544125Z",
      ...msg,
    },
  };
}

function lifecycle(msg: Record<string, unknown>) {
  return {
    type: "market_lifecycle_v2",
    sid: 1,
    seq: 5,
    msg: { market_ticker: "KXTEST-26NOV25-T1", event_type: "created", ...msg },
  };
}

/** The errors of an invalid payload (fails when it validates). */
function errors(payload: unknown): string[] {
  const outcome = validatePayload(payload);
  assertEquals(outcome.status, "invalid", JSON.stringify(payload).slice(0, 200));
  return outcome.errors;
}

function assertRefused(payload: unknown, field: string, ...mentions: string[]): void {
  const found = errors(payload);
  const line = found.find((e) => e.startsWith(`${field}:`));
  assertOk(line !== undefined, `no error for ${field} in ${JSON.stringify(found)}`);
  for (const m of mentions) assertOk(line.includes(m), `"${line}" does not mention ${m}`);
}

Deno.test("a ticker's ts_ms, ts and time outside 2000–2200 are refused, naming field, value and window", () => {
  assertRefused(
    ticker({ ts_ms: 8.7e15 }),
    "msg.ts_ms",
    "received 8700000000000000",
    "Unix milliseconds",
    "2000-01-01T00:00:00Z",
    "2199-12-31T23:59:59Z",
  );
  // Milliseconds sent as seconds land past 2200; seconds sent as milliseconds land in 1970.
  assertRefused(ticker({ ts: TS_MS }), "msg.ts", `received ${TS_MS}`, "Unix seconds");
  assertRefused(ticker({ ts_ms: 1_784_475_900 }), "msg.ts_ms", "received 1784475900");
  assertRefused(ticker({ ts_ms: -1 }), "msg.ts_ms", "received -1");
  assertRefused(ticker({ ts_ms: TS_MS + 0.5 }), "msg.ts_ms", "integer");
  assertRefused(
    ticker({ time: "+275760-09-13T00:00:00Z" }),
    "msg.time",
    "RFC 3339",
    '"+275760-09-13T00:00:00Z"',
  );
  assertRefused(ticker({ time: "9999-12-31T23:59:59Z" }), "msg.time", '"9999-12-31T23:59:59Z"');
  assertRefused(ticker({ time: "1999-12-31T23:59:59Z" }), "msg.time");
  // A date no calendar has (PostgreSQL refuses it; Date.parse rolls it over to March).
  assertRefused(ticker({ time: "2026-02-30T00:00:00Z" }), "msg.time");
  assertRefused(ticker({ time: "2026-07-19T24:00:00Z" }), "msg.time");
});

Deno.test("the time window is [2000-01-01, 2200-01-01): both edges, for seconds, ms and RFC 3339", () => {
  const at = (ts_ms: number) => parseWsMessage(ticker({ ts_ms, ts: undefined, time: undefined }));
  assertEquals(at(EARLIEST_TIME_MS).status, "valid");
  assertEquals(at(TIME_LIMIT_MS - 1).status, "valid");
  assertEquals(at(EARLIEST_TIME_MS - 1).status, "invalid");
  assertEquals(at(TIME_LIMIT_MS).status, "invalid");
  const secs = (ts: number) => parseWsMessage(ticker({ ts, ts_ms: undefined, time: undefined }));
  assertEquals(secs(EARLIEST_TIME_MS / 1000).status, "valid");
  assertEquals(secs(TIME_LIMIT_MS / 1000 - 1).status, "valid");
  assertEquals(secs(TIME_LIMIT_MS / 1000).status, "invalid");
  const time = (time: string) => parseWsMessage(ticker({ time })).status;
  assertEquals(time("2000-01-01T00:00:00Z"), "valid");
  assertEquals(time("2199-12-31T23:59:59.999999999Z"), "valid");
  assertEquals(time("2000-01-01T00:59:59+01:00"), "invalid"); // 1999-12-31T23:59:59Z
  assertEquals(time("2028-02-29T12:00:00-05:00"), "valid");
  assertEquals(time("2027-02-29T12:00:00Z"), "invalid");
});

Deno.test("property: a ticker's ts_ms validates exactly when it is an integer in the window", () => {
  fc.assert(fc.property(
    fc.oneof(
      fc.integer({ min: EARLIEST_TIME_MS - 10, max: EARLIEST_TIME_MS + 10 }),
      fc.integer({ min: TIME_LIMIT_MS - 10, max: TIME_LIMIT_MS + 10 }),
      fc.double({ noNaN: true }),
      fc.maxSafeInteger(),
    ),
    (ts_ms) => {
      const inWindow = Number.isInteger(ts_ms) && ts_ms >= EARLIEST_TIME_MS &&
        ts_ms < TIME_LIMIT_MS;
      const parsed = parseWsMessage(ticker({ ts_ms, ts: undefined, time: undefined }));
      assertEquals(parsed.status, inWindow ? "valid" : "invalid", String(ts_ms));
      if (parsed.status === "valid" && parsed.message.type === "ticker") {
        assertEquals(parsed.message.tsMs, ts_ms);
        assertOk(Number.isFinite(new Date(ts_ms).getTime()));
      }
    },
  ));
});

Deno.test("lifecycle seconds are bounded; 0 reads as unset, as Go's zero time does for RFC 3339", () => {
  assertRefused(lifecycle({ close_ts: 8.7e12 }), "msg.close_ts", "received 8700000000000");
  assertRefused(
    lifecycle({ additional_metadata: { expected_expiration_ts: 1e20 } }),
    "msg.additional_metadata.expected_expiration_ts",
    "received 100000000000000000000",
  );
  const parsed = parseWsMessage(lifecycle({ open_ts: 0, close_ts: 1_767_200_340 }));
  assertOk(parsed.status === "valid" && parsed.message.type === "market_lifecycle_v2");
  assertEquals([parsed.message.openTs, parsed.message.closeTs], [null, 1_767_200_340]);
  const event = parseWsMessage({
    type: "event_lifecycle",
    sid: 1,
    msg: { event_ticker: "KXTEST-26NOV25", strike_date: 0 },
  });
  assertOk(event.status === "valid" && event.message.type === "event_lifecycle");
  assertEquals(event.message.strikeDate, null);
});

Deno.test('REST times: optional ones accept "" and Go\'s zero time (read as null); others need the window', () => {
  const market = readFixture("rest/market_object_MVE_combo_2026-06-26.json");
  const withTime = (fields: Record<string, unknown>) =>
    MarketSchema.safeParse({ ...market, ...fields }, { reportInput: true });
  const zero = withTime({ created_time: "0001-01-01T00:00:00Z", updated_time: "" });
  assertOk(zero.success);
  assertEquals([zero.data.createdTime, zero.data.updatedTime], [null, null]);
  assertOk(withTime({ created_time: "0001-01-01T00:00:00.000Z" }).success);
  assertRefused({ ...market, created_time: "0001-01-02T00:00:00Z" }, "created_time");
  assertRefused({ ...market, close_time: "0001-01-01T00:00:00Z" }, "close_time", "RFC 3339");
  assertRefused({ ...market, close_time: "3000-01-01T00:00:00Z" }, "close_time");
  const candles = readFixture("rest/historical_candlesticks_1440m_RAINNYCM-24FEB-6.json");
  (candles.candlesticks as Record<string, unknown>[])[1].end_period_ts = 1.7e12;
  assertRefused(candles, "candlesticks[1].end_period_ts", "received 1700000000000");
});

Deno.test("numbers: integers where Kalshi sends integers, units that stay exact, finite strikes", () => {
  assertRefused(ticker({ dollar_volume: 12.5 }), "msg.dollar_volume", "integer");
  assertRefused(ticker({ dollar_volume: -1 }), "msg.dollar_volume", "non-negative");
  assertRefused(ticker({ dollar_volume: 2 ** 60 }), "msg.dollar_volume", "9007199254740991");
  // Legacy integer contracts become 1/100-contract units: they must stay safe integers.
  assertRefused(
    ticker({ volume_fp: undefined, volume: 2 ** 50 }),
    "msg.volume",
    "integer contract count",
    "90071992547409",
  );
  assertRefused(
    ticker({ price_dollars: "900719925475.0000" }),
    "msg.price_dollars",
    "value too large",
    '"900719925475.0000"',
  );
  assertRefused(ticker({ volume_fp: "1".repeat(33) }), "msg.volume_fp", "longer than 32");
  assertRefused(ticker({ price_dollars: "0.56001" }), "msg.price_dollars", "4 decimals");
  assertRefused(ticker({}, { sid: 2 ** 31 }), "sid", "2147483647");
  assertRefused(ticker({}, { seq: -1 }), "seq", "non-negative");
  // JSON.parse turns 1e400 into Infinity: no numeric column can take it.
  const infinite = JSON.parse(
    '{"type":"market_lifecycle_v2","sid":1,"msg":' +
      '{"market_ticker":"A-1","event_type":"metadata_updated","floor_strike":1e400}}',
  );
  assertRefused(infinite, "msg.floor_strike", "finite");
  assertRefused(lifecycle({ exchange_index: -1 }), "msg.exchange_index", "non-negative");
  const market = readFixture("rest/market_get_KXNFLGAME-26OCT08TBDAL-DAL_2026-10-06.json");
  (market.market as Record<string, unknown>).settlement_timer_seconds = 2 ** 31;
  assertRefused(market, "market.settlement_timer_seconds", "PostgreSQL integer");
});

Deno.test("strings: ticker shape and length, no NUL or lone surrogate, bounded labels and text", () => {
  assertRefused(ticker({ market_ticker: "-KX" }), "msg.market_ticker", "Kalshi ticker");
  assertRefused(ticker({ market_ticker: "KX\u0000A" }), "msg.market_ticker", "Kalshi ticker");
  assertRefused(ticker({ market_ticker: `KX${"A".repeat(255)}` }), "msg.market_ticker", "256");
  assertEquals(parseWsMessage(ticker({ market_ticker: `KX${"A".repeat(254)}` })).status, "valid");
  assertRefused(
    lifecycle({ additional_metadata: { title: "Will it\u0000 rain?" } }),
    "msg.additional_metadata.title",
    "NUL",
  );
  assertRefused(lifecycle({ result: "y\uD800es" }), "msg.result", "unpaired");
  assertRefused(lifecycle({ event_type: "x".repeat(1025) }), "msg.event_type", "1024");
  assertRefused(
    lifecycle({ additional_metadata: { rules_primary: "r".repeat(65_537) } }),
    "msg.additional_metadata.rules_primary",
    "65536",
  );
  const trade = {
    type: "trade",
    sid: 2,
    seq: 1,
    msg: {
      trade_id: "t\u00001",
      market_ticker: "A-1",
      yes_price_dollars: "0.6000",
      count_fp: "1.00",
      ts_ms: TS_MS,
    },
  };
  assertRefused(trade, "msg.trade_id", "NUL");
});

Deno.test("fields we do not know are kept, but must be storable in jsonb too: path of the first problem", () => {
  const kept = parseWsMessage(ticker({ Clock: 13_281_241_747, note: { a: [1, "two"] } }));
  assertOk(kept.status === "valid");
  assertEquals((kept.message.raw.msg as Record<string, unknown>).note, { a: [1, "two"] });
  assertRefused(ticker({ note: { a: [1, "t\u0000wo"] } }), "msg.note.a[1]", "NUL");
  assertRefused(ticker({ note: { "k\u0000": 1 } }), "msg.note", "key", '"k\\u0000"');
  assertRefused(ticker({}, { extra: "\uDC00" }), "extra", "unpaired");
  let deep: unknown = 1;
  for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
  const [tooDeep] = errors(ticker({ deep }));
  assertOk(tooDeep.startsWith("msg.deep[0]") && tooDeep.includes(`at most ${MAX_JSON_DEPTH}`));
  const market = readFixture("rest/market_object_MVE_combo_2026-06-26.json");
  assertRefused({ ...market, brand_new: "a\u0000" }, "brand_new", "NUL");
});
