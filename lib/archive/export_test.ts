import { join } from "node:path";
import { withTestDatabase } from "../db/testing/database.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { runExport } from "./export.ts";
import { MANIFEST_NAME, PART_NAME } from "./layout.ts";
import { parquetFingerprint } from "./parquet.ts";
import { ARCHIVE_TABLES, archiveTable } from "./schema.ts";
import { readFingerprint } from "./source.ts";
import { readArchivedDays } from "./store.ts";
import { archiveRows, databaseRows } from "./testing/compare.ts";
import { SEED_DAYS, seedCatalog, seedDaily } from "./testing/seed.ts";
import { withTestArchive } from "./testing/archive.ts";
import { dayEnd, dayStart } from "./days.ts";

const NOW = new Date("2026-12-02T06:00:00Z");

Deno.test("export writes every table in the Hive layout and reads back value for value", async () => {
  await withTestDatabase(async (db) => {
    await seedCatalog(db.sql);
    await seedDaily(db.sql);
    await withTestArchive(async ({ dir, duck }) => {
      const report = await runExport(
        { sql: db.sql, duck, now: () => NOW, runId: "t1" },
        { archiveDir: dir, tables: ARCHIVE_TABLES, range: {}, recheckDays: 7 },
      );
      assertEquals(
        report.written.length,
        4 * 2 + 3,
        JSON.stringify(report.planned.map((p) => [p.table.name, p.day])),
      );
      for (const table of ARCHIVE_TABLES) {
        assertEquals(
          await archiveRows(duck, dir, table),
          await databaseRows(db.sql, table),
          `${table.name}: archive and database differ`,
        );
      }
      for (const day of SEED_DAYS) {
        const part = join(dir, "ticks", `date=${day}`, PART_NAME);
        const stat = await Deno.stat(part);
        assertOk(stat.size > 0);
        await Deno.stat(join(dir, "ticks", `date=${day}`, MANIFEST_NAME));
      }
      // The database routine retention uses computes the same fingerprint as the export.
      const ticks = archiveTable("ticks");
      for (const day of SEED_DAYS) {
        const fp = await readFingerprint(db.sql, ticks, day, dayStart(day), dayEnd(day));
        const [routine] = await db.sql`
          SELECT row_count::text AS rows, checksum::text AS checksum
          FROM archive_ticks_fingerprint(${dayStart(day)}, ${dayEnd(day)})`;
        assertEquals({ rows: routine.rows, checksum: routine.checksum }, fp);
        const parquet = await parquetFingerprint(duck, ticks, [
          join(dir, "ticks", `date=${day}`, PART_NAME),
        ]);
        assertEquals(parquet, fp);
      }
      const again = await runExport(
        { sql: db.sql, duck, now: () => NOW, runId: "t2" },
        { archiveDir: dir, tables: ARCHIVE_TABLES, range: {}, recheckDays: 7 },
      );
      assertEquals(again.written.length, 0, "an unchanged archive is not rewritten");
      const records = await readArchivedDays(db.sql, "trades");
      assertEquals([...records.keys()], [...SEED_DAYS]);
    });
  });
});
