import { withTestDatabase } from "../db/testing/database.ts";
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import { runExport } from "./export.ts";
import { QueryRefusedError, runQuery } from "./query.ts";
import { ARCHIVE_TABLES } from "./schema.ts";
import { withTestArchive } from "./testing/archive.ts";
import { seedCatalog, seedDaily } from "./testing/seed.ts";
import { createArchiveViews } from "./views.ts";

Deno.test("query: tables are views by name, printed as a table, CSV or JSON, bounded", async () => {
  await withTestDatabase(async (db) => {
    await seedCatalog(db.sql);
    await seedDaily(db.sql);
    await withTestArchive(async ({ dir, duck }) => {
      await runExport(
        { sql: db.sql, duck, now: () => new Date("2026-12-02T06:00:00Z"), runId: "q" },
        { archiveDir: dir, tables: ARCHIVE_TABLES, range: {}, recheckDays: 7 },
      );
      await createArchiveViews(duck, dir, ARCHIVE_TABLES);
      const sql = "SELECT date, count(*) AS trades, sum(count) AS contracts FROM trades " +
        "GROUP BY date ORDER BY date";
      const json = await runQuery(duck, sql, { format: "json", maxRows: 100 });
      assertEquals(JSON.parse(json.text), [
        { date: "2026-11-30", trades: "1", contracts: "10.00" },
        { date: "2026-12-01", trades: "1", contracts: "0.01" },
      ]);
      const csv = await runQuery(duck, "SELECT title FROM series ORDER BY ticker", {
        format: "csv",
        maxRows: 100,
      });
      assertEquals(csv.text, 'title\n"Title, with ""quotes"""\n');
      const table = await runQuery(duck, "SELECT ticker, yes_bid FROM markets ORDER BY 1", {
        format: "table",
        maxRows: 1,
      });
      assertEquals(table.truncated, true);
      assertEquals(table.text.split("\n"), [
        "ticker         | yes_bid",
        "---------------+--------",
        "KXS-26DEC01-T1 | 0.0001",
      ]);
    });
  });
});

Deno.test("query: only one read-only statement runs, and DuckDB reads nothing outside the archive", async () => {
  await withTestArchive(async ({ dir, duck }) => {
    await createArchiveViews(duck, dir, ARCHIVE_TABLES);
    // An empty archive still has every view, with its columns.
    const empty = await runQuery(duck, "SELECT count(*) AS n FROM ticks", {
      format: "json",
      maxRows: 5,
    });
    assertEquals(JSON.parse(empty.text), [{ n: "0" }]);
    for (
      const statement of [
        `COPY (SELECT 1) TO '${dir}/x.csv'`,
        "ATTACH ':memory:' AS other",
        "SET enable_external_access = true",
        "INSTALL httpfs",
        "CREATE TABLE t AS SELECT 1",
        "SELECT 1; SELECT 2",
      ]
    ) {
      await assertRejects(
        () => runQuery(duck, statement, { format: "csv", maxRows: 5 }),
        QueryRefusedError,
      );
    }
    const outside = await assertRejects(
      () =>
        runQuery(duck, "SELECT * FROM read_csv('/etc/hostname')", { format: "csv", maxRows: 5 }),
      Error,
    );
    assertOk(outside.message.includes("Permission Error"), outside.message);
  });
});
