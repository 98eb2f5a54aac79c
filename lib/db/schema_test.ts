/** Properties of migrations/ as applied to a real database: types, roles, partitions, queue. */
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import postgres from "postgres";
import { ensureTickPartitions } from "./partitions.ts";
import type { Queryable, Sql } from "./pool.ts";
import { createTestDatabase, withTestDatabase } from "./testing/database.ts";

/** Runs `fn` in a transaction acting as `role`; the transaction is always rolled back. */
async function asRole(
  sql: Sql,
  role: string,
  fn: (tx: Queryable) => Promise<unknown>,
): Promise<void> {
  const rollback = new Error("rollback");
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL ROLE ${role}`);
      await fn(tx);
      throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
}

function isPermissionDenied(error: unknown): boolean {
  return error instanceof postgres.PostgresError && error.code === "42501";
}

Deno.test("no column anywhere is real or double precision", async () => {
  await withTestDatabase(async ({ sql }) => {
    const floats = await sql`
      SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('real', 'double precision')`;
    assertEquals(floats.length, 0, JSON.stringify(floats));
  });
});

Deno.test("numeric prices and counts round-trip exactly as decimal strings", async () => {
  await withTestDatabase(async ({ sql }) => {
    await sql`
      INSERT INTO trades (trade_id, market_ticker, created_time, yes_price, no_price, count,
                          source, raw)
      VALUES ('t1', 'M', '2026-01-01T00:00:00Z', ${"0.5600"}, ${"0.4400"}, ${"12345678901.37"},
              'ws', ${sql.json({ trade_id: "t1" })})`;
    const [row] = await sql`SELECT yes_price, no_price, count, created_time FROM trades`;
    assertEquals(row.yes_price, "0.5600");
    assertEquals(row.no_price, "0.4400");
    assertEquals(row.count, "12345678901.37");
    assertOk(row.created_time instanceof Date);
  });
});

Deno.test("the portal role can read but cannot insert, update or delete", async () => {
  await withTestDatabase(async ({ sql }) => {
    await sql`INSERT INTO series (ticker, raw) VALUES ('S', '{}')`;
    await asRole(sql, "kalshi_reader", async (tx) => {
      const rows = await tx`SELECT ticker FROM series`;
      assertEquals(rows.length, 1);
    });
    const attempts: [string, (tx: Queryable) => Promise<unknown>][] = [
      ["insert", (tx) => tx`INSERT INTO series (ticker, raw) VALUES ('X', '{}')`],
      ["update", (tx) => tx`UPDATE series SET title = 'x'`],
      ["delete", (tx) => tx`DELETE FROM series`],
      ["insert tick", (tx) => tx`INSERT INTO ticks (market_ticker, ts) VALUES ('M', now())`],
      ["truncate", (tx) => tx`TRUNCATE markets`],
      ["create partitions", (tx) => tx`SELECT ensure_tick_partitions(now(), 1)`],
      ["create table", (tx) => tx`CREATE TABLE sneaky (id int)`],
    ];
    for (const [what, attempt] of attempts) {
      let denied = false;
      await asRole(sql, "kalshi_reader", (tx) =>
        attempt(tx).catch((error) => {
          denied = isPermissionDenied(error);
          if (!denied) throw error;
        }));
      assertOk(denied, `kalshi_reader could ${what}`);
    }
  });
});

Deno.test("the services role can write every table and create tick partitions", async () => {
  await withTestDatabase(async ({ sql }) => {
    await asRole(sql, "kalshi_writer", async (tx) => {
      await tx`INSERT INTO series (ticker, raw) VALUES ('S', '{}')`;
      await tx`UPDATE series SET title = 'Fed'`;
      await tx`INSERT INTO backfill_jobs (kind, job_key) VALUES ('candles', 'k1')`;
      await tx`INSERT INTO dead_letters (source, error, payload) VALUES ('ws', 'bad', '{')`;
      await tx`SELECT ensure_tick_partitions('2031-03-01T00:00:00Z', 2)`;
      await tx`INSERT INTO ticks (market_ticker, ts, price) VALUES ('M', '2031-03-01T10:00:00Z', 0.5)`;
      const [{ n }] = await tx`SELECT count(*)::int AS n FROM ticks_p20310301`;
      assertEquals(n, 1, "the writer may read the partition the routine created");
      await tx`DELETE FROM series`;
    });
  });
});

Deno.test("roles are created idempotently by databases migrating in parallel", async () => {
  const dbs = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
  try {
    for (const db of dbs) {
      const [{ n }] = await db.sql`
        SELECT count(*)::int AS n FROM pg_roles WHERE rolname IN ('kalshi_writer', 'kalshi_reader')`;
      assertEquals(n, 2);
    }
  } finally {
    await Promise.all(dbs.map((db) => db.drop()));
  }
});

Deno.test("a far-future tick lands in DEFAULT and moves into the partition created later", async () => {
  await withTestDatabase(async ({ sql }) => {
    await sql`
      INSERT INTO ticks (market_ticker, ts, price, volume)
      VALUES ('FAR', '2040-06-15T12:34:56.789Z', ${"0.5600"}, ${"10.00"}),
             ('EDGE', '2040-06-15T23:59:59.999Z', ${"0.0100"}, ${"1.00"}),
             ('NEXT', '2040-06-16T00:00:00Z', ${"0.9900"}, ${"2.00"})`;
    const where = () =>
      sql<{ market_ticker: string; part: string }[]>`
        SELECT market_ticker, tableoid::regclass::text AS part FROM ticks ORDER BY ts`.then((r) =>
        r.map((x) => [x.market_ticker, x.part])
      );
    assertEquals(await where(), [
      ["FAR", "ticks_default"],
      ["EDGE", "ticks_default"],
      ["NEXT", "ticks_default"],
    ]);
    const created = await ensureTickPartitions(sql, {
      from: new Date("2040-06-15T20:00:00Z"),
      days: 1,
    });
    assertEquals(created, 1);
    assertEquals(await where(), [
      ["FAR", "ticks_p20400615"],
      ["EDGE", "ticks_p20400615"],
      ["NEXT", "ticks_default"],
    ]);
    const [far] = await sql`SELECT price, volume, ts FROM ticks WHERE market_ticker = 'FAR'`;
    assertEquals([far.price, far.volume, far.ts.toISOString()], [
      "0.5600",
      "10.00",
      "2040-06-15T12:34:56.789Z",
    ]);
    assertEquals(await ensureTickPartitions(sql, { from: new Date("2040-06-15Z"), days: 1 }), 0);
    // New inserts for that day now go straight to the partition.
    await sql`INSERT INTO ticks (market_ticker, ts) VALUES ('LATER', '2040-06-15T01:00:00Z')`;
    const [later] = await sql`
      SELECT tableoid::regclass::text AS part FROM ticks WHERE market_ticker = 'LATER'`;
    assertEquals(later.part, "ticks_p20400615");
  });
});

Deno.test("concurrent partition routines create each day exactly once", async () => {
  await withTestDatabase(async ({ sql }) => {
    const from = new Date("2035-01-01T00:00:00Z");
    const counts = await Promise.all([
      ensureTickPartitions(sql, { from, days: 5 }),
      ensureTickPartitions(sql, { from, days: 5 }),
      ensureTickPartitions(sql, { from, days: 5 }),
    ]);
    assertEquals(counts.reduce((a, b) => a + b, 0), 5);
    await assertRejects(() => ensureTickPartitions(sql, { from, days: 0 }), postgres.PostgresError);
  });
});

Deno.test("the claim query of backfill_jobs can use its partial indexes", async () => {
  await withTestDatabase(async ({ sql }) => {
    await sql.begin(async (tx) => {
      await tx`SET LOCAL enable_seqscan = off`;
      const plan = (rows: { "QUERY PLAN": string }[]) =>
        rows.map((r) => r["QUERY PLAN"]).join("\n");
      const pending = plan(
        await tx`EXPLAIN SELECT id FROM backfill_jobs WHERE state = 'pending' AND run_after <= now()
                 ORDER BY priority DESC, run_after, id LIMIT 10 FOR UPDATE SKIP LOCKED`,
      );
      assertOk(pending.includes("backfill_jobs_claim_pending_idx"), pending);
      const expired = plan(
        await tx`EXPLAIN SELECT id FROM backfill_jobs
                 WHERE state = 'running' AND lease_expires_at < now()
                 ORDER BY lease_expires_at, id LIMIT 10 FOR UPDATE SKIP LOCKED`,
      );
      assertOk(expired.includes("backfill_jobs_claim_expired_idx"), expired);
    });
  });
});

Deno.test("a replayed batch id is refused by ingested_batches", async () => {
  await withTestDatabase(async ({ sql }) => {
    await sql`INSERT INTO ingested_batches (batch_id, source, row_count) VALUES ('b1', 'ws:ticker', 3)`;
    const again = await sql`
      INSERT INTO ingested_batches (batch_id, source, row_count) VALUES ('b1', 'ws:ticker', 3)
      ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id`;
    assertEquals(again.length, 0);
  });
});
