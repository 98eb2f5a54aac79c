import { assertEquals, assertOk } from "../testing/assert.ts";
import { decodeWsFrame, frameSequence } from "./ws_frame.ts";

const ticker = {
  type: "ticker",
  sid: 1,
  msg: {
    market_ticker: "A-1",
    price_dollars: "0.5000",
    yes_bid_dollars: "0.4900",
    yes_ask_dollars: "0.5100",
    volume_fp: "10.00",
    open_interest_fp: "5.00",
    ts_ms: 1_790_000_000_123,
  },
};

Deno.test("a consumed message decodes to a normalised message item with its receive time", () => {
  const item = decodeWsFrame(JSON.stringify(ticker), 42);
  assertOk(item.kind === "message" && item.message.type === "ticker");
  assertEquals([item.receivedAtMs, item.message.yesBid, item.message.sid], [42, 4900, 1]);
});

Deno.test("a binary frame is decoded as UTF-8 text", () => {
  const bytes = new TextEncoder().encode(JSON.stringify(ticker));
  const item = decodeWsFrame(bytes.buffer, 1);
  assertOk(item.kind === "message" && item.message.type === "ticker");
});

Deno.test("a frame that is not JSON becomes an invalid item keeping the text", () => {
  const item = decodeWsFrame("this is not json", 7);
  assertOk(item.kind === "invalid");
  assertEquals(item.rawText, "this is not json");
  assertOk(item.error.startsWith("not JSON: "));
});

Deno.test("a consumed type with a bad field becomes an invalid item naming the field", () => {
  const bad = { ...ticker, msg: { ...ticker.msg, yes_bid_dollars: 0.49 } };
  const item = decodeWsFrame(JSON.stringify(bad), 1);
  assertOk(item.kind === "invalid" && item.error.includes("msg.yes_bid_dollars"));
});

Deno.test("a type the client does not consume is unsupported, with its raw payload", () => {
  const item = decodeWsFrame('{"type":"fill","sid":9,"seq":3,"msg":{}}', 1);
  assertOk(item.kind === "unsupported");
  assertEquals(item.type, "fill");
  assertEquals(item.raw.sid, 9);
});

Deno.test("frameSequence reads sid and seq of messages and unsupported frames, none of invalid ones", () => {
  const trade = decodeWsFrame(
    JSON.stringify({
      type: "trade",
      sid: 7,
      seq: 4,
      msg: {
        trade_id: "t4",
        market_ticker: "A-1",
        yes_price_dollars: "0.6000",
        no_price_dollars: "0.4000",
        count_fp: "1.00",
        taker_outcome_side: "yes",
        ts_ms: 1_790_000_000_000,
      },
    }),
    1,
  );
  assertEquals(frameSequence(trade), { type: "trade", sid: 7, seq: 4 });
  const unknown = decodeWsFrame('{"type":"x","sid":3,"seq":1.5}', 1);
  assertEquals(frameSequence(unknown), { type: "x", sid: 3, seq: null });
  assertEquals(frameSequence(decodeWsFrame("{", 1)), null);
});
