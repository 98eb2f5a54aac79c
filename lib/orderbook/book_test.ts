/** The in-memory book: levels, top of book, crossing, refusals, Kalshi's JSON, checkpoints. */
import { assertEquals, assertOk } from "../testing/assert.ts";
import { checkpointRow, OrderBook, orderbookJson } from "./mod.ts";

Deno.test("a book keeps exact levels, and a YES ask is 1 dollar minus the best NO bid", () => {
  const book = new OrderBook();
  book.applySnapshot([[4200, 1200], [4100, 50]], [[5500, 300], [5000, 1]]);
  assertEquals(book.bestBid("yes"), { price: 4200, size: 1200 });
  assertEquals(book.bestAsk("yes"), { price: 4500, size: 300 });
  assertEquals(book.bestAsk("no"), { price: 5800, size: 1200 });
  assertEquals(book.applyDelta("no", 5500, -300), null);
  assertEquals(book.levels("no"), [[5000, 1]], "a level reaching 0 disappears");
  assertEquals(book.depth("yes"), 1250);
  assertEquals(orderbookJson(book), {
    orderbook_fp: {
      yes_dollars: [["0.4100", "0.50"], ["0.4200", "12.00"]],
      no_dollars: [["0.5000", "0.01"]],
    },
  });
});

Deno.test("a delta that would leave a negative size is refused and reported", () => {
  const book = new OrderBook();
  book.applySnapshot([[4200, 100]], []);
  assertEquals(book.applyDelta("yes", 4200, -101), {
    side: "yes",
    price: 4200,
    size: 100,
    delta: -101,
  });
  assertEquals(book.levels("yes"), [[4200, 100]], "unchanged, not clamped");
  assertEquals(book.applyDelta("no", 100, -1)?.size, 0);
});

Deno.test("deltas add, change and remove levels of an empty book; a refused delta changes nothing", () => {
  const book = new OrderBook();
  assertEquals([book.bestBid("yes"), book.bestAsk("yes")], [null, null]);
  assertEquals(book.applyDelta("yes", 4200, 1200), null);
  assertEquals(book.applyDelta("yes", 4100, 50), null);
  assertEquals(book.applyDelta("no", 5500, 300), null);
  assertEquals(book.applyDelta("yes", 4200, -200), null);
  assertEquals(book.toLevels(), { yes: [[4100, 50], [4200, 1000]], no: [[5500, 300]] });
  assertEquals(book.bestBid("yes"), { price: 4200, size: 1000 });
  assertEquals(book.bestAsk("yes"), { price: 4500, size: 300 });
  assertEquals([book.depth("yes"), book.depth("no")], [1050, 300]);
  assertEquals(book.applyDelta("yes", 4100, -50), null);
  assertEquals(book.levels("yes"), [[4200, 1000]], "a level reaching 0 disappears");
  assertEquals(book.applyDelta("no", 5400, -1), { side: "no", price: 5400, size: 0, delta: -1 });
  assertEquals(book.toLevels(), { yes: [[4200, 1000]], no: [[5500, 300]] });
});

Deno.test("a book is crossed when the best bids of both sides reach one dollar", () => {
  const book = new OrderBook();
  book.applySnapshot([[4200, 1]], [[5700, 1]]);
  assertOk(!book.crossed());
  book.applyDelta("no", 5800, 1);
  assertOk(book.crossed(), "0.42 + 0.58 = 1: the YES bid meets the YES ask");
  assertOk(!new OrderBook().crossed());
});

Deno.test("a checkpoint is the maintained book at its last change, and resets like a snapshot", () => {
  const book = new OrderBook();
  book.applySnapshot([[300, 5]], [[9000, 7]]);
  book.applyDelta("yes", 200, 9);
  const row = checkpointRow(book, { marketTicker: "M", tsMs: 1_800_000_000_000, order: 42 });
  assertEquals(row, {
    marketTicker: "M",
    tsMs: 1_800_000_000_000,
    order: 42,
    kind: "checkpoint",
    yes: [[200, 9], [300, 5]],
    no: [[9000, 7]],
  });
  const copy = new OrderBook();
  copy.applyDelta("yes", 9999, 1);
  copy.applySnapshot(row.yes, row.no);
  assertEquals(copy.toLevels(), book.toLevels());
});
