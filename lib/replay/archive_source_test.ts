import { runExport } from "../archive/duckdb_mod.ts";
import { ARCHIVE_TABLES } from "../archive/mod.ts";
import { withTestArchive } from "../archive/testing/archive.ts";
import { withTestDatabase } from "../db/testing/database.ts";
import type { Sql } from "../db/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { createArchiveSource } from "./archive_source.ts";
import { createDbSource } from "./db_source.ts";
import type { ReplayMessage } from "./protocol.ts";
import { mergeByTime, type ReplaySource, type ReplayWindow } from "./source.ts";

const DAY0 = Date.UTC(2026, 10, 24);
const HOUR = 3_600_000;

/** Two days of ticks, trades and lifecycle over three markets, with NULLs and extra fields. */
async function seed(sql: Sql): Promise<void> {
  await sql`SELECT ensure_tick_partitions(${new Date(DAY0)}, 3)`;
  await sql`
    INSERT INTO ticks (market_ticker, ts, price, yes_bid, yes_ask, volume, open_interest,
                       yes_bid_size, yes_ask_size, last_trade_size, dollar_volume,
                       dollar_open_interest, extra)
    SELECT 'MKT-' || (i % 3), ${new Date(DAY0)}::timestamptz + i * interval '7 minutes 3 ms',
           0.5600, 0.5500, 0.5700, i + 0.25, 100.00,
           CASE WHEN i % 4 = 0 THEN NULL ELSE 10.00 END, 12.00, 1.00, i, 56,
           CASE WHEN i % 5 = 0 THEN NULL
                ELSE jsonb_build_object('market_id', 'id-' || (i % 3), 'n', i) END
      FROM generate_series(0, 599) AS i`;
  await sql`
    INSERT INTO trades (trade_id, market_ticker, created_time, yes_price, no_price, count,
                        taker_side, source, raw)
    SELECT 't-' || i, 'MKT-' || (i % 3),
           ${new Date(DAY0)}::timestamptz + i * interval '31 minutes', 0.5600, 0.4400, 3.00,
           'yes', CASE WHEN i % 7 = 0 THEN 'rest' ELSE 'ws' END,
           jsonb_build_object('trade_id', 't-' || i, 'count_fp', '3.00', 'note', 'a, "b"')
      FROM generate_series(0, 89) AS i`;
  await sql`
    INSERT INTO market_lifecycle (message_type, event_type, market_ticker, event_ticker, sid, seq,
                                  received_at, raw)
    SELECT 'market_lifecycle_v2', 'activated', 'MKT-' || (i % 3), NULL, 1, i,
           ${new Date(DAY0)}::timestamptz + i * interval '3 hours',
           jsonb_build_object('type', 'market_lifecycle_v2', 'sid', 1, 'seq', i, 'msg',
                              jsonb_build_object('market_ticker', 'MKT-' || (i % 3),
                                                 'event_type', 'activated', 'open_ts', i))
      FROM generate_series(0, 15) AS i`;
}

async function all(source: ReplaySource, window: ReplayWindow): Promise<ReplayMessage[]> {
  const out: ReplayMessage[] = [];
  for await (const batch of mergeByTime(source.messages(window))) out.push(...batch);
  return out;
}

Deno.test("the archive replays the same messages as the database it was exported from", async () => {
  await withTestDatabase(async ({ sql }) => {
    await seed(sql);
    await withTestArchive(async ({ dir, duck }) => {
      const report = await runExport(
        { sql, duck, now: () => new Date(DAY0 + 5 * 24 * HOUR), runId: "replay" },
        { archiveDir: dir, tables: ARCHIVE_TABLES, range: {}, recheckDays: 7 },
      );
      assertOk(report.written.length > 0, "the export wrote days");
      const archive = createArchiveSource({ archiveDir: dir });
      const db = createDbSource(sql);
      const windows: ReplayWindow[] = [
        { fromMs: DAY0 + 5 * HOUR, toMs: DAY0 + 40 * HOUR },
        { fromMs: DAY0, toMs: DAY0 + 48 * HOUR, markets: ["MKT-1"] },
      ];
      for (const window of windows) {
        const fromDb = await all(db, window);
        const fromArchive = await all(archive, window);
        assertOk(fromDb.length > 100, `only ${fromDb.length} messages in the window`);
        assertEquals(fromArchive, fromDb);
      }
    });
  });
});
