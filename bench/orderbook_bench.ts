/**
 * Order books (issue 16), three figures beside same-run baselines:
 *   1. delta ingest rows/s through the capture path (`writeBatch`: batch claim, partitions,
 *      dictionary ids, one `INSERT … SELECT unnest(…)` per batch) beside a raw `COPY` of the same
 *      rows into the same table (goal ≥ 0.6×);
 *   2. the rebuild of a book at a random instant (`bookAt`) with checkpoints every 5 minutes
 *      beside the same rebuild from the day's first snapshot (checkpoints deleted);
 *   3. bytes per stored delta on disk (heap + indexes of the day's partition) beside the goal
 *      of 64 bytes.
 * Deltas are synthetic but shaped like captured ones: 200 markets over one day, signed level
 * changes on a cent grid that never leave a level negative, several per millisecond at times.
 * Reports numbers; never fails on a time.
 */
import { BatchBuilder, type CapturedDeltaRow, writeBatch } from "@kalshi-data/lib/capture";
import type { Sql } from "@kalshi-data/lib/db";
import { withTestDatabase } from "../lib/db/testing/database.ts";
import {
  bookAt,
  checkpointRow,
  OrderBook,
  type OrderbookSnapshotRow,
} from "@kalshi-data/lib/orderbook";
import type { BenchRow } from "./harness.ts";

const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2026, 9, 1);
const MARKETS = 200;
const CHECKPOINT_MS = 300_000;
const BATCH_ROWS = 5000;

/** A seeded PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Day {
  first: OrderbookSnapshotRow[];
  checkpoints: OrderbookSnapshotRow[];
  deltas: CapturedDeltaRow[];
}

const ticker = (m: number) => `KXBENCH-26OCT01-M${m}`;

/** One day of `count` deltas over {@linkcode MARKETS} books, with their first snapshots and checkpoints. */
function synthesize(count: number): Day {
  const random = prng(16);
  const books = Array.from({ length: MARKETS }, () => new OrderBook());
  const first: OrderbookSnapshotRow[] = [];
  for (const [m, book] of books.entries()) {
    const levels = (lo: number) =>
      Array.from({ length: 10 }, (_, i) => [(lo + i) * 100, 1000 + i * 100] as const);
    book.applySnapshot(levels(30), levels(40));
    first.push({
      ...checkpointRow(book, { marketTicker: ticker(m), tsMs: START_MS, order: 0 }),
      kind: "subscribe",
    });
  }
  const deltas: CapturedDeltaRow[] = [];
  const checkpoints: OrderbookSnapshotRow[] = [];
  const lastCheckpoint = new Array(MARKETS).fill(START_MS);
  for (let i = 0; i < count; i++) {
    const tsMs = START_MS + 1 + Math.floor((i * (DAY_MS - 2)) / count);
    const m = Math.floor(random() * MARKETS);
    const side = random() < 0.5 ? "yes" : "no";
    const price = (20 + Math.floor(random() * 40)) * 100;
    const resting = books[m].levels(side).find(([p]) => p === price)?.[1] ?? 0;
    const delta = resting > 0 && random() < 0.5
      ? -Math.max(1, Math.floor(resting * random()))
      : 1 + Math.floor(random() * 5000);
    books[m].applyDelta(side, price, delta);
    deltas.push({
      marketTicker: ticker(m),
      tsMs,
      order: i + 1,
      side,
      price,
      delta,
      receivedAtMs: tsMs + 40,
    });
    if (tsMs - lastCheckpoint[m] >= CHECKPOINT_MS) {
      checkpoints.push(checkpointRow(books[m], { marketTicker: ticker(m), tsMs, order: i + 1 }));
      lastCheckpoint[m] = tsMs;
    }
  }
  return { first, checkpoints, deltas };
}

/** Writes `day`'s snapshots (untimed) through the capture path. */
async function writeSnapshots(sql: Sql, day: Day): Promise<void> {
  const rows = [...day.first, ...day.checkpoints];
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    const b = new BatchBuilder();
    for (const r of rows.slice(i, i + BATCH_ROWS)) {
      b.orderbookSnapshot({ ...r, receivedAtMs: r.tsMs });
    }
    await writeBatch(sql, b.seal("bench", `bench-snap:${i}`), { instance: "bench" });
  }
}

/** Delta ingest through the capture path, rows/s. */
async function ingest(sql: Sql, deltas: CapturedDeltaRow[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < deltas.length; i += BATCH_ROWS) {
    const b = new BatchBuilder();
    for (const r of deltas.slice(i, i + BATCH_ROWS)) b.orderbookDelta(r);
    await writeBatch(sql, b.seal("bench", `bench:${i}`), { instance: "bench" });
  }
  return deltas.length / ((performance.now() - t0) / 1000);
}

/** The same rows with a raw COPY in text format (same batches), rows/s. */
async function rawCopy(sql: Sql, deltas: CapturedDeltaRow[]): Promise<number> {
  const ids = new Map(
    (await sql<
      { id: number; market_ticker: string }[]
    >`SELECT id, market_ticker FROM orderbook_markets`)
      .map((r) => [r.market_ticker, r.id]),
  );
  const t0 = performance.now();
  for (let i = 0; i < deltas.length; i += BATCH_ROWS) {
    let text = "";
    for (const r of deltas.slice(i, i + BATCH_ROWS)) {
      text += `${new Date(r.tsMs).toISOString()}\t${ids.get(r.marketTicker)}\t${r.order}\t` +
        `${r.delta}\t${r.price}\t${r.side === "yes" ? "y" : "n"}\n`;
    }
    await sql.begin(async (tx) => {
      const stream = await tx.unsafe(
        "COPY orderbook_deltas (ts, market_id, ord, delta, price, side) FROM STDIN",
      ).writable();
      await new Promise<void>((resolve, reject) => {
        stream.once("finish", resolve);
        stream.once("error", reject);
        stream.end(text);
      });
    });
  }
  return deltas.length / ((performance.now() - t0) / 1000);
}

/** Mean ms of `bookAt` over `pairs`. */
async function rebuildMs(sql: Sql, pairs: [string, Date][]): Promise<number> {
  const t0 = performance.now();
  for (const [t, at] of pairs) {
    const result = await bookAt(sql, t, at);
    if (result.status !== "ok") throw new Error(`no book of ${t} at ${at.toISOString()}`);
  }
  return (performance.now() - t0) / pairs.length;
}

async function bytesPerDelta(sql: Sql): Promise<number> {
  await sql`VACUUM ANALYZE orderbook_deltas`;
  const [row] = await sql<{ bytes: string; n: string }[]>`
    SELECT (SELECT sum(pg_total_relation_size(inhrelid))::text FROM pg_inherits
            WHERE inhparent = 'orderbook_deltas'::regclass) AS bytes,
           (SELECT count(*)::text FROM orderbook_deltas) AS n`;
  return Number(row.bytes) / Number(row.n);
}

/** The benchmark: `quick` ingests 200 000 deltas, else 2 000 000. */
export default async function orderbookBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const day = synthesize(quick ? 200_000 : 2_000_000);
  return await withTestDatabase(async ({ sql }) => {
    await writeSnapshots(sql, day);
    const copyRate = await rawCopy(sql, day.deltas);
    await sql`TRUNCATE orderbook_deltas`;
    const ingestRate = await ingest(sql, day.deltas);
    const bytes = await bytesPerDelta(sql);
    const random = prng(7);
    const pairs: [string, Date][] = Array.from({ length: quick ? 40 : 100 }, () => [
      ticker(Math.floor(random() * MARKETS)),
      new Date(START_MS + Math.floor(random() * DAY_MS)),
    ]);
    await rebuildMs(sql, pairs.slice(0, 5)); // warm the caches for both runs alike
    const withCheckpoints = await rebuildMs(sql, pairs);
    await sql`DELETE FROM orderbook_snapshots WHERE kind = 'checkpoint'`;
    await rebuildMs(sql, pairs.slice(0, 5));
    const fromFirst = await rebuildMs(sql, pairs);
    return [
      {
        name: `order-book delta ingest (capture path, ${day.deltas.length} rows)`,
        unit: "rows/s",
        value: ingestRate,
        baselineName: "raw COPY of the same rows",
        baseline: copyRate,
      },
      {
        name: "rebuild at a random instant, checkpoints every 5 min",
        unit: "ms",
        value: withCheckpoints,
        baselineName: "rebuild from the day's first snapshot",
        baseline: fromFirst,
      },
      {
        name: "bytes per stored delta (heap + indexes)",
        unit: "bytes",
        value: bytes,
        baselineName: "goal of issue 16",
        baseline: 64,
      },
    ];
  });
}
