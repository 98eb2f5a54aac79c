import { OrderBook } from "../../orderbook/mod.ts";
import { assertEquals, assertOk } from "../../testing/assert.ts";
import type { OrderbookLevels } from "../orderbook.ts";
import { createRestClient } from "../rest.ts";
import {
  OrderbookResponseSchema,
  OrderbooksResponseSchema,
  parseWsMessage,
  type TickerMessage,
} from "../schemas.ts";
import type { EmitRecord } from "./ground_truth.ts";
import { stepCount, stepTime, tickUnits } from "./market_path.ts";
import { createSimulator, type Simulator } from "./simulator.ts";
import { pausedSimulator } from "./testing/paused.ts";
import { marketStatus } from "./world.ts";

const START = Date.UTC(2026, 10, 25, 12, 0, 0);

function sim(): Simulator {
  return createSimulator({
    seed: 7,
    markets: 200,
    startMs: START,
    paused: true,
    pumpIntervalMs: 0,
  });
}

/** Markets trading at `t`. */
function activeMarkets(s: Simulator, t: number): number[] {
  const w = s.world;
  return Array.from({ length: w.marketCount }, (_, m) => m)
    .filter((m) => marketStatus(w, m, t) === "active");
}

/** The levels as an `OrderBook`, to read top of book and crossing from. */
function orderBook(levels: OrderbookLevels): OrderBook {
  const book = new OrderBook();
  book.applySnapshot(levels.yes, levels.no);
  return book;
}

/** Levels one side can hold behind (and including) its best price, up to 5. */
function room(best: number, tick: number): number {
  return Math.min(5, Math.floor((best - 1) / tick) + 1);
}

Deno.test("books are never crossed or negative and hold ≥ 5 levels a side where prices leave room", () => {
  const s = sim();
  const w = s.world;
  let open = 0;
  try {
    for (let m = 0; m < w.marketCount; m++) {
      for (let i = 0; i < 60; i++) {
        const t = START - 86_400_000 + i * 1_439_000 + m * 977;
        const book = s.bookAt(w.marketTickers[m], t)!;
        const where = `${w.marketTickers[m]} at ${new Date(t).toISOString()}`;
        assertOk(!orderBook(book).crossed(), `crossed: ${where}`);
        for (const side of [book.yes, book.no]) {
          assertOk(side.every(([, size]) => size > 0), `empty or negative level: ${where}`);
          assertOk(
            side.every((l, j) => j === 0 || side[j - 1][0] < l[0]),
            `not ascending ${where}`,
          );
        }
        if (book.yes.length === 0) {
          assertEquals(book.no.length, 0, where);
          continue;
        }
        open++;
        const tick = tickUnits(w, m);
        const top = orderBook(book);
        const [yesBid, noBid] = [top.bestBid("yes")!.price, top.bestBid("no")!.price];
        assertOk(book.yes.length >= room(yesBid, tick), `thin YES side: ${where}`);
        assertOk(book.no.length >= room(noBid, tick), `thin NO side: ${where}`);
      }
    }
    assertOk(open > 500, `only ${open} open books sampled`);
  } finally {
    s.close();
  }
});

Deno.test("deeper levels empty and later reappear at the same price", () => {
  const s = sim();
  const w = s.world;
  try {
    const m = activeMarkets(s, START)[0];
    const seen = new Map<string, string>(); // "side:price" → history of presence, e.g. "110"
    const open = w.eventOpenMs[w.marketEvent[m]];
    for (let k = 0; k < Math.min(stepCount(w, m), 400); k++) {
      const book = s.bookAt(w.marketTickers[m], stepTime(w, m, k) + 1)!;
      const present = new Set([
        ...book.yes.map(([p]) => `yes:${p}`),
        ...book.no.map(([p]) => `no:${p}`),
      ]);
      for (const key of new Set([...seen.keys(), ...present])) {
        seen.set(key, (seen.get(key) ?? "") + (present.has(key) ? "1" : "0"));
      }
    }
    const reappeared = [...seen.values()].filter((h) => /10+1/.test(h)).length;
    assertOk(reappeared > 10, `only ${reappeared} levels emptied and came back since ${open}`);
  } finally {
    s.close();
  }
});

function ticker(r: EmitRecord): TickerMessage {
  const parsed = parseWsMessage({ type: "ticker", sid: 1, msg: r.msg });
  assertOk(parsed.status === "valid" && parsed.message.type === "ticker");
  return parsed.message as TickerMessage;
}

Deno.test("every ticker's bid, ask and sizes equal the book's best levels at its instant", () => {
  const s = sim();
  try {
    s.clock.advance(15 * 60_000);
    const emitted = s.groundTruth.records("emit") as EmitRecord[];
    const tickers = emitted.filter((r) => r.type === "ticker");
    assertOk(tickers.length > 1000, `only ${tickers.length} tickers`);
    for (const r of tickers) {
      const t = ticker(r);
      const book = orderBook(s.bookAt(t.marketTicker, t.tsMs)!);
      const [bid, ask] = [book.bestBid("yes"), book.bestAsk("yes")];
      const where = `${t.marketTicker} at ${t.tsMs}`;
      assertEquals(bid?.price ?? 0, t.yesBid, where);
      assertEquals(ask?.price ?? 10_000, t.yesAsk, where);
      assertEquals(bid?.size ?? 0, t.yesBidSize, where);
      assertEquals(ask?.size ?? 0, t.yesAskSize, where);
    }
  } finally {
    s.close();
  }
});

function sizeAt(book: OrderbookLevels, side: "yes" | "no", price: number): number {
  return book[side].find(([p]) => p === price)?.[1] ?? 0;
}

Deno.test("each trade consumes its size at the level it hit, at its instant", () => {
  const s = sim();
  try {
    s.clock.advance(15 * 60_000);
    const trades = (s.groundTruth.records("emit") as EmitRecord[]).filter((r) =>
      r.type === "trade"
    );
    assertOk(trades.length > 100, `only ${trades.length} trades`);
    for (const r of trades) {
      const parsed = parseWsMessage({ type: "trade", sid: 1, seq: 1, msg: r.msg });
      assertOk(parsed.status === "valid" && parsed.message.type === "trade");
      const tr = parsed.message;
      const side = tr.takerOutcomeSide === "yes" ? "no" : "yes";
      const price = side === "no" ? 10_000 - tr.yesPrice : tr.yesPrice;
      const before = s.bookAt(tr.marketTicker, tr.tsMs - 1)!;
      const after = s.bookAt(tr.marketTicker, tr.tsMs)!;
      assertEquals(sizeAt(before, side, price) - sizeAt(after, side, price), tr.count);
      const top = orderBook(before);
      const best = side === "no" ? top.bestAsk("yes") : top.bestBid("yes");
      assertEquals(best?.price ?? null, tr.yesPrice, "trades at the best");
    }
  } finally {
    s.close();
  }
});

Deno.test("REST serves a book in full or to a depth, and several books at once, as the client reads them", async () => {
  const served = pausedSimulator({ seed: 7, markets: 200, startMs: START });
  const s = served.sim;
  try {
    const [a, b] = activeMarkets(s, START).map((m) => s.world.marketTickers[m]);
    const truth = s.bookAt(a, START)!;
    const full = await fetch(`${served.restUrl}/markets/${a}/orderbook`);
    const fullBody = await full.json();
    assertEquals(OrderbookResponseSchema.parse(fullBody).levels, truth);
    assertEquals(Object.keys(fullBody), ["orderbook_fp"]);
    const client = createRestClient({ baseUrl: served.restUrl, maxRetries: 0 });
    assertEquals(await client.getMarketOrderbook(a), truth);
    const truthBook = orderBook(truth);
    assertEquals(await client.getMarketOrderbook(a, { depth: 3 }), {
      yes: truthBook.levels("yes").slice(-3),
      no: truthBook.levels("no").slice(-3),
    });
    assertEquals(await client.getMarketOrderbooks([a, b, "NO-SUCH-MARKET"]), [
      { ticker: a, levels: truth },
      { ticker: b, levels: s.bookAt(b, START)! },
    ]);
    const many = await fetch(`${served.restUrl}/markets/orderbooks?tickers=${a}&tickers=${b}`);
    assertEquals(OrderbooksResponseSchema.parse(await many.json()).orderbooks.length, 2);
    const missing = await fetch(`${served.restUrl}/markets/NO-SUCH-MARKET/orderbook`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
    const deep = await fetch(`${served.restUrl}/markets/${a}/orderbook?depth=101`);
    assertEquals(deep.status, 400);
    await deep.body?.cancel();
  } finally {
    await served.close();
  }
});
