import { withTestDatabase } from "../db/testing/database.ts";
import { writeOrderbookBatch } from "../orderbook/mod.ts";
import { assertEquals } from "../testing/assert.ts";
import { orderbookSection } from "./orderbook.ts";

const NOW = new Date("2026-11-25T12:00:00Z");
const MIN = 60_000;

Deno.test("the order-book section reports the newest delta and snapshot, books stored in the last hour, and order-book gaps", async () => {
  await withTestDatabase(async ({ sql }) => {
    const at = (minutesAgo: number) => NOW.getTime() - minutesAgo * MIN;
    const snapshot = (ticker: string, minutesAgo: number) => ({
      marketTicker: ticker,
      tsMs: at(minutesAgo),
      order: 0,
      kind: "checkpoint" as const,
      yes: [[4000, 100]] as [number, number][],
      no: [[5000, 100]] as [number, number][],
    });
    await writeOrderbookBatch(sql, {
      id: "status:1",
      snapshots: [snapshot("A-1", 90), snapshot("A-1", 30), snapshot("B-1", 20)],
      deltas: [{
        marketTicker: "A-1",
        tsMs: at(5),
        order: 1,
        side: "yes",
        price: 4000,
        delta: -50,
      }],
    });
    await sql`
      INSERT INTO capture_gaps (channel, market_tickers, gap_start, gap_end, reason)
      VALUES ('orderbook_delta', ARRAY['A-1'], ${new Date(at(60))}, ${new Date(at(59))}, 'seq_gap'),
             ('orderbook_delta', ARRAY['A-1'], ${new Date(at(3000))}, ${new Date(at(2999))},
              'disconnect'),
             ('ticker', NULL, ${new Date(at(60))}, ${new Date(at(59))}, 'disconnect')`;
    const result = await orderbookSection.run({ sql, measureSpool: () => Promise.resolve(null) }, {
      now: NOW,
      spoolDir: "",
      limits: {
        wsSilenceMs: 300_000,
        wsChannels: ["ticker"],
        maxPassAgeMs: 0,
        maxDueAgeMs: 0,
        deadWindowMs: 0,
      },
    });
    assertEquals(result.data, {
      lastDeltaAt: new Date(at(5)).toISOString(),
      lastDeltaAgeSeconds: 300,
      lastSnapshotAt: new Date(at(20)).toISOString(),
      booksLastHour: 2,
      gapsLastDay: 1,
      openGaps: 2,
    });
    assertEquals(result.findings, []);
    assertEquals(result.rows.map((r) => r.what), [
      "order-book deltas",
      "order books stored (last hour)",
      "order-book gaps",
    ]);
  });
});
