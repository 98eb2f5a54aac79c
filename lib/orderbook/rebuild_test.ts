/** Rebuilds from real PostgreSQL against books built by hand from the same constructed rows. */
import { assertEquals, assertOk } from "../testing/assert.ts";
import { withTestDatabase } from "../db/testing/database.ts";
import type { Sql } from "../db/mod.ts";
import { bookAt, OrderBook, orderbookJson, topOfBookSeries, writeOrderbookBatch } from "./mod.ts";
import {
  bookByHand,
  bookStream,
  seededRandom,
  shuffled,
  type StreamRow,
} from "./testing/stream.ts";

const START = Date.parse("2026-03-10T23:50:00Z"); // the stream crosses midnight: two partitions

/** Writes the stream in shuffled batches (storage order is not message order). */
async function store(sql: Sql, stream: StreamRow[], seed: number): Promise<void> {
  const random = seededRandom(seed);
  const rows = shuffled(stream, random);
  for (let i = 0; i < rows.length; i += 97) {
    const part = rows.slice(i, i + 97);
    await writeOrderbookBatch(sql, {
      id: `s${seed}b${i}`,
      snapshots: part.flatMap((r) => (r.kind === "snapshot" ? [r.row] : [])),
      deltas: part.flatMap((r) => (r.kind === "delta" ? [r.row] : [])),
    });
  }
}

const levels = (book: OrderBook | null) => (book === null ? null : book.toLevels());

/** `orderbook_at`'s rows as the library's Kalshi JSON. */
async function sqlBook(sql: Sql, ticker: string, at: Date) {
  const rows = await sql<{ side: string; price: string; size: string }[]>`
    SELECT side, price::text, size::text FROM orderbook_at(${ticker}, ${at})`;
  const side = (s: string) =>
    rows.filter((r) => r.side === s).map((r) => [r.price, r.size] as [string, string]);
  return { orderbook_fp: { yes_dollars: side("yes"), no_dollars: side("no") } };
}

Deno.test("rebuilt books equal hand-built books at many instants, in SQL and in the library", async () => {
  await withTestDatabase(async ({ sql }) => {
    const tickers = ["OB-A", "OB-B", "OB-C"];
    for (const seed of [1, 2]) {
      const stream = bookStream({
        seed,
        tickers: tickers.map((t) => `${t}${seed}`),
        messages: 1500,
        startMs: START,
      });
      await store(sql, stream, seed + 100);
      const random = seededRandom(seed + 200);
      const lastMs = stream[stream.length - 1].row.tsMs;
      for (let i = 0; i < 120; i++) {
        const pick = stream[Math.floor(random() * stream.length)].row.tsMs;
        const atMs = [pick, pick - 1, START + Math.floor(random() * (lastMs - START + 10))][i % 3];
        const ticker = `${tickers[i % tickers.length]}${seed}`;
        const expected = bookByHand(stream, ticker, atMs);
        const at = new Date(atMs);
        const got = await bookAt(sql, ticker, at);
        if (expected === null) {
          assertEquals(got.status, "no_data", `${ticker} at ${at.toISOString()}`);
          continue;
        }
        assertOk(got.status === "ok", `${ticker} at ${at.toISOString()}: ${got.status}`);
        assertEquals(levels(got.book), levels(expected), `${ticker} at ${at.toISOString()}`);
        assertEquals(got.refused, []);
        assertOk(!got.book.crossed());
        assertEquals(await sqlBook(sql, ticker, at), orderbookJson(expected));
      }
    }
  });
});

const delta = (tsMs: number, order: number, price: number, d: number) => ({
  marketTicker: "TIE",
  tsMs,
  order,
  side: "yes" as const,
  price,
  delta: d,
});

Deno.test("deltas sharing a millisecond apply in order-key order; a later snapshot resets the book", async () => {
  await withTestDatabase(async ({ sql }) => {
    const t = Date.parse("2026-05-01T12:00:00Z");
    const snapshot = {
      marketTicker: "TIE",
      tsMs: t,
      order: 1,
      kind: "subscribe" as const,
      yes: [[4000, 500]] as [number, number][],
      no: [],
    };
    // Stored out of order: the -800 (order 3) only fits after the +300 (order 2).
    await writeOrderbookBatch(sql, {
      id: "tie",
      snapshots: [snapshot],
      deltas: [delta(t + 5, 3, 4000, -800), delta(t + 5, 2, 4000, 300), delta(t + 9, 4, 4100, 7)],
    });
    const at5 = await bookAt(sql, "TIE", new Date(t + 5));
    assertOk(at5.status === "ok");
    assertEquals(at5.book.levels("yes"), [], "500 + 300 - 800 leaves the level empty");
    assertEquals(at5.refused, [], "in order-key order no step goes negative");
    // A resync in the same millisecond as later deltas, after them by order key.
    await writeOrderbookBatch(sql, {
      id: "resync",
      snapshots: [{ ...snapshot, tsMs: t + 9, order: 5, kind: "resync", yes: [[100, 1]] }],
      deltas: [delta(t + 9, 6, 100, 2)],
    });
    const at9 = await bookAt(sql, "TIE", new Date(t + 9));
    assertOk(at9.status === "ok");
    assertEquals(at9.book.levels("yes"), [[100, 3]], "the 4100 delta before the resync is gone");
    assertEquals(at9.snapshot.kind, "resync");
    assertEquals((await sqlBook(sql, "TIE", new Date(t + 9))).orderbook_fp.yes_dollars, [[
      "0.0100",
      "0.03",
    ]]);
    assertEquals((await bookAt(sql, "TIE", new Date(t - 1))).status, "no_data");
    assertEquals((await bookAt(sql, "NOPE", new Date(t))).status, "unknown_market");
  });
});

Deno.test("a stored delta that would make a level negative is reported, not clamped", async () => {
  await withTestDatabase(async ({ sql }) => {
    const t = Date.parse("2026-05-01T12:00:00Z");
    await writeOrderbookBatch(sql, {
      id: "neg",
      snapshots: [{ marketTicker: "TIE", tsMs: t, order: 1, kind: "subscribe", yes: [], no: [] }],
      deltas: [delta(t, 2, 4000, 100), delta(t + 1, 3, 4000, -300), delta(t + 2, 4, 4000, 50)],
    });
    const got = await bookAt(sql, "TIE", new Date(t + 2));
    assertOk(got.status === "ok");
    assertEquals(got.refused, [{
      side: "yes",
      price: 4000,
      size: 100,
      delta: -300,
      tsMs: t + 1,
      order: 3,
    }]);
    assertEquals(got.book.levels("yes"), [[4000, 150]]);
    const [row] = await sql`SELECT size::text FROM orderbook_at('TIE', ${new Date(t + 2)})`;
    assertEquals(row.size, "-1.50", "SQL shows the contradiction as a negative size");
  });
});

Deno.test("a top-of-book series equals rebuilds at each of its instants", async () => {
  await withTestDatabase(async ({ sql }) => {
    const stream = bookStream({ seed: 7, tickers: ["SER"], messages: 600, startMs: START });
    await store(sql, stream, 8);
    const from = new Date(START - 60_000);
    const to = new Date(stream[stream.length - 1].row.tsMs + 60_000);
    const stepMs = Math.ceil((to.getTime() - from.getTime()) / 80);
    const series = await topOfBookSeries(sql, "SER", { from, to, stepMs });
    assertOk(series !== null);
    assertEquals(series[0].known, false, "before the first snapshot nothing is known");
    assertEquals(series.length, Math.floor((to.getTime() - from.getTime()) / stepMs) + 1);
    for (const p of series) {
      const book = bookByHand(stream, "SER", p.at.getTime());
      assertEquals(p.known, book !== null);
      if (book === null) continue;
      assertEquals(p.yesBid, book.bestBid("yes")?.price ?? null);
      assertEquals(p.yesAsk, book.bestAsk("yes")?.price ?? null);
      assertEquals(p.yesAskSize, book.bestAsk("yes")?.size ?? null);
      assertEquals([p.yesDepth, p.noDepth], [book.depth("yes"), book.depth("no")]);
    }
    assertEquals(await topOfBookSeries(sql, "NOPE", { from, to, stepMs }), null);
  });
});
