import type {
  CapturedDeltaRow,
  CapturedSnapshotRow,
  DeadLetterRow,
  GapRow,
} from "@kalshi-data/lib/capture";
import type { OrderbookDeltaMsg, OrderbookSnapshotMsg } from "@kalshi-data/lib/kalshi";
import { createLogger } from "@kalshi-data/lib/log";
import { assertEquals } from "../../lib/testing/assert.ts";
import { OrderbookCapture } from "./orderbook.ts";

const quiet = createLogger("orderbook_test", { level: "error" });

function setup() {
  const rows = {
    snapshots: [] as CapturedSnapshotRow[],
    deltas: [] as CapturedDeltaRow[],
    gaps: [] as GapRow[],
    dead: [] as DeadLetterRow[],
    requested: [] as string[][],
  };
  const capture = new OrderbookCapture({
    sink: {
      orderbookSnapshot: (r) => rows.snapshots.push(r),
      orderbookDelta: (r) => rows.deltas.push(r),
      gap: (r) => rows.gaps.push(r),
      deadLetter: (r) => rows.dead.push(r),
    },
    requestSnapshots: (t) => (rows.requested.push(t), true),
    logger: quiet,
    sessionId: "s",
    slackMs: 100,
  });
  capture.setMarkets(["A", "B"]);
  return { rows, capture };
}

const snapshot = (ticker: string, yes: [number, number][]): OrderbookSnapshotMsg => ({
  type: "orderbook_snapshot",
  id: null,
  sid: 1,
  seq: null,
  raw: {},
  marketTicker: ticker,
  marketId: null,
  levels: { yes, no: [[5000, 100]] },
});

const delta = (ticker: string, price: number, size: number, tsMs: number): OrderbookDeltaMsg => ({
  type: "orderbook_delta",
  id: null,
  sid: 1,
  seq: null,
  raw: {},
  marketTicker: ticker,
  marketId: null,
  side: "yes",
  price,
  delta: size,
  tsMs,
  clientOrderId: null,
});

const T = Date.UTC(2026, 10, 25, 12);

Deno.test("a snapshot is stamped at the next delta's time (or its receive time when earlier), ordered before it", () => {
  const { rows, capture } = setup();
  capture.snapshot(snapshot("A", [[4000, 100]]), T + 50);
  capture.snapshot(snapshot("B", [[4000, 100]]), T + 50);
  assertEquals(rows.snapshots.length, 0, "pending until the next delta");
  capture.delta(delta("B", 4000, -40, T + 20), T + 60);
  assertEquals(rows.snapshots.map((s) => [s.marketTicker, s.tsMs, s.order, s.kind]), [
    ["A", T + 20, 0, "subscribe"],
    ["B", T + 20, 1, "subscribe"],
  ]);
  assertEquals(rows.deltas.map((d) => [d.tsMs, d.order, d.delta]), [[T + 20, 2, -40]]);
  capture.snapshot(snapshot("A", [[4000, 7]]), T + 70);
  capture.delta(delta("A", 4000, 1, T + 90), T + 95);
  assertEquals(rows.snapshots[2].tsMs, T + 70, "the receive time is earlier");
  assertEquals(rows.snapshots[2].kind, "resync");
  assertEquals(capture.levels("A"), { yes: [[4000, 8]], no: [[5000, 100]] });
});

Deno.test("a delta that would leave a level negative is not applied: gap, get_snapshot, resync", () => {
  const { rows, capture } = setup();
  capture.snapshot(snapshot("A", [[4000, 100]]), T);
  capture.snapshot(snapshot("B", [[4000, 100]]), T);
  capture.delta(delta("A", 4000, -30, T + 10), T + 11);
  capture.delta(delta("A", 4000, -80, T + 20), T + 21); // 70 resting: refused
  assertEquals(rows.requested, [["A"]]);
  assertEquals(capture.levels("A"), null, "stale until its resync snapshot");
  capture.delta(delta("A", 4000, 5, T + 30), T + 31); // not stored: the gap covers it
  capture.delta(delta("B", 4000, 5, T + 30), T + 31); // B is unaffected
  assertEquals(rows.deltas.map((d) => d.marketTicker), ["A", "B"]);
  assertEquals(rows.gaps, []);
  capture.snapshot(snapshot("A", [[4000, 75]]), T + 40);
  capture.delta(delta("B", 4000, 1, T + 45), T + 46);
  assertEquals(rows.gaps, [{
    channel: "orderbook_delta",
    marketTickers: ["A"],
    startMs: T + 20 - 100,
    endMs: T + 40,
    reason: "orderbook_negative",
    detail: { side: "yes", price: 4000, size: 70, delta: -80 },
  }]);
  assertEquals(rows.snapshots.at(-1)!.kind, "resync");
  assertEquals(capture.levels("A"), { yes: [[4000, 75]], no: [[5000, 100]] });
});

Deno.test("checkpoints store changed books at their last delta's key; a gap never resynced closes at the second checkpoint", () => {
  const { rows, capture } = setup();
  capture.snapshot(snapshot("A", [[4000, 100]]), T);
  capture.delta(delta("A", 4000, 10, T + 10), T + 11);
  assertEquals(capture.checkpoint(T + 100), 1);
  assertEquals(capture.checkpoint(T + 200), 0, "unchanged since");
  const cp = rows.snapshots.find((s) => s.kind === "checkpoint")!;
  assertEquals([cp.tsMs, cp.order, cp.yes], [T + 10, 1, [[4000, 110]]]);
  capture.seqGap(T + 300, { sid: 1 });
  assertEquals(rows.requested, [["A"]]);
  capture.checkpoint(T + 400);
  assertEquals(rows.gaps.length, 0);
  capture.checkpoint(T + 500);
  assertEquals(rows.gaps.map((g) => [g.reason, g.startMs, g.endMs]), [[
    "seq_gap",
    T + 10 - 100,
    T + 500,
  ]]);
});
