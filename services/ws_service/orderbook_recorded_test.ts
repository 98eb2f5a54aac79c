/**
 * The recorded real order-book stream (cut from a larger capture, so its `seq` jumps) through the
 * capture path with the per-sid seq check relaxed: routing, the order-book capture, the batch
 * pipeline and PostgreSQL. The books never cross nor go negative and equal the deltas applied by
 * hand, in memory after every message and rebuilt from the database at every delta's instant.
 */
import { createCapturePipeline, openSpool } from "@kalshi-data/lib/capture";
import { withTestDatabase } from "../../lib/db/testing/database.ts";
import { type OrderbookLevels, parseWsMessage, type WsStreamItem } from "@kalshi-data/lib/kalshi";
import { fixturePath } from "../../lib/kalshi/testing/fixtures.ts";
import { createLogger } from "@kalshi-data/lib/log";
import { bookAt, OrderBook } from "@kalshi-data/lib/orderbook";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { OrderbookCapture } from "./orderbook.ts";
import { routeItem } from "./route.ts";

const quiet = createLogger("orderbook_recorded_test", { level: "error" });
const FIXTURE = "ws/ws_orderbook_trade_2026-08-10_KXGOLD15M-26AUG101900-00_first200.ndjson";
const TICKER = "KXGOLD15M-26AUG101900-00";

/** The recorded frames as stream items, with the `gap` items a client would add between them. */
function recordedItems(): WsStreamItem[] {
  const lines = Deno.readTextFileSync(fixturePath(FIXTURE)).split("\n").filter(Boolean);
  const last = new Map<number, number>();
  const items: WsStreamItem[] = [];
  for (const line of lines) {
    const { recv_ms: receivedAtMs, event } = JSON.parse(line);
    const parsed = parseWsMessage(event);
    assertEquals(parsed.status, "valid", line.slice(0, 120));
    if (parsed.status !== "valid") continue;
    const { sid, seq } = parsed.message;
    const previous = sid === null ? undefined : last.get(sid);
    if (sid !== null && seq !== null) {
      if (previous !== undefined && seq !== previous + 1) {
        items.push({
          kind: "gap",
          receivedAtMs,
          sid,
          channel: "orderbook_delta",
          expectedSeq: previous + 1,
          receivedSeq: seq,
        });
      }
      last.set(sid, seq);
    }
    items.push({ kind: "message", receivedAtMs, message: parsed.message });
  }
  return items;
}

Deno.test("the recorded real stream, seq check relaxed: books never crossed or negative, equal to its deltas applied by hand", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ob_recorded_" });
  await withTestDatabase(async ({ sql }) => {
    const spool = await openSpool(dir);
    const pipeline = createCapturePipeline({
      sql,
      spool,
      logger: quiet,
      instance: "t",
      sessionId: "recorded",
      flushIntervalMs: 10,
    });
    let requested = 0;
    const capture = new OrderbookCapture({
      sink: pipeline,
      requestSnapshots: () => (requested++, true),
      logger: quiet,
      sessionId: "recorded",
      seqCheck: false,
    });
    capture.setMarkets([TICKER]);
    const hand = new OrderBook();
    /** Hand-built book after the last delta of each exchange ms. */
    const byMs = new Map<number, OrderbookLevels>();
    let gaps = 0;
    let deltas = 0;
    const items = recordedItems();
    for (const [i, item] of items.entries()) {
      for (const effect of routeItem(item, { sessionId: "recorded", channelOf: () => null })) {
        if (effect.kind === "seq_gap") {
          gaps++;
          capture.seqGap(effect.atMs, effect.detail);
        } else if (effect.kind === "orderbook_snapshot") {
          capture.snapshot(effect.message, effect.atMs);
          hand.applySnapshot(effect.message.levels.yes, effect.message.levels.no);
        } else if (effect.kind === "orderbook_delta") {
          capture.delta(effect.message, effect.atMs);
          const { side, price, delta, tsMs } = effect.message;
          assertEquals(hand.applyDelta(side, price, delta), null, `negative after message ${i}`);
          byMs.set(tsMs!, hand.toLevels());
          deltas++;
        } else if (effect.kind === "trade") pipeline.trade(effect.row);
      }
      assertOk(!hand.crossed(), `crossed after message ${i}`);
      if (item.kind === "message" && item.message.type.startsWith("orderbook")) {
        assertEquals(
          capture.levels(TICKER),
          hand.toLevels(),
          `maintained book after message ${i}`,
        );
      }
      if (i === 100 && item.kind === "message") capture.checkpoint(item.receivedAtMs);
    }
    assertOk(gaps > 0, "the cut stream's seq jumps");
    assertEquals([requested, capture.stats.gaps, deltas], [0, 0, 183]);
    capture.close(Math.max(...[...byMs.keys()]) + 1);
    await pipeline.stop();
    await spool.close();

    const [stored] = await sql<{ deltas: number; snapshots: number; checkpoints: number }[]>`
      SELECT (SELECT count(*)::int FROM orderbook_deltas) AS deltas,
             (SELECT count(*)::int FROM orderbook_snapshots) AS snapshots,
             (SELECT count(*)::int FROM orderbook_snapshots WHERE kind = 'checkpoint')
               AS checkpoints`;
    assertEquals(stored, { deltas: 183, snapshots: 2, checkpoints: 1 });
    for (const [ms, expected] of byMs) {
      const rebuilt = await bookAt(sql, TICKER, new Date(ms));
      assertEquals(rebuilt.status, "ok");
      if (rebuilt.status !== "ok") continue;
      assertEquals(rebuilt.refused, []);
      assertOk(!rebuilt.book.crossed(), `rebuilt book crossed at ${ms}`);
      assertEquals({ yes: rebuilt.book.levels("yes"), no: rebuilt.book.levels("no") }, expected);
    }
  });
  await Deno.remove(dir, { recursive: true });
});
