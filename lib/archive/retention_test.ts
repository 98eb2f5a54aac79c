import { withTestDatabase } from "../db/testing/database.ts";
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import { runExport } from "./export.ts";
import { applyRetention } from "./retention.ts";
import { archiveTable } from "./schema.ts";
import { readArchivedDays } from "./store.ts";
import { withTestArchive } from "./testing/archive.ts";
import { seedDaily } from "./testing/seed.ts";

const EXPORTED_AT = new Date("2026-12-02T06:00:00Z");
/** Retention runs ten days later, keeping 3 days: both seeded days are due. */
const LATER = new Date("2026-12-12T06:00:00Z");

async function partitions(sql: import("../db/mod.ts").Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'ticks'::regclass AND c.relname IN ('ticks_p20261130', 'ticks_p20261201')
    ORDER BY 1`;
  return rows.map((r) => r.name);
}

Deno.test("retention drops only verified tick days and names each day it refuses", async () => {
  await withTestDatabase(async (db) => {
    await seedDaily(db.sql);
    await withTestArchive(async ({ dir, duck }) => {
      await runExport(
        { sql: db.sql, duck, now: () => EXPORTED_AT, runId: "r1" },
        { archiveDir: dir, tables: [archiveTable("ticks")], range: {}, recheckDays: 7 },
      );
      // A tick arrives for 2026-12-01 after its export: that day must be kept.
      await db.sql`
        INSERT INTO ticks (market_ticker, ts, price) VALUES ('LATE', '2026-12-01T18:00:00Z', 0.5)`;
      const report = await applyRetention(
        { sql: db.sql, archiveDir: dir, now: () => LATER },
        { keepDays: 3 },
      );
      assertEquals(report.cutoff, "2026-12-09");
      assertEquals(report.dropped, [{ what: "ticks", day: "2026-11-30", rows: 1 }]);
      assertEquals(report.refused.map((r) => r.day), ["2026-12-01"]);
      assertOk(
        report.refused[0].reason.includes("refusing to drop the ticks of 2026-12-01") &&
          report.refused[0].reason.includes("the database now holds 3 rows"),
        report.refused[0].reason,
      );
      assertEquals(await partitions(db.sql), ["ticks_p20261201"]);
      const [left] = await db.sql`SELECT count(*)::int AS n FROM ticks WHERE ts < '2026-12-01'`;
      assertEquals(left.n, 0);
      assertOk((await readArchivedDays(db.sql, "ticks")).get("2026-11-30")!.droppedAt !== null);

      // A day never archived is refused too, and a missing archive file stops the drop.
      await db.sql`SELECT ensure_tick_partitions('2026-11-20T00:00:00Z', 1)`;
      await db.sql`INSERT INTO ticks (market_ticker, ts) VALUES ('OLD', '2026-11-20T01:00:00Z')`;
      const again = await applyRetention(
        { sql: db.sql, archiveDir: dir, now: () => LATER },
        { keepDays: 3 },
      );
      assertEquals(again.dropped, []);
      assertEquals(again.refused.map((r) => r.day), ["2026-11-20", "2026-12-01"]);
      assertOk(again.refused[0].reason.includes("never archived"), again.refused[0].reason);
    });
  });
});

Deno.test("the writer role drops a verified partition only through the SECURITY DEFINER routine", async () => {
  await withTestDatabase(async (db) => {
    await seedDaily(db.sql);
    await withTestArchive(async ({ dir, duck }) => {
      await runExport(
        { sql: db.sql, duck, now: () => new Date(), runId: "r2" },
        { archiveDir: dir, tables: [archiveTable("ticks")], range: {}, recheckDays: 7 },
      );
    });
    const denied = await assertRejects(
      () =>
        db.sql.begin(async (tx) => {
          await tx`SET LOCAL ROLE kalshi_writer`;
          await tx`DROP TABLE ticks_p20261130`;
        }),
      Error,
    );
    assertOk(denied.message.includes("must be owner"), denied.message);
    const [row] = await db.sql.begin(async (tx) => {
      await tx`SET LOCAL ROLE kalshi_writer`;
      return await tx`SELECT drop_archived_tick_partition('2026-11-30')::int AS rows`;
    });
    assertEquals(row.rows, 1);
    const refused = await assertRejects(
      () => db.sql`SELECT drop_archived_tick_partition('2026-11-29')`,
      Error,
    );
    assertOk(
      refused.message.includes("refusing to drop the ticks of 2026-11-29: the day was never"),
      refused.message,
    );
  });
});
