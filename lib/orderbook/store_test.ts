/** The order-book writer against real PostgreSQL: exactly once, partitions, roles, size on disk. */
import postgres from "postgres";
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import { withTestDatabase } from "../db/testing/database.ts";
import type { Queryable, Sql } from "../db/mod.ts";
import {
  ensureOrderbookPartitions,
  insertOrderbookRows,
  type OrderbookDeltaRow,
  OrderbookRowError,
  writeOrderbookBatch,
} from "./mod.ts";
import { seededRandom } from "./testing/stream.ts";

const T = Date.parse("2031-03-01T10:00:00Z"); // beyond the partitions the migration made

const deltaAt = (tsMs: number, order: number): OrderbookDeltaRow => ({
  marketTicker: "M1",
  tsMs,
  order,
  side: "no",
  price: 4200,
  delta: 1200,
});

const batch = (id: string) => ({
  id,
  snapshots: [{
    marketTicker: "M1",
    tsMs: T,
    order: 1,
    kind: "subscribe" as const,
    yes: [[4100, 100], [3900, 5]] as [number, number][],
    no: [],
  }],
  deltas: [deltaAt(T + 1, 2), deltaAt(T + 86_400_000, 3)],
});

async function counts(sql: Sql) {
  const [row] = await sql`
    SELECT (SELECT count(*)::int FROM orderbook_snapshots) AS snapshots,
           (SELECT count(*)::int FROM orderbook_deltas) AS deltas,
           (SELECT count(*)::int FROM orderbook_markets) AS markets`;
  return row;
}

Deno.test("the same batch written twice stores its rows once", async () => {
  await withTestDatabase(async ({ sql }) => {
    assertEquals(await writeOrderbookBatch(sql, batch("b1")), "written");
    assertEquals(await writeOrderbookBatch(sql, batch("b1")), "duplicate");
    assertEquals({ ...await counts(sql) }, { snapshots: 1, deltas: 2, markets: 1 });
    assertEquals(await writeOrderbookBatch(sql, batch("b2")), "written");
    assertEquals({ ...await counts(sql) }, { snapshots: 2, deltas: 4, markets: 1 });
    const [{ max_id }] = await sql`SELECT max(id)::int AS max_id FROM orderbook_markets`;
    assertEquals(max_id, 1, "a known ticker spends no identity value");
    const [s] = await sql`SELECT yes_price, yes_size FROM orderbook_snapshots LIMIT 1`;
    assertEquals([s.yes_price, s.yes_size], [[3900, 4100], ["5", "100"]], "levels ascending");
  });
});

Deno.test("the writer creates the partitions of the days its rows fall in", async () => {
  await withTestDatabase(async ({ sql }) => {
    await writeOrderbookBatch(sql, batch("b1"));
    const parts = await sql<{ part: string }[]>`
      SELECT DISTINCT tableoid::regclass::text AS part FROM orderbook_deltas
      UNION SELECT DISTINCT tableoid::regclass::text FROM orderbook_snapshots ORDER BY 1`;
    assertEquals(parts.map((p) => p.part), [
      "orderbook_deltas_p20310301",
      "orderbook_deltas_p20310302",
      "orderbook_snapshots_p20310301",
    ]);
  });
});

Deno.test("rows left in DEFAULT move into the partition created later", async () => {
  await withTestDatabase(async ({ sql }) => {
    await sql`INSERT INTO orderbook_markets (market_ticker) VALUES ('M1')`;
    await sql`INSERT INTO orderbook_deltas (ts, market_id, ord, delta, price, side)
              VALUES ('2032-01-05T01:00:00Z', 1, 1, 5, 100, 'y')`;
    const where = () => sql`SELECT tableoid::regclass::text AS part FROM orderbook_deltas`;
    assertEquals((await where())[0].part, "orderbook_deltas_default");
    assertEquals(
      await ensureOrderbookPartitions(sql, { from: new Date("2032-01-05"), days: 2 }),
      4,
    );
    assertEquals((await where())[0].part, "orderbook_deltas_p20320105");
    assertEquals(
      await ensureOrderbookPartitions(sql, { from: new Date("2032-01-05"), days: 2 }),
      0,
    );
  });
});

Deno.test("a row the tables cannot hold is refused before anything is written", async () => {
  await withTestDatabase(async ({ sql }) => {
    const bad = { ...batch("bad"), deltas: [{ ...deltaAt(T, 2), delta: 0 }] };
    const error = await assertRejects(() => writeOrderbookBatch(sql, bad), OrderbookRowError);
    assertOk(error.message.includes("delta 0"), error.message);
    assertEquals(error.code, "22003", "the capture writer's salvage sees a data error");
    const huge = { ...batch("huge"), deltas: [{ ...deltaAt(T, 2), delta: 2 ** 31 }] };
    await assertRejects(() => writeOrderbookBatch(sql, huge), OrderbookRowError);
    assertEquals({ ...await counts(sql) }, { snapshots: 0, deltas: 0, markets: 0 });
  });
});

/** Runs `fn` in a transaction acting as `role`, rolled back; resolves with what `fn` threw. */
async function asRole(sql: Sql, role: string, fn: (tx: Queryable) => Promise<unknown>) {
  const rollback = new Error("rollback");
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL ROLE ${role}`);
      await fn(tx);
      throw rollback;
    });
  } catch (error) {
    return error === rollback ? null : error;
  }
}

const denied = (error: unknown) =>
  error instanceof postgres.PostgresError && error.code === "42501";

Deno.test("the services role writes order books; the portal role reads them and nothing more", async () => {
  await withTestDatabase(async ({ sql }) => {
    assertEquals(
      await asRole(sql, "kalshi_writer", (tx) => insertOrderbookRows(tx, batch("w"))),
      null,
    );
    await writeOrderbookBatch(sql, batch("b1"));
    const read = await asRole(sql, "kalshi_reader", async (tx) => {
      const rows = await tx`SELECT * FROM orderbook_at('M1', ${new Date(T + 1)})`;
      assertEquals(rows.length, 3);
    });
    assertEquals(read, null);
    const attempts = [
      (tx: Queryable) => tx`SELECT ensure_orderbook_partitions(now(), 1)`,
      (tx: Queryable) => tx`DELETE FROM orderbook_deltas`,
      (tx: Queryable) => tx`INSERT INTO orderbook_markets (market_ticker) VALUES ('X')`,
    ];
    for (const attempt of attempts) {
      assertOk(denied(await asRole(sql, "kalshi_reader", attempt)), attempt.toString());
    }
  });
});

Deno.test("a stored delta takes at most 64 bytes on disk, indexes included", async () => {
  await withTestDatabase(async ({ sql }) => {
    const random = seededRandom(3);
    const day = Date.parse("2031-06-01T00:00:00Z");
    const total = 120_000;
    for (let i = 0; i < total; i += 6000) {
      const deltas = Array.from({ length: 6000 }, (_, k): OrderbookDeltaRow => ({
        marketTicker: `MKT-${Math.floor(random() * 200)}`,
        tsMs: day + Math.floor((i + k) * 0.5),
        order: i + k,
        side: random() < 0.5 ? "yes" : "no",
        price: 1 + Math.floor(random() * 9999),
        delta: Math.floor(random() * 40_000) - 20_000 || 1,
      }));
      await writeOrderbookBatch(sql, { id: `d${i}`, snapshots: [], deltas });
    }
    await sql`VACUUM ANALYZE orderbook_deltas_p20310601`;
    const [{ bytes }] = await sql`
      SELECT pg_total_relation_size('orderbook_deltas_p20310601')::int AS bytes`;
    const perDelta = bytes / total;
    console.log(`order-book deltas: ${perDelta.toFixed(1)} bytes per delta on disk`);
    assertOk(perDelta <= 64, `${perDelta} bytes per delta`);
  });
});
