/**
 * The Parquet archive (issue 17), three figures beside same-run baselines:
 *   1. export rows/s of a month of ticks (plan, COPY out, DuckDB zstd Parquet, checksums in both
 *      engines, publish) beside PostgreSQL's own `COPY (SELECT …) TO STDOUT` of the same rows
 *      drained to nowhere (goal ≥ 0.5×);
 *   2. bytes per tick in Parquet beside PostgreSQL's table + indexes (goal ≤ 0.2×);
 *   3. one aggregate (per market and day: ticks, mean and max price) over that month in DuckDB
 *      on the archive beside the same query in PostgreSQL.
 * Ticks are synthetic but shaped like captured ones: 400 markets, cent prices moving slowly,
 * cumulative volume. Reports numbers; never fails on a time.
 */
import { join } from "node:path";
import { createArchiveViews, openDuckDb, runExport } from "@kalshi-data/lib/archive/duckdb";
import { ARCHIVE_TABLES, archiveTable } from "@kalshi-data/lib/archive";
import type { Sql } from "@kalshi-data/lib/db";
import { withTestDatabase } from "../lib/db/testing/database.ts";
import type { BenchRow } from "./harness.ts";

const DAYS = 30;
const START = "2026-10-01T00:00:00Z";

async function seedTicks(sql: Sql, perDay: number): Promise<number> {
  await sql`SELECT ensure_tick_partitions(${START}::timestamptz, ${DAYS})`;
  const total = perDay * DAYS;
  const stepMs = 86_400_000 / perDay;
  for (let from = 0; from < total; from += 500_000) {
    const to = Math.min(total, from + 500_000) - 1;
    await sql`
      INSERT INTO ticks (market_ticker, ts, price, yes_bid, yes_ask, volume, open_interest,
                         yes_bid_size, yes_ask_size, dollar_volume, received_at, batch_id)
      SELECT 'KXBENCH-26OCT-T' || (i % 400),
             ${START}::timestamptz + i * ${stepMs} * interval '1 millisecond',
             p, p - 0.01, p + 0.01, (i / 400) * 3, 1000 + (i / 400) % 97,
             100 + i % 50, 80 + i % 40, (i / 400) * 2,
             ${START}::timestamptz + (i * ${stepMs} + 40) * interval '1 millisecond',
             md5((i / 2000)::text) || ':' || (i % 2000)
      FROM generate_series(${from}::bigint, ${to}::bigint) AS i,
           LATERAL (SELECT round((0.5 + 0.45 * sin((i / 400) / 50.0 + i % 400))::numeric, 2) AS p) AS q`;
  }
  await sql`VACUUM ANALYZE ticks`;
  return total;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

async function copyOut(sql: Sql): Promise<number> {
  const cols = archiveTable("ticks").columns.map((c) => c.name).join(", ");
  const readable = await sql.unsafe(`COPY (SELECT ${cols} FROM ticks) TO STDOUT (FORMAT csv)`)
    .readable();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    readable.on("data", (chunk: Uint8Array) => void (bytes += chunk.length));
    readable.on("end", () => resolve());
    readable.on("error", reject);
  });
  return bytes;
}

async function archiveBytes(dir: string): Promise<number> {
  let bytes = 0;
  for await (const day of Deno.readDir(dir)) {
    const part = join(dir, day.name, "part-00000.parquet");
    bytes += (await Deno.stat(part).catch(() => ({ size: 0 }))).size;
  }
  return bytes;
}

const PG_AGGREGATE = `
  SELECT market_ticker, (ts AT TIME ZONE 'UTC')::date AS day, count(*) AS ticks,
         avg(price) AS mean_price, max(price) AS max_price
  FROM ticks GROUP BY 1, 2`;
const DUCK_AGGREGATE = `
  SELECT market_ticker, date AS day, count(*) AS ticks, avg(price) AS mean_price,
         max(price) AS max_price
  FROM ticks GROUP BY ALL`;

/** The archive benchmark. */
export default async function archiveBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  return await withTestDatabase(async (db) => {
    const rows = await seedTicks(db.sql, quick ? 10_000 : 100_000);
    const dir = await Deno.makeTempDir({ prefix: "archive_bench_" });
    const duck = await openDuckDb({ archiveDir: dir, memoryMb: 1024, threads: 2 });
    try {
      const copy = await timed(() => copyOut(db.sql));
      const exported = await timed(() =>
        runExport(
          { sql: db.sql, duck, now: () => new Date(), runId: "bench" },
          { archiveDir: dir, tables: [archiveTable("ticks")], range: {}, recheckDays: 0 },
        )
      );
      const [size] = await db.sql<{ bytes: string }[]>`
        SELECT sum(pg_total_relation_size(i.inhrelid))::text AS bytes
        FROM pg_inherits i WHERE i.inhparent = 'ticks'::regclass`;
      const parquet = await archiveBytes(join(dir, "ticks"));
      await createArchiveViews(duck, dir, ARCHIVE_TABLES);
      const pgAgg = await timed(() => db.sql.unsafe(PG_AGGREGATE));
      const duckAgg = await timed(() => duck.rows(DUCK_AGGREGATE));
      if (pgAgg.value.length !== duckAgg.value.length) {
        throw new Error(`aggregates differ: ${pgAgg.value.length} vs ${duckAgg.value.length} rows`);
      }
      return [
        {
          name: `export of ${rows} ticks (${DAYS} days), verified`,
          unit: "rows/s",
          value: rows / (exported.ms / 1000),
          baselineName: "PostgreSQL COPY TO STDOUT of the same rows",
          baseline: rows / (copy.ms / 1000),
        },
        {
          name: "bytes per tick, Parquet zstd",
          unit: "bytes",
          value: parquet / rows,
          baselineName: "PostgreSQL table + indexes",
          baseline: Number(size.bytes) / rows,
        },
        {
          name: "aggregate per market and day over the month, DuckDB on Parquet",
          unit: "ms",
          value: duckAgg.ms,
          baselineName: "same query in PostgreSQL",
          baseline: pgAgg.ms,
        },
      ];
    } finally {
      duck.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
