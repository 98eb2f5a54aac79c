import { assertEquals, assertOk, assertThrows } from "../testing/assert.ts";
import { parseOrderbookScope, selectOrderbookMarkets } from "./orderbook_scope.ts";

const candidates = [
  { ticker: "A-1", seriesTicker: "A", volume24h: "99.50" },
  { ticker: "A-2", seriesTicker: "A", volume24h: "100" },
  { ticker: "B-1", seriesTicker: "B", volume24h: null },
  { ticker: "C-1", seriesTicker: null, volume24h: "1000.01" },
  { ticker: "C-2", seriesTicker: "C", volume24h: "1000.1" },
];

Deno.test("WS_ORDERBOOK_SCOPE parses all, none, series:A,B and top:N, and names what is wrong", () => {
  assertEquals(parseOrderbookScope("all"), { kind: "all" });
  assertEquals(parseOrderbookScope(" none "), { kind: "none" });
  assertEquals(parseOrderbookScope("series:A, B"), { kind: "series", series: ["A", "B"] });
  assertEquals(parseOrderbookScope("top:200"), { kind: "top", n: 200 });
  for (const [bad, why] of [["top:0", "N=0"], ["series:A,", '""'], ["most", "unknown form"]]) {
    const message = assertThrows(() => parseOrderbookScope(bad), RangeError).message;
    assertOk(message.includes(why) && message.includes("top:N"), message);
  }
});

Deno.test("the order-book markets of each scope; top:N ranks volume_24h exactly, ties by ticker", () => {
  assertEquals(selectOrderbookMarkets(candidates, { kind: "none" }), []);
  assertEquals(selectOrderbookMarkets(candidates, { kind: "all" }).length, 5);
  assertEquals(selectOrderbookMarkets(candidates, { kind: "series", series: ["A", "C"] }), [
    "A-1",
    "A-2",
    "C-2",
  ]);
  // 1000.1 > 1000.01 > 100 > 99.50 > unknown.
  assertEquals(selectOrderbookMarkets(candidates, { kind: "top", n: 2 }), ["C-1", "C-2"]);
  assertEquals(selectOrderbookMarkets(candidates, { kind: "top", n: 3 }), ["A-2", "C-1", "C-2"]);
  assertEquals(selectOrderbookMarkets(candidates, { kind: "top", n: 4 }), [
    "A-1",
    "A-2",
    "C-1",
    "C-2",
  ]);
  const tied = candidates.map((c) => ({ ...c, volume24h: "5" }));
  assertEquals(selectOrderbookMarkets(tied, { kind: "top", n: 2 }), ["A-1", "A-2"]);
});
