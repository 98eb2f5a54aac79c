/**
 * Writes order-book rows (the one writer of `orderbook_markets`, `orderbook_snapshots`,
 * `orderbook_deltas`). The capture path calls {@linkcode insertOrderbookRows} inside its batch
 * transaction, after claiming the batch id in `ingested_batches`, which makes the write exactly
 * once; {@linkcode writeOrderbookBatch} is the same write in a transaction of its own.
 * Deltas go in one `INSERT … SELECT unnest(…)` per batch (about 0.6× the rate of a raw COPY of the
 * same rows, measured; COPY's error handling in postgres.js is not worth a second copy here).
 * @module
 */
import type { Queryable, Sql } from "../db/mod.ts";
import {
  checkDeltaRow,
  checkSnapshotRow,
  type OrderbookDeltaRow,
  type OrderbookSnapshotRow,
} from "./rows.ts";

/** The order-book rows of one capture batch. */
export interface OrderbookRows {
  /** Whole books (`orderbook_snapshots`). */
  snapshots: readonly OrderbookSnapshotRow[];
  /** Level changes (`orderbook_deltas`). */
  deltas: readonly OrderbookDeltaRow[];
}

/** Options of {@linkcode ensureOrderbookPartitions}. */
export interface EnsureOrderbookPartitionsOptions {
  /** First day to cover (the UTC day containing it); default now. */
  from?: Date;
  /** Number of consecutive days (1-3660); default 7. */
  days?: number;
}

/**
 * Creates the missing daily partitions of both order-book tables (moving rows of those days out
 * of DEFAULT) and returns how many were created. Safe to call concurrently and repeatedly.
 */
export async function ensureOrderbookPartitions(
  sql: Queryable,
  options: EnsureOrderbookPartitionsOptions = {},
): Promise<number> {
  const [row] = await sql<{ created: number }[]>`
    SELECT ensure_orderbook_partitions(${(options.from ?? new Date()).toISOString()}::timestamptz,
                                       ${options.days ?? 7}::integer) AS created`;
  return row.created;
}

const iso = (ms: number) => new Date(ms).toISOString();
const DAY_MS = 86_400_000;

/**
 * Writes `rows` through `tx` (a transaction that already claimed its batch id). Every row is
 * checked first (an {@linkcode OrderbookRowError} names the bad one before anything is sent);
 * the days the rows fall in get their partitions; tickers get dictionary ids.
 */
export async function insertOrderbookRows(tx: Queryable, rows: OrderbookRows): Promise<void> {
  rows.snapshots.forEach(checkSnapshotRow);
  rows.deltas.forEach(checkDeltaRow);
  const all = [...rows.snapshots, ...rows.deltas];
  if (all.length === 0) return;
  const days = [...new Set(all.map((r) => Math.floor(r.tsMs / DAY_MS) * DAY_MS))].map(iso);
  await tx`SELECT ensure_orderbook_partitions(d, 1) FROM unnest(${days}::timestamptz[]) AS d`;
  const ids = await marketIds(tx, [...new Set(all.map((r) => r.marketTicker))]);
  if (rows.snapshots.length > 0) await insertSnapshots(tx, rows.snapshots, ids);
  if (rows.deltas.length > 0) await insertDeltas(tx, rows.deltas, ids);
}

/** Dictionary ids of `tickers`, adding the new ones (no identity value is spent on a known one). */
async function marketIds(tx: Queryable, tickers: string[]): Promise<Map<string, number>> {
  const found = await tx<{ id: number; market_ticker: string }[]>`
    WITH wanted AS (SELECT unnest(${tickers}::text[]) AS t),
    added AS (
      INSERT INTO orderbook_markets (market_ticker)
      SELECT t FROM wanted WHERE NOT EXISTS (
        SELECT 1 FROM orderbook_markets m WHERE m.market_ticker = wanted.t)
      ON CONFLICT (market_ticker) DO NOTHING
      RETURNING id, market_ticker)
    SELECT id, market_ticker FROM added
    UNION ALL
    SELECT m.id, m.market_ticker FROM orderbook_markets m JOIN wanted ON m.market_ticker = wanted.t`;
  return new Map(found.map((r) => [r.market_ticker, r.id]));
}

const pgArray = (values: readonly number[]) => `{${values.join(",")}}`;

async function insertSnapshots(
  tx: Queryable,
  s: readonly OrderbookSnapshotRow[],
  ids: Map<string, number>,
): Promise<void> {
  const sorted = (levels: OrderbookSnapshotRow["yes"]) => [...levels].sort((a, b) => a[0] - b[0]);
  const yes = s.map((r) => sorted(r.yes));
  const no = s.map((r) => sorted(r.no));
  await tx`
    INSERT INTO orderbook_snapshots (market_id, ts, ord, kind, yes_price, yes_size, no_price,
                                     no_size)
    SELECT m, ts, o, k, yp::smallint[], ys::bigint[], np::smallint[], ns::bigint[]
    FROM unnest(
      ${s.map((r) => ids.get(r.marketTicker)!)}::integer[],
      ${s.map((r) => iso(r.tsMs))}::timestamptz[],
      ${s.map((r) => r.order)}::integer[],
      ${s.map((r) => r.kind)}::text[],
      ${yes.map((l) => pgArray(l.map((x) => x[0])))}::text[],
      ${yes.map((l) => pgArray(l.map((x) => x[1])))}::text[],
      ${no.map((l) => pgArray(l.map((x) => x[0])))}::text[],
      ${no.map((l) => pgArray(l.map((x) => x[1])))}::text[]
    ) AS u(m, ts, o, k, yp, ys, np, ns)`;
}

/**
 * Deltas as one `INSERT … SELECT unnest(…)`. Each array goes as one text literal built here (its
 * elements are digits, ISO times or one letter: nothing to quote) and is cast by the server,
 * 2-3× faster than postgres.js serialising the arrays element by element.
 */
async function insertDeltas(
  tx: Queryable,
  d: readonly OrderbookDeltaRow[],
  ids: Map<string, number>,
): Promise<void> {
  const literal = (values: (string | number)[]) => `{${values.join(",")}}`;
  await tx`
    INSERT INTO orderbook_deltas (ts, market_id, ord, delta, price, side)
    SELECT ts, m, o, q, p, s::"char"
    FROM unnest(
      ${literal(d.map((r) => iso(r.tsMs)))}::timestamptz[],
      ${literal(d.map((r) => ids.get(r.marketTicker)!))}::integer[],
      ${literal(d.map((r) => r.order))}::integer[],
      ${literal(d.map((r) => r.delta))}::integer[],
      ${literal(d.map((r) => r.price))}::smallint[],
      ${literal(d.map((r) => (r.side === "yes" ? "y" : "n")))}::text[]
    ) AS u(ts, m, o, q, p, s)`;
}

/** A batch of order-book rows under one idempotency id. */
export interface OrderbookBatch extends OrderbookRows {
  /** Its `ingested_batches.batch_id`. */
  id: string;
}

/**
 * Writes `batch` in its own transaction, exactly once: its id is claimed in `ingested_batches`
 * first, and a batch already there is skipped ("duplicate").
 */
export async function writeOrderbookBatch(
  sql: Sql,
  batch: OrderbookBatch,
  options: { source?: string } = {},
): Promise<"written" | "duplicate"> {
  batch.snapshots.forEach(checkSnapshotRow);
  batch.deltas.forEach(checkDeltaRow);
  let min = Infinity;
  let max = -Infinity;
  for (const { tsMs } of [...batch.snapshots, ...batch.deltas]) {
    min = Math.min(min, tsMs);
    max = Math.max(max, tsMs);
  }
  const count = batch.snapshots.length + batch.deltas.length;
  const first = count > 0 ? iso(min) : null;
  const last = count > 0 ? iso(max) : null;
  return await sql.begin(async (tx) => {
    const claimed = await tx`
      INSERT INTO ingested_batches (batch_id, source, row_count, first_ts, last_ts)
      VALUES (${batch.id}, ${options.source ?? "ws:orderbook"}, ${count}, ${first}, ${last})
      ON CONFLICT (batch_id) DO NOTHING
      RETURNING batch_id`;
    if (claimed.length === 0) return "duplicate" as const;
    await insertOrderbookRows(tx, batch);
    return "written" as const;
  });
}
