/**
 * Order books in the archive, against real PostgreSQL and DuckDB: a seeded stream crossing
 * midnight (plus a row left in the DEFAULT partition) is exported; every row read back equals
 * the database's; the database routines retention uses compute the export's fingerprints; the
 * book rebuilt by docs/archive.md's DuckDB query equals `bookAt` at many instants; retention
 * drops only verified order-book days.
 */
import { join } from "node:path";
import { withTestDatabase } from "../db/testing/database.ts";
import type { Sql } from "../db/mod.ts";
import { bookAt, orderbookJson, writeOrderbookBatch } from "../orderbook/mod.ts";
import { bookStream, seededRandom, type StreamRow } from "../orderbook/testing/stream.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { dayEnd, dayStart } from "./days.ts";
import type { DuckDb } from "./duckdb.ts";
import { runExport } from "./export.ts";
import { PART_NAME } from "./layout.ts";
import { parquetFingerprint } from "./parquet.ts";
import { applyRetention } from "./retention.ts";
import { ARCHIVE_TABLES, archiveTable } from "./schema.ts";
import { daysWithRows, readFingerprint } from "./source.ts";
import { withTestArchive } from "./testing/archive.ts";
import { archiveRows, databaseRows } from "./testing/compare.ts";
import { createArchiveViews } from "./views.ts";

const START = Date.parse("2026-11-30T23:45:00Z");
const DAYS = ["2026-11-30", "2026-12-01"];
/** A delta written before its day had a partition: it waits in orderbook_deltas_default. */
const STRAY_DAY = "2026-11-20";
const TABLES = [archiveTable("orderbook_snapshots"), archiveTable("orderbook_deltas")];
const DOC = await Deno.readTextFile(new URL("../../docs/archive.md", import.meta.url));

async function seed(sql: Sql): Promise<StreamRow[]> {
  const stream = bookStream({
    seed: 7,
    tickers: ["OB-X", "OB-Y", "OB|Z"],
    messages: 2500,
    startMs: START,
  });
  for (let i = 0; i < stream.length; i += 300) {
    const part = stream.slice(i, i + 300);
    await writeOrderbookBatch(sql, {
      id: `archive-${i}`,
      snapshots: part.flatMap((r) => (r.kind === "snapshot" ? [r.row] : [])),
      deltas: part.flatMap((r) => (r.kind === "delta" ? [r.row] : [])),
    });
  }
  await sql`
    INSERT INTO orderbook_deltas (ts, market_id, ord, delta, price, side)
    SELECT ${`${STRAY_DAY}T10:00:00.123456Z`}, id, 1, -1, 10000, 'n' FROM orderbook_markets
    WHERE market_ticker = 'OB-X'`;
  return stream;
}

/** docs/archive.md's rebuild query, for `ticker` at `at`. */
function rebuildQuery(ticker: string, at: Date): string {
  const block = DOC.split("<!-- orderbook-rebuild duckdb -->")[1];
  const query = /```sql\n([\s\S]*?)```/.exec(block)![1];
  const params = /SELECT '[^']*' AS ticker, TIMESTAMPTZ '[^']*' AS at/;
  assertOk(params.test(query), "the documented query sets its ticker and instant in params");
  const literal = `TIMESTAMPTZ '${at.toISOString()}'`;
  return query.replace(
    params,
    `SELECT '${ticker.replaceAll("'", "''")}' AS ticker, ${literal} AS at`,
  );
}

async function archiveBook(duck: DuckDb, ticker: string, at: Date) {
  const rows = await duck.rows(rebuildQuery(ticker, at));
  const side = (s: string) =>
    rows.filter((r) => r.side === s).map((r) => [String(r.price), String(r.size)]);
  return { orderbook_fp: { yes_dollars: side("yes"), no_dollars: side("no") } };
}

async function databaseBook(sql: Sql, ticker: string, at: Date) {
  const result = await bookAt(sql, ticker, at);
  if (result.status !== "ok") return { orderbook_fp: { yes_dollars: [], no_dollars: [] } };
  assertEquals(result.refused, []);
  return orderbookJson(result.book);
}

Deno.test("order books export exactly, their days come from partitions, and the documented DuckDB rebuild equals bookAt", async () => {
  await withTestDatabase(async (db) => {
    const stream = await seed(db.sql);
    for (const table of TABLES) {
      const expected = table.name === "orderbook_deltas" ? [STRAY_DAY, ...DAYS] : DAYS;
      assertEquals(await daysWithRows(db.sql, table), expected, table.name);
    }
    await withTestArchive(async ({ dir, duck }) => {
      const now = () => new Date("2026-12-02T06:00:00Z");
      const report = await runExport(
        { sql: db.sql, duck, now, runId: "ob" },
        { archiveDir: dir, tables: TABLES, range: {}, recheckDays: 7 },
      );
      assertEquals(report.written.length, 5);
      for (const table of TABLES) {
        const archived = await archiveRows(duck, dir, table);
        assertEquals(archived, await databaseRows(db.sql, table), `${table.name} differs`);
        assertOk(archived.length > 100, `${table.name}: ${archived.length} rows`);
        for (const day of await daysWithRows(db.sql, table)) {
          const fp = await readFingerprint(db.sql, table, day, dayStart(day), dayEnd(day));
          const [routine] = await db.sql.unsafe(
            `SELECT row_count::text AS rows, checksum::text AS checksum
             FROM archive_${table.name}_fingerprint($1, $2)`,
            [dayStart(day), dayEnd(day)],
          );
          assertEquals({ rows: routine.rows, checksum: routine.checksum }, fp, table.name);
          const file = join(dir, table.name, `date=${day}`, PART_NAME);
          assertEquals(await parquetFingerprint(duck, table, [file]), fp);
        }
      }
      await createArchiveViews(duck, dir, ARCHIVE_TABLES);
      const random = seededRandom(11);
      const last = stream[stream.length - 1].row.tsMs;
      for (let i = 0; i < 60; i++) {
        const pick = stream[Math.floor(random() * stream.length)].row;
        const ticker = ["OB-X", "OB-Y", "OB|Z"][i % 3];
        const atMs =
          [pick.tsMs, pick.tsMs - 1, START - 1000 + Math.floor(random() * (last - START))][i % 3];
        const at = new Date(atMs);
        assertEquals(
          await archiveBook(duck, ticker, at),
          await databaseBook(db.sql, ticker, at),
          `${ticker} at ${at.toISOString()}`,
        );
      }
    });
  });
});

async function partitions(sql: Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent IN ('orderbook_snapshots'::regclass, 'orderbook_deltas'::regclass)
      AND c.relname ~ '_p2026(1130|1201)$'
    ORDER BY 1`;
  return rows.map((r) => r.name);
}

Deno.test("retention drops verified order-book days with both tables and refuses a changed one", async () => {
  await withTestDatabase(async (db) => {
    await seed(db.sql);
    await withTestArchive(async ({ dir, duck }) => {
      await runExport(
        // Verified now (the routine wants a recent check); retention runs "ten days later".
        { sql: db.sql, duck, now: () => new Date(), runId: "r" },
        { archiveDir: dir, tables: TABLES, range: { from: DAYS[0] }, recheckDays: 7 },
      );
      // A delta arrives for 2026-12-01 after its export: that day must be kept.
      await db.sql`
        INSERT INTO orderbook_deltas (ts, market_id, ord, delta, price, side)
        SELECT '2026-12-01T18:00:00Z', id, 1, 5, 100, 'y' FROM orderbook_markets LIMIT 1`;
      const report = await applyRetention(
        { sql: db.sql, archiveDir: dir, now: () => new Date("2026-12-12T06:00:00Z") },
        { keepDays: 3 },
      );
      const books = (xs: { what: string; day: string }[]) =>
        xs.filter((x) => x.what === "order books").map((x) => x.day);
      assertEquals(books(report.dropped), ["2026-11-30"]);
      assertEquals(books(report.refused), [STRAY_DAY, "2026-12-01"]);
      const reasons = report.refused.map((r) => r.reason).join("\n");
      assertOk(
        reasons.includes(`order books of ${STRAY_DAY}: its orderbook_deltas were never archived`),
        reasons,
      );
      assertOk(reasons.includes("order books of 2026-12-01: the database now holds"), reasons);
      assertEquals(await partitions(db.sql), [
        "orderbook_deltas_p20261201",
        "orderbook_snapshots_p20261201",
      ]);
      const [left] = await db.sql`
        SELECT (SELECT count(*) FROM orderbook_deltas WHERE ts >= '2026-11-30' AND ts < '2026-12-01')
             + (SELECT count(*) FROM orderbook_snapshots WHERE ts >= '2026-11-30' AND ts < '2026-12-01')
             AS n`;
      assertEquals(Number(left.n), 0);
    });
  });
});
