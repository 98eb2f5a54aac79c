import { withTestDatabase } from "../db/testing/database.ts";
import { type OrderbookLevel, parseWsMessage } from "../kalshi/mod.ts";
import { fakeClock } from "../kalshi/testing/fake_clock.ts";
import { createLogger } from "../log/mod.ts";
import {
  bookAt,
  OrderBook,
  type OrderbookDeltaRow,
  type OrderbookSnapshotRow,
  writeOrderbookBatch,
} from "../orderbook/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { until } from "../testing/wait.ts";
import { createDbSource } from "./db_source.ts";
import { createReplayRest } from "./rest.ts";
import { serveReplay } from "./server.ts";

const FROM = Date.UTC(2026, 10, 25, 12, 0, 0);
const quiet = createLogger("replay_orderbook_test", { level: "error" });
const T = "M-BOOK";

/** A YES level 0.40+0.01·s dollars gains 1 contract at second s (1..9). */
function delta(s: number): OrderbookDeltaRow {
  return {
    marketTicker: T,
    tsMs: FROM + s * 1000,
    order: s,
    side: "yes",
    price: 4000 + 100 * s,
    delta: 100,
  };
}

/**
 * A subscribe snapshot at the window start, deltas each second, a correct checkpoint at 5 s (never
 * a message) and a resync at 7.5 s whose book disagrees with the deltas before it (a capture gap).
 */
function rows(): { snapshots: OrderbookSnapshotRow[]; deltas: OrderbookDeltaRow[] } {
  const first: { yes: OrderbookLevel[]; no: OrderbookLevel[] } = {
    yes: [[4000, 1000]],
    no: [[5000, 500]],
  };
  const atFive = new OrderBook();
  atFive.applySnapshot(first.yes, first.no);
  for (let s = 1; s <= 5; s++) atFive.applyDelta("yes", 4000 + 100 * s, 100);
  const snap = (
    tsMs: number,
    order: number,
    kind: OrderbookSnapshotRow["kind"],
    yes: OrderbookLevel[],
    no: OrderbookLevel[],
  ) => ({ marketTicker: T, tsMs, order, kind, yes, no });
  return {
    snapshots: [
      snap(FROM, 0, "subscribe", first.yes, first.no),
      snap(FROM + 5000, 50, "checkpoint", atFive.levels("yes"), atFive.levels("no")),
      snap(FROM + 7500, 75, "resync", [[3000, 200]], []),
    ],
    deltas: [1, 2, 3, 4, 5, 6, 8, 9].map(delta),
  };
}

/** Applies Kalshi order-book frames as a client does. */
function applyFrames(frames: Record<string, unknown>[]): OrderBook {
  const book = new OrderBook();
  for (const f of frames) {
    const parsed = parseWsMessage(f);
    if (parsed.status !== "valid") throw new Error(`invalid frame ${JSON.stringify(f)}`);
    const m = parsed.message;
    if (m.type === "orderbook_snapshot") book.applySnapshot(m.levels.yes, m.levels.no);
    else if (m.type === "orderbook_delta") book.applyDelta(m.side, m.price, m.delta);
  }
  return book;
}

Deno.test("orderbook_delta: a mid-replay subscribe and get_snapshot get the rebuilt book, then the deltas after it; resyncs re-sent, checkpoints not", async () => {
  await withTestDatabase(async ({ sql }) => {
    await writeOrderbookBatch(sql, { id: "replay-ob-1", ...rows() });
    const { fake, clock } = fakeClock(5_000_000);
    let now = () => FROM;
    const served = serveReplay({
      source: createDbSource(sql),
      rest: createReplayRest(sql, { fromMs: FROM, now: () => now() }),
      window: { fromMs: FROM, toMs: FROM + 60_000 },
      speed: 1,
      quietMs: 200,
      clock,
      logger: quiet,
    });
    now = served.now;
    const socket = new WebSocket(served.wsUrl);
    const frames: Record<string, unknown>[] = [];
    socket.onmessage = (ev) => frames.push(JSON.parse(ev.data));
    await new Promise((resolve) => (socket.onopen = resolve));
    const send = (body: unknown) => socket.send(JSON.stringify(body));
    const book = () => frames.filter((f) => f.sid === 2);
    try {
      send({ id: 1, cmd: "subscribe", params: { channels: ["orderbook_delta"] } });
      send({ id: 2, cmd: "subscribe", params: { channels: ["ticker"], market_tickers: [T] } });
      await until(() => frames.length === 2, "replies");
      assertEquals(frames[0], {
        id: 1,
        type: "error",
        msg: { code: 14, msg: "Market ticker required" },
      });
      await fake.tickAsync(200 + 3500); // replay time: 3.5 s, the deltas up to 3 s delivered.
      await until(() => served.sessions()[0]?.positionMs === FROM + 3000, "replayed up to 3 s");
      send({
        id: 3,
        cmd: "subscribe",
        params: { channels: ["orderbook_delta"], market_tickers: [T] },
      });
      await until(() => book().length === 1, "the book at 3 s");
      assertEquals(book()[0], {
        type: "orderbook_snapshot",
        sid: 2,
        seq: 1,
        msg: {
          market_ticker: T,
          yes_dollars_fp: [
            ["0.4000", "10.00"],
            ["0.4100", "1.00"],
            ["0.4200", "1.00"],
            ["0.4300", "1.00"],
          ],
          no_dollars_fp: [["0.5000", "5.00"]],
        },
      });
      await fake.tickAsync(2700); // 6.2 s: deltas 4, 5, 6, no checkpoint.
      await until(() => book().length === 4, "deltas up to 6 s");
      assertEquals(book()[1], {
        type: "orderbook_delta",
        sid: 2,
        seq: 2,
        msg: {
          market_ticker: T,
          price_dollars: "0.4400",
          delta_fp: "1.00",
          side: "yes",
          ts: "2026-11-25T12:00:04Z",
          ts_ms: FROM + 4000,
        },
      });
      send({
        id: 4,
        cmd: "update_subscription",
        params: { sids: [2], action: "get_snapshot", market_tickers: [T] },
      });
      await until(() => book().length === 5, "get_snapshot answered");
      const atSix = await bookAt(sql, T, new Date(FROM + 6000));
      assertOk(atSix.status === "ok");
      assertEquals(applyFrames([book()[4]]).toLevels(), atSix.book.toLevels());
      assertEquals(applyFrames(book()).toLevels(), atSix.book.toLevels(), "snapshot + deltas");
      await fake.tickAsync(60_000);
      await until(() => served.sessions()[0]?.finished === true, "window replayed");
      await until(() => book().length >= 8, "the rest of the window received");
      assertEquals(
        book().map((f) => [f.type, f.seq, (f.msg as { ts_ms?: number }).ts_ms ?? null]),
        [
          ["orderbook_snapshot", 1, null],
          ["orderbook_delta", 2, FROM + 4000],
          ["orderbook_delta", 3, FROM + 5000],
          ["orderbook_delta", 4, FROM + 6000],
          ["orderbook_snapshot", 5, null],
          ["orderbook_snapshot", 6, null], // the resync at 7.5 s
          ["orderbook_delta", 7, FROM + 8000],
          ["orderbook_delta", 8, FROM + 9000],
        ],
      );
      const end = await bookAt(sql, T, new Date(FROM + 60_000));
      assertOk(end.status === "ok");
      assertEquals(applyFrames(book()).toLevels(), end.book.toLevels());
      assertEquals(end.book.toLevels(), { yes: [[3000, 200], [4800, 100], [4900, 100]], no: [] });
      // REST as of replay time (the window's end).
      const rest = await fetch(`${served.restUrl}/markets/${T}/orderbook?depth=2`);
      assertEquals(await rest.json(), {
        orderbook_fp: { yes_dollars: [["0.4800", "1.00"], ["0.4900", "1.00"]], no_dollars: [] },
      });
      const bad = await fetch(`${served.restUrl}/markets/${T}/orderbook?depth=101`);
      assertEquals(bad.status, 400);
      await bad.body?.cancel();
      const none = await fetch(`${served.restUrl}/markets/orderbooks`);
      assertEquals(none.status, 400);
      await none.body?.cancel();
    } finally {
      socket.close();
      await served.close();
    }
  });
});
