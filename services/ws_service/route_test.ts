import { parseWsMessage, type WsStreamItem } from "@kalshi-data/lib/kalshi";
import { fixturePath } from "../../lib/kalshi/testing/fixtures.ts";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { type Effect, routeItem } from "./route.ts";

const context = { sessionId: "s1", channelOf: (sid: number) => sid === 7 ? "ticker" : null };
const AT = 1_784_475_900_600;

function message(frame: unknown): WsStreamItem {
  const parsed = parseWsMessage(frame);
  if (parsed.status !== "valid") throw new Error(`fixture frame does not validate`);
  return { kind: "message", receivedAtMs: AT, message: parsed.message };
}

function recorded(file: string): unknown[] {
  return Deno.readTextFileSync(fixturePath(`ws/${file}`)).split("\n").filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

const kinds = (effects: Effect[]) => effects.map((e) => e.kind);

Deno.test("a recorded ticker becomes a data effect with its exchange time, then a tick row", () => {
  const [frame] = recorded("ws_lifecycle_ticker_2026-07-19_real_ssmd.ndjson")
    .filter((f) => (f as { type: string }).type === "ticker");
  const effects = routeItem(message(frame), context);
  assertEquals(kinds(effects), ["data", "tick"]);
  const [data, tick] = effects;
  assertEquals(data.kind === "data" && [data.channel, data.exchangeMs], ["ticker", 1784475900544]);
  assertEquals(
    tick.kind === "tick" && [tick.row.marketTicker, tick.row.price, tick.row.receivedAtMs],
    [
      "KXBTC15M-26JUL191145-45",
      "0.9990",
      AT,
    ],
  );
});

Deno.test("trades and every lifecycle type route to their rows; lifecycle has no exchange watermark", () => {
  const frames = recorded("ws_lifecycle_trade_ticker_2025-10_kalshi-rust.ndjson");
  const routed = frames.map((f) => kinds(routeItem(message(f), context)).join(","));
  assertOk(routed.includes("data,trade"));
  assertEquals(routed.filter((r) => r === "data,lifecycle").length, 8);
  const lifecycle = routeItem(message(frames[0]), context)[0];
  assertEquals(lifecycle.kind === "data" && lifecycle.exchangeMs, null);
});

Deno.test("control replies are counted; subscribed opens the channel, ok acknowledges a known sid", () => {
  const subscribed = routeItem(
    message({ type: "subscribed", id: 1, msg: { channel: "trade", sid: 3 } }),
    context,
  );
  assertEquals(subscribed, [
    { kind: "control", type: "subscribed" },
    { kind: "subscribed", channel: "trade", atMs: AT },
  ]);
  const known = routeItem(message({ type: "ok", id: 2, sid: 7, seq: 4, msg: {} }), context);
  assertEquals(kinds(known), ["control", "acknowledged"]);
  const unknown = routeItem(message({ type: "ok", id: 3, sid: 99, seq: 1, msg: {} }), context);
  assertEquals(kinds(unknown), ["control"]);
  const error = routeItem(
    message({ type: "error", id: 4, msg: { code: 6, msg: "Already subscribed" } }),
    context,
  );
  assertEquals(error[1], {
    kind: "error_reply",
    code: 6,
    message: "Already subscribed",
    sid: null,
  });
});

Deno.test("unknown and invalid frames become dead letters stamped with the session", () => {
  const unknown = routeItem(
    { kind: "unsupported", receivedAtMs: AT, type: "brand_new", raw: { type: "brand_new" } },
    context,
  );
  assertEquals(unknown, [{
    kind: "dead_letter",
    reason: "unknown_type",
    row: {
      source: "ws:brand_new",
      error: 'unknown message type "brand_new"',
      payload: '{"type":"brand_new"}',
      context: { sessionId: "s1" },
      receivedAtMs: AT,
    },
  }]);
  const invalid = routeItem(
    { kind: "invalid", receivedAtMs: AT, rawText: "\u0000not json", error: "not JSON" },
    context,
  );
  assertEquals(invalid[0].kind === "dead_letter" && invalid[0].row.source, "ws");
});

Deno.test("gaps take the item's channel, else the client's, else 'unknown'; outages and refusals pass through", () => {
  const gap = (channel: string | null, sid: number) =>
    routeItem(
      { kind: "gap", receivedAtMs: AT, sid, channel, expectedSeq: 5, receivedSeq: 9 },
      context,
    )[0];
  const own = gap("trade", 7);
  assertEquals(own.kind === "seq_gap" && own.channel, "trade");
  const byClient = gap(null, 7);
  assertEquals(byClient.kind === "seq_gap" && byClient.channel, "ticker");
  const unknown = gap(null, 8);
  assertEquals(unknown.kind === "seq_gap" && [unknown.channel, unknown.detail], [
    "unknown",
    { sid: 8, expectedSeq: 5, receivedSeq: 9 },
  ]);
  assertEquals(
    routeItem({
      kind: "disconnect",
      startedAtMs: AT - 5000,
      endedAtMs: AT,
      reason: "closed 1006",
      failedAttempts: 2,
    }, context),
    [{ kind: "disconnected", fromMs: AT - 5000, reason: "closed 1006", failedAttempts: 2 }],
  );
  assertEquals(
    routeItem({ kind: "refused", status: 401, attempts: 2, receivedAtMs: AT }, context),
    [{ kind: "refused", status: 401, attempts: 2 }],
  );
});

Deno.test("a message whose row the builder refuses becomes a dead letter; the next one routes as usual", () => {
  const frames = recorded("ws_lifecycle_ticker_2026-07-19_real_ssmd.ndjson");
  const [tickerFrame] = frames.filter((f) => (f as { type: string }).type === "ticker");
  const [determined] = frames.filter((f) => JSON.stringify(f).includes('"determined"'));
  // Messages that reached the builder without the schema's bounds (built in code, or by an
  // older schema): an exchange time no timestamptz text can hold, a NUL in a ticker.
  const refused: WsStreamItem[] = [];
  for (
    const [frame, mutate] of [
      [tickerFrame, (m: Record<string, unknown>) => (m.tsMs = 8.7e15)],
      [tickerFrame, (m: Record<string, unknown>) => (m.marketTicker = "KX\u0000")],
      [determined, (m: Record<string, unknown>) => (m.determinationTs = 8.7e15)],
    ] as const
  ) {
    const item = message(frame);
    if (item.kind === "message") mutate(item.message as unknown as Record<string, unknown>);
    refused.push(item);
  }
  const routed = refused.map((item) => routeItem(item, context));
  assertEquals(routed.map(kinds), [
    ["data", "dead_letter"],
    ["data", "dead_letter"],
    ["data", "dead_letter"],
  ]);
  const [[data, dead], [, nul], [, lifecycle]] = routed;
  // The data effect still counts the message, but its time moves no watermark.
  assertEquals(data, {
    kind: "data",
    type: "ticker",
    channel: "ticker",
    atMs: AT,
    exchangeMs: null,
  });
  assertOk(dead.kind === "dead_letter" && dead.reason === "unwritable");
  assertEquals([dead.row.source, dead.row.context, dead.row.receivedAtMs], [
    "ws:ticker",
    { sessionId: "s1" },
    AT,
  ]);
  assertEquals(JSON.parse(dead.row.payload), tickerFrame);
  assertOk(dead.row.error.startsWith("row refused: tsMs: expected integer Unix ms"));
  assertOk(dead.row.error.includes("received 8700000000000000"), dead.row.error);
  assertOk(nul.kind === "dead_letter" && nul.row.error.includes("marketTicker"), "NUL ticker");
  assertOk(lifecycle.kind === "dead_letter" && lifecycle.row.source === "ws:market_lifecycle_v2");
  // The stream goes on: the same frame, unharmed, routes to its row.
  assertEquals(kinds(routeItem(message(tickerFrame), context)), ["data", "tick"]);
});

Deno.test("a replay's replay_gap frame becomes the gap it announces; a malformed one is a dead letter", () => {
  const msg = {
    channel: "ticker",
    market_tickers: ["A", "B"],
    start_ts_ms: AT - 30_000,
    end_ts_ms: AT,
    reason: "disconnect",
    detail: { failedAttempts: 1 },
  };
  const gap = routeItem({
    kind: "unsupported",
    receivedAtMs: AT,
    type: "replay_gap",
    raw: { type: "replay_gap", msg },
  }, context);
  assertEquals(gap, [{
    kind: "replayed_gap",
    row: {
      channel: "ticker",
      marketTickers: ["A", "B"],
      startMs: AT - 30_000,
      endMs: AT,
      reason: "disconnect",
      detail: { failedAttempts: 1 },
    },
  }]);
  const backwards = { ...msg, end_ts_ms: AT - 60_000 };
  const bad = routeItem({
    kind: "unsupported",
    receivedAtMs: AT,
    type: "replay_gap",
    raw: { type: "replay_gap", msg: backwards },
  }, context);
  assertEquals(kinds(bad), ["dead_letter"]);
});
