import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import fc from "fast-check";
import {
  CandlesticksResponseSchema,
  EventResponseSchema,
  MarketSchema,
  parseWsMessage,
  TradesResponseSchema,
} from "./schemas.ts";
import { validatePayload, validateText } from "./validate.ts";
import { priceUnitsToDollars } from "./units.ts";

import { fixtureFiles, fixturePath } from "./testing/fixtures.ts";

function readJson(name: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(fixturePath(name)));
}

Deno.test("every recorded fixture validates (consumed types valid, others skipped)", () => {
  const files = fixtureFiles();
  assert(files.length > 0, "no fixtures found");
  for (const file of files) {
    const outcomes = validateText(Deno.readTextFileSync(file));
    assert(outcomes.length > 0, file);
    for (const outcome of outcomes) {
      assert(outcome.status !== "invalid", `${file}:${outcome.line}: ${outcome.errors.join("; ")}`);
    }
    assert(outcomes.some((o) => o.status === "valid"), `${file} has no consumed payload`);
  }
});

Deno.test("a market with a numeric ticker fails naming the field and the value", () => {
  const payload = readJson("rest/market_get_KXNFLGAME-26OCT08TBDAL-DAL_2026-10-06.json");
  (payload.market as Record<string, unknown>).ticker = 42;
  const outcome = validatePayload(payload);
  assertEquals(outcome.status, "invalid");
  assert(outcome.errors.some((e) => e.startsWith("market.ticker:") && e.includes("42")));
});

Deno.test("a market missing close_time fails naming close_time", () => {
  const payload = readJson("rest/markets_list_event-KXNFLGAME-26OCT08TBDAL_2026-10-06.json");
  delete (payload.markets as Record<string, unknown>[])[1].close_time;
  const outcome = validatePayload(payload);
  assertEquals(outcome.status, "invalid");
  assert(
    outcome.errors.some((e) => e.startsWith("markets[1].close_time:") && e.includes("missing")),
  );
});

Deno.test("a market missing both current and legacy yes_bid fails naming yes_bid_dollars", () => {
  const payload = readJson("rest/market_object_MVE_combo_2026-06-26.json");
  delete payload.yes_bid_dollars;
  const outcome = validatePayload(payload);
  assertEquals(outcome.status, "invalid");
  assert(outcome.errors.some((e) => e.startsWith("yes_bid_dollars: required")), outcome.errors[0]);
});

Deno.test("a trade message with a malformed price fails naming the field and expectation", () => {
  const line =
    Deno.readTextFileSync(fixturePath("ws/ws_trade_2026-08-05_KXGOLD15M-26AUG050000-00.ndjson"))
      .split("\n")[0];
  const corrupted = line.replace(/"yes_price_dollars":"[^"]*"/, '"yes_price_dollars":"sixty"');
  const [outcome] = validateText(corrupted);
  assertEquals(outcome.status, "invalid");
  assertEquals(outcome.envelope, "recv_ms/event");
  assert(outcome.errors[0].startsWith("msg.yes_price_dollars:"));
  assert(outcome.errors[0].includes('"sixty"') && outcome.errors[0].includes("dollar string"));
});

Deno.test("a candle with a string end_period_ts fails naming the field", () => {
  const payload = readJson("rest/historical_candlesticks_1440m_RAINNYCM-24FEB-6.json");
  (payload.candlesticks as Record<string, unknown>[])[2].end_period_ts = "1707627600";
  const outcome = validatePayload(payload);
  assert(outcome.errors.some((e) => e.startsWith("candlesticks[2].end_period_ts:")));
});

Deno.test("text that is not JSON is reported invalid per line", () => {
  const outcomes = validateText('{"type":"ticker"\nnot json\n');
  assertEquals(outcomes.map((o) => o.status), ["invalid", "invalid"]);
  assert(outcomes[1].errors[0].startsWith("not JSON"));
});

Deno.test("unknown channels are skipped but control messages are valid whatever their channel", () => {
  const text = [
    '{"type":"fill","sid":1,"seq":3,"msg":{"market_ticker":"A"}}',
    '{"id":1,"type":"subscribed","msg":{"channel":"orderbook_delta","sid":1}}',
    '{"type":"error","sid":3,"msg":{"code":13,"msg":"Unsupported action"}}',
    '{"id":5,"sid":456,"seq":222,"type":"ok","msg":{"market_tickers":["T1","T3"]}}',
    '{"id":102,"sid":2,"seq":7,"type":"unsubscribed"}',
  ].join("\n");
  assertEquals(validateText(text).map((o) => o.status), [
    "unsupported",
    "valid",
    "valid",
    "valid",
    "valid",
  ]);
});

Deno.test("markets normalise to exact price and count units and keep unknown fields", () => {
  const payload = readJson("rest/market_get_KXNFLGAME-26OCT08TBDAL-DAL_2026-10-06.json");
  const market = MarketSchema.parse(payload.market);
  assertEquals(market.yesBid, 8000);
  assertEquals(market.yesAsk, 8100);
  assertEquals(market.volume, 27192668);
  assertEquals(market.raw.settlement_bounds_type, "default");
  assertEquals(market.priceRanges, [{ start: 0, end: 10000, step: 100 }]);
});

Deno.test("event responses expose nested and top-level markets alike", () => {
  const nested = EventResponseSchema.parse(
    readJson("rest/event_get_with_nested_markets_KXNFLGAME-26OCT08TBDAL_2026-10-06.json"),
  );
  assertEquals(nested.allMarkets.length, 2);
  assertEquals(nested.event.lastUpdatedTs, null);
  const wrapped = readJson("rest/event_get_wrapped_finalized_KXGOLD15M-26AUG050000.json");
  const flat = EventResponseSchema.parse(wrapped.response);
  assertEquals(flat.allMarkets.map((m) => m.settlementValue), [0]);
});

Deno.test("live, empty and historical candles normalise to the same shape", () => {
  const live = CandlesticksResponseSchema.parse(
    readJson("rest/candlesticks_60m_KXHIGHNY-26MAY15-B65.5.json"),
  );
  assertEquals(live.candlesticks[1].price.close, null);
  assertEquals(live.candlesticks[1].price.previous, 3000);
  const hist = CandlesticksResponseSchema.parse(
    readJson("rest/historical_candlesticks_1440m_RAINNYCM-24FEB-6.json"),
  );
  assertEquals(hist.candlesticks[0].price.open, 500);
  assertEquals(hist.candlesticks[0].volume, 5100);
  assertEquals(hist.candlesticks[2].price.close, null);
  const empty = CandlesticksResponseSchema.parse(
    readJson("rest/candlesticks_60m_empty-price_KXU3-26NOV-T5.0.json"),
  );
  assertEquals(empty.candlesticks[0].price.open, null);
  assertEquals(empty.candlesticks[2].openInterest, 1);
});

Deno.test("fractional REST trade counts are exact hundredths", () => {
  const trades = TradesResponseSchema.parse(
    readJson("rest/trades_ticker_KXMLBGAME-26JUL201905PITNYY-PIT_2026-07-20.json"),
  );
  assertEquals(trades.trades[0].count, 91);
  assertEquals(trades.trades[0].yesPrice, 4900);
});

Deno.test("legacy ticker with empty price_dollars falls back to cents", () => {
  const result = parseWsMessage({
    type: "ticker",
    sid: 1,
    msg: {
      market_ticker: "KXNFLFIRSTTD-25OCT05NYGNO-NOSRATTLER2",
      price: 0,
      yes_bid: 0,
      yes_ask: 3,
      price_dollars: "",
      yes_bid_dollars: "0.0000",
      yes_ask_dollars: "0.0300",
      volume: 12,
      open_interest: 0,
      ts: 1759351915,
      Clock: 4117569085,
    },
  });
  assert(result.status === "valid" && result.message.type === "ticker");
  assertEquals(result.message.price, 0);
  assertEquals(result.message.yesAsk, 300);
  assertEquals(result.message.volume, 1200);
  assertEquals(result.message.tsMs, 1759351915000);
  assertEquals((result.message.raw.msg as Record<string, unknown>).Clock, 4117569085);
});

Deno.test("a ticker in cents and the same ticker in dollars normalise identically", () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 100 }),
    fc.integer({ min: 0, max: 100 }),
    fc.integer({ min: 0, max: 1_000_000 }),
    (bid, ask, volume) => {
      const base = { market_ticker: "T-1", ts: 1_784_475_900, price: 0 };
      const legacy = parseWsMessage({
        type: "ticker",
        msg: { ...base, yes_bid: bid, yes_ask: ask, volume, open_interest: volume },
      });
      const current = parseWsMessage({
        type: "ticker",
        msg: {
          ...base,
          price_dollars: "0.0000",
          yes_bid_dollars: priceUnitsToDollars(bid * 100),
          yes_ask_dollars: priceUnitsToDollars(ask * 100),
          volume_fp: `${volume}.00`,
          open_interest_fp: `${volume}.00`,
        },
      });
      assert(legacy.status === "valid" && current.status === "valid");
      const pick = (m: typeof legacy.message) =>
        m.type === "ticker" ? [m.yesBid, m.yesAsk, m.volume, m.openInterest] : [];
      assertEquals(pick(legacy.message), pick(current.message));
    },
  ));
});

Deno.test("determined lifecycle settlement value accepts dollar strings and legacy cents", () => {
  const msg = (value: unknown) =>
    parseWsMessage({
      type: "market_lifecycle_v2",
      sid: 1,
      seq: 2,
      msg: { market_ticker: "A-1", event_type: "determined", settlement_value: value },
    });
  const s = msg("1.0000");
  const c = msg(100);
  assert(s.status === "valid" && s.message.type === "market_lifecycle_v2");
  assert(c.status === "valid" && c.message.type === "market_lifecycle_v2");
  assertEquals(s.message.settlementValue, 10000);
  assertEquals(c.message.settlementValue, 10000);
});
