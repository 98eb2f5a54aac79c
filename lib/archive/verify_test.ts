import { join } from "node:path";
import { withTestDatabase } from "../db/testing/database.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { duckString } from "./checksum.ts";
import { runExport } from "./export.ts";
import { PART_NAME } from "./layout.ts";
import { ARCHIVE_TABLES, archiveTable } from "./schema.ts";
import { readArchivedDays } from "./store.ts";
import { withTestArchive } from "./testing/archive.ts";
import { archiveRows, databaseRows } from "./testing/compare.ts";
import { seedCatalog, seedDaily } from "./testing/seed.ts";
import { verifyArchive } from "./verify.ts";

const NOW = new Date("2026-12-02T06:00:00Z");
const DAILY = ARCHIVE_TABLES.filter((t) => t.kind === "daily");

Deno.test("--verify catches a row deleted from a Parquet file and a row added to the database", async () => {
  await withTestDatabase(async (db) => {
    await seedCatalog(db.sql);
    await seedDaily(db.sql);
    await withTestArchive(async ({ dir, duck }) => {
      const deps = { sql: db.sql, duck, now: () => NOW, runId: "v1" };
      const options = { archiveDir: dir, tables: ARCHIVE_TABLES, range: {}, recheckDays: 7 };
      await runExport(deps, options);
      const clean = await verifyArchive(deps, options);
      assertEquals(clean.differences, []);
      assertEquals(clean.checked, 11);

      // Tamper with the archive: the ticks file of 2026-12-01 loses one row.
      const part = join(dir, "ticks", "date=2026-12-01", PART_NAME);
      const copy = join(dir, "ticks", "date=2026-12-01", "rewritten.tmp");
      await duck.run(
        `COPY (SELECT * FROM read_parquet(${duckString(part)}) WHERE extra IS NULL OR ` +
          `extra::VARCHAR <> '{}') TO ${duckString(copy)} (FORMAT parquet)`,
      );
      await Deno.rename(copy, part);
      // A late trade lands in the database after the export.
      await db.sql`
        INSERT INTO trades (trade_id, market_ticker, created_time, yes_price, no_price, count,
                            source, raw)
        VALUES ('late', 'KXS-26DEC01-T1', '2026-11-30T12:00:00Z', 0.4, 0.6, 2, 'rest', '{}')`;

      const found = await verifyArchive(deps, { ...options, tables: DAILY });
      const byKey = Object.fromEntries(
        found.differences.map((d) => [`${d.table} ${d.day}`, d.message]),
      );
      assertEquals(Object.keys(byKey).sort(), ["ticks 2026-12-01", "trades 2026-11-30"]);
      assertOk(
        byKey["ticks 2026-12-01"].includes("the Parquet file holds 1 rows"),
        byKey["ticks 2026-12-01"],
      );
      assertOk(
        byKey["trades 2026-11-30"].includes("the database holds 2 rows"),
        byKey["trades 2026-11-30"],
      );
      assertOk(
        byKey["trades 2026-11-30"].includes("deno task export --from 2026-11-30 --to 2026-11-30"),
      );
      const records = await readArchivedDays(db.sql, "ticks");
      assertOk(records.get("2026-12-01")!.verifyError !== null, "the failed check is recorded");

      // The next export rewrites both days (the late trade is a changed day; the damaged file no
      // longer has the recorded size), and everything verifies again.
      const rerun = await runExport({ ...deps, runId: "v2" }, options);
      assertEquals(
        rerun.written.map((w) => `${w.table} ${w.day}`).sort(),
        ["ticks 2026-12-01", "trades 2026-11-30"],
      );
      assertEquals((await verifyArchive(deps, options)).differences, []);
      const trades = archiveTable("trades");
      assertEquals(await archiveRows(duck, dir, trades), await databaseRows(db.sql, trades));
    });
  });
});

Deno.test("a day whose rows were all deleted loses its archive on the next export", async () => {
  await withTestDatabase(async (db) => {
    await seedDaily(db.sql);
    await withTestArchive(async ({ dir, duck }) => {
      const deps = { sql: db.sql, duck, now: () => NOW, runId: "e1" };
      const options = { archiveDir: dir, tables: DAILY, range: {}, recheckDays: 7 };
      await runExport(deps, options);
      await db.sql`DELETE FROM candles WHERE end_period_ts >= '2026-12-01'`;
      const rerun = await runExport({ ...deps, runId: "e2" }, options);
      assertEquals(rerun.written.map((w) => [w.table, w.day, w.outcome]), [
        ["candles", "2026-12-01", "empty"],
      ]);
      assertEquals([...(await readArchivedDays(db.sql, "candles")).keys()], ["2026-11-30"]);
      assertEquals((await verifyArchive(deps, options)).differences, []);
    });
  });
});
