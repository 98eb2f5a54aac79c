import { OrderBook } from "../orderbook/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { parseWsMessage, type WsMessage } from "./schemas.ts";
import { fixturePath } from "./testing/fixtures.ts";
import { validatePayload, validateText } from "./validate.ts";

const STREAM = "ws/ws_orderbook_trade_2026-08-10_KXGOLD15M-26AUG101900-00_first200.ndjson";

function streamMessages(): WsMessage[] {
  const text = Deno.readTextFileSync(fixturePath(STREAM));
  return text.split("\n").filter((l) => l.trim() !== "").map((line, i) => {
    const parsed = parseWsMessage(JSON.parse(line).event);
    assertOk(parsed.status === "valid", `line ${i + 1}: ${JSON.stringify(parsed)}`);
    return parsed.message;
  });
}

Deno.test("the recorded real stream validates message by message in exact units", () => {
  const messages = streamMessages();
  assertEquals(messages.length, 200);
  const [snapshot, delta] = messages;
  assertOk(snapshot.type === "orderbook_snapshot" && delta.type === "orderbook_delta");
  assertEquals(snapshot.marketTicker, "KXGOLD15M-26AUG101900-00");
  assertEquals([snapshot.levels.yes.length, snapshot.levels.no.length], [36, 34]);
  assertEquals(snapshot.levels.yes[0], [100, 18_300]);
  assertEquals(snapshot.levels.yes[1], [200, 15_386]);
  assertEquals(snapshot.levels.no[snapshot.levels.no.length - 1], [4600, 17_312]);
  assertEquals(
    [delta.side, delta.price, delta.delta, delta.tsMs, delta.seq],
    ["no", 4600, -912, 1_786_401_938_602, 9_169_927],
  );
  const outcomes = validateText(Deno.readTextFileSync(fixturePath(STREAM)));
  assertEquals(outcomes.filter((o) => o.status !== "valid"), []);
});

Deno.test("the recorded real stream applied by hand is never crossed or negative", () => {
  let book: OrderBook | null = null;
  let applied = 0;
  for (const m of streamMessages()) {
    if (m.type === "orderbook_snapshot") {
      book = new OrderBook();
      book.applySnapshot(m.levels.yes, m.levels.no);
    }
    if (m.type !== "orderbook_delta") continue;
    assertOk(book !== null, "a delta before any snapshot");
    assertEquals(book.applyDelta(m.side, m.price, m.delta), null, `negative at seq ${m.seq}`);
    applied++;
    assertOk(!book.crossed(), `crossed after seq ${m.seq}`);
  }
  assertOk(applied > 50, `only ${applied} deltas`);
});

const frame = (type: string, msg: Record<string, unknown>) => ({ type, sid: 3, seq: 7, msg });

Deno.test("legacy encodings normalise to the same units; levels sort ascending", () => {
  const current = parseWsMessage(frame("orderbook_snapshot", {
    market_ticker: "KXT-1",
    market_id: "id",
    yes_dollars_fp: [["0.2200", "333.00"], ["0.0800", "300.50"]],
  }));
  const legacy = parseWsMessage(frame("orderbook_snapshot", {
    market_ticker: "KXT-1",
    yes: [[8, 300], [22, 333]],
    no_dollars: [["0.540", 20]],
  }));
  assertOk(current.status === "valid" && current.message.type === "orderbook_snapshot");
  assertOk(legacy.status === "valid" && legacy.message.type === "orderbook_snapshot");
  assertEquals(current.message.levels, { yes: [[800, 30_050], [2200, 33_300]], no: [] });
  assertEquals(legacy.message.levels, { yes: [[800, 30_000], [2200, 33_300]], no: [[5400, 2000]] });
  const delta = parseWsMessage(
    frame("orderbook_delta", { market_ticker: "KXT-1", price: 96, delta: -54, side: "yes" }),
  );
  assertOk(delta.status === "valid" && delta.message.type === "orderbook_delta");
  assertEquals([delta.message.price, delta.message.delta, delta.message.tsMs], [9600, -5400, null]);
});

function refusal(payload: unknown): string[] {
  const outcome = validatePayload(payload);
  assertEquals(outcome.status, "invalid", JSON.stringify(payload));
  return outcome.errors;
}

Deno.test("out-of-bounds order-book payloads are refused naming the field", () => {
  const snap = (yes: unknown) =>
    frame("orderbook_snapshot", { market_ticker: "KXT-1", yes_dollars_fp: yes });
  assertOk(refusal(snap([["1.0000", "1.00"]]))[0].startsWith("msg.yes_dollars_fp[0]:"));
  assertOk(refusal(snap([["0.0000", "1.00"]]))[0].includes("strictly between 0 and 1"));
  assertOk(refusal(snap([["0.5000", "-1.00"]]))[0].includes("size not negative"));
  assertOk(refusal(snap([["0.5000", "1.00"], ["0.50", "2.00"]]))[0].includes("at most once"));
  assertOk(refusal(snap([["0.5000", "1.001"]])).length > 0);
  const delta = (msg: Record<string, unknown>) =>
    frame("orderbook_delta", {
      market_ticker: "KXT-1",
      price_dollars: "0.4200",
      delta_fp: "-12.00",
      side: "yes",
      ts_ms: 1_786_401_938_602,
      ...msg,
    });
  assertOk(refusal(delta({ side: "maybe" }))[0].startsWith("msg.side:"));
  assertOk(refusal(delta({ price_dollars: "1.5000" }))[0].startsWith("msg.price_dollars:"));
  assertOk(refusal(delta({ delta_fp: undefined }))[0].startsWith("msg.delta_fp:"));
  assertOk(refusal(delta({ ts_ms: 1_786_401_938 }))[0].startsWith("msg.ts_ms:"));
});

Deno.test("both REST answers are recognised and validated", () => {
  const one = { orderbook_fp: { yes_dollars: [["0.4200", "12.00"]], no_dollars: null } };
  assertEquals(validatePayload(one), {
    status: "valid",
    type: "orderbook",
    envelope: null,
    errors: [],
  });
  const many = { orderbooks: [{ ticker: "KXT-1", orderbook_fp: one.orderbook_fp }] };
  assertEquals(validatePayload(many).type, "orderbooks");
  assertEquals(validatePayload(many).status, "valid");
  const bad = { orderbooks: [{ ticker: "KXT-1", orderbook_fp: { yes_dollars: [["2", "1"]] } }] };
  assertOk(refusal(bad)[0].startsWith("orderbooks[0].orderbook_fp.yes_dollars[0]:"));
});
