/**
 * Writes one capture batch to PostgreSQL in one transaction: its id into `ingested_batches`
 * first (a batch already there is skipped, so retries and spool replays never duplicate), then
 * ticks with one `COPY … FROM STDIN` (a multi-row `INSERT … SELECT unnest(…)` when only a few),
 * trades with one multi-row `INSERT … SELECT unnest(…)`, lifecycle messages (stored and applied
 * to `markets` / `events`), dead letters, capture gaps, and the session watermark.
 */
import type postgres from "postgres";
import type { Sql } from "../db/mod.ts";
import { applyLifecycle, type LifecycleChange, lifecycleChange } from "../catalog/mod.ts";
import { parseWsMessage } from "../kalshi/mod.ts";
import { insertOrderbookRows } from "../orderbook/mod.ts";
import { batchRowCount, type CaptureBatch } from "./batch.ts";
import { batchChannelTimes, type ChannelTimes } from "./channel_times.ts";
import type { DeadLetterRow, GapRow, LifecycleRow, TickRow, TradeRow } from "./rows.ts";

/** A transaction handle (what `sql.begin` passes). */
export type Tx = postgres.TransactionSql;

/**
 * Called after a batch commits with the markets it created from a lifecycle `created` message
 * (rows built from the message itself). Runs outside the transaction: slow work (REST fetches,
 * backfill scheduling) must be queued, not awaited, so it never holds the writer.
 */
export type NewMarketsHook = (tickers: string[]) => void;

/** Options of {@linkcode writeBatch}. */
export interface WriteBatchOptions {
  /** `ingest_state` scope of the `ws.session` key (the ws_service instance). */
  instance: string;
  /** `ingested_batches.source` (default "ws"; "spool" for replays). */
  source?: string;
  /** Receives the markets the batch created, once it has committed (never for a duplicate). */
  onNewMarkets?: NewMarketsHook;
}

/** What happened to a batch. */
export type WriteOutcome = "written" | "duplicate";

/**
 * A time JavaScript cannot even turn into timestamptz text (not a finite ms within ±8.64e15).
 * It carries SQLSTATE 22008 (datetime_field_overflow), the code PostgreSQL gives an out-of-range
 * timestamp, so it is a data error: the writer salvages the batch instead of retrying it.
 */
class UnsendableTimeError extends RangeError {
  readonly code = "22008";
}

/** Whether `ms` can be sent as timestamptz text. */
const sendableTime = (ms: unknown) =>
  typeof ms === "number" && !Number.isNaN(new Date(ms).getTime());

const iso = (ms: number) => {
  if (!sendableTime(ms)) throw new UnsendableTimeError(`timestamp out of range: ${ms} ms`);
  return new Date(ms).toISOString();
};
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/**
 * Whether `error` is PostgreSQL refusing the data itself (SQLSTATE class 22 data exception, 23
 * integrity violation, or 54 program limit exceeded, e.g. JSON nested too deep): retrying the
 * same rows can never succeed, unlike a lost connection.
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

/** Text PostgreSQL accepts: NUL cannot be stored in `text`, so it is written as the escape `\u0000`. */
function pgText(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\\u0000") : text;
}

/**
 * Writes `batch` exactly once; "duplicate" when its id was already committed. With `salvage`,
 * each part (and, if a part fails, each row) is written under its own savepoint and the rows
 * PostgreSQL refuses go to `dead_letters` instead: one bad row never blocks the stream.
 */
export async function writeBatch(
  sql: Sql,
  batch: CaptureBatch,
  options: WriteBatchOptions & { salvage?: boolean },
): Promise<WriteOutcome> {
  if (options.salvage === true) batch = withoutUnsendableTimes(batch);
  const created: string[] = [];
  const outcome = await sql.begin(async (tx) => {
    const claimed = await tx`
      INSERT INTO ingested_batches (batch_id, source, row_count, first_ts, last_ts)
      VALUES (${batch.id}, ${options.source ?? "ws"}, ${batchRowCount(batch)},
              ${isoOrNull(batch.minExchangeMs)}, ${isoOrNull(batch.maxExchangeMs)})
      ON CONFLICT (batch_id) DO NOTHING
      RETURNING batch_id`;
    if (claimed.length === 0) return "duplicate" as const;
    const refused: DeadLetterRow[] = [];
    const part = options.salvage === true
      ? <T>(kind: string, rows: T[], write: PartWriter<T>) =>
        salvagePart(tx, kind, rows, write, batch.id, refused)
      : async <T>(_kind: string, rows: T[], write: PartWriter<T>) => {
        if (rows.length > 0) await write(tx, rows);
      };
    const ids = <T>(rows: T[]) => rows.map(() => batch.id);
    await part("tick", batch.ticks, (h, rows) => insertTicks(h, rows, ids(rows)));
    await part("trade", batch.trades, (h, rows) => insertTrades(h, rows, ids(rows)));
    await part("lifecycle", batch.lifecycle, async (h, rows) => {
      const mine: string[] = [];
      for (const row of rows) {
        const ticker = await storeLifecycle(h, row, batch.id);
        if (ticker !== null) mine.push(ticker);
      }
      created.push(...mine);
    });
    await part(
      "orderbook_snapshot",
      batch.orderbookSnapshots ?? [],
      (h, snapshots) => insertOrderbookRows(h, { snapshots, deltas: [] }),
    );
    await part(
      "orderbook_delta",
      batch.orderbookDeltas ?? [],
      (h, deltas) => insertOrderbookRows(h, { snapshots: [], deltas }),
    );
    await part("dead_letter", batch.deadLetters, insertDeadLetters);
    await part("gap", batch.gaps, insertGaps);
    if (refused.length > 0) await insertDeadLetters(tx, refused);
    await updateSession(tx, batch, options.instance);
    return "written" as const;
  });
  if (outcome === "written" && created.length > 0) options.onNewMarkets?.(created);
  return outcome;
}

/**
 * Writes several batches (oldest first) in one transaction: every id claimed in
 * `ingested_batches` with one statement (an id already there is skipped: "duplicate"), then the
 * rows of the claimed batches kind by kind, each kind in one statement, and the session
 * watermark once. This is how the writer catches up on a backlog with a handful of round trips
 * instead of several per batch. Without salvage: a refused row fails the whole group, and the
 * writer writes its batches one by one again.
 */
export async function writeBatches(
  sql: Sql,
  batches: readonly CaptureBatch[],
  options: WriteBatchOptions,
): Promise<WriteOutcome[]> {
  const created: string[] = [];
  const claimed = await sql.begin(async (tx) => {
    const rows = await tx<{ batch_id: string }[]>`
      INSERT INTO ingested_batches (batch_id, source, row_count, first_ts, last_ts)
      SELECT * FROM unnest(
        ${batches.map((b) => b.id)}::text[],
        ${batches.map(() => options.source ?? "ws")}::text[],
        ${batches.map((b) => batchRowCount(b))}::int[],
        ${batches.map((b) => isoOrNull(b.minExchangeMs))}::timestamptz[],
        ${batches.map((b) => isoOrNull(b.maxExchangeMs))}::timestamptz[])
      ON CONFLICT (batch_id) DO NOTHING
      RETURNING batch_id`;
    const ids = new Set(rows.map((r) => r.batch_id));
    const mine = batches.filter((b) => ids.has(b.id));
    if (mine.length > 0) {
      await writeGroupRows(tx, mine, created);
      await updateSession(tx, mergedBatch(mine), options.instance);
    }
    return ids;
  });
  if (created.length > 0) options.onNewMarkets?.(created);
  return batches.map((b) => (claimed.has(b.id) ? "written" : "duplicate"));
}

/** The rows of claimed `batches`, kind by kind in the order {@linkcode writeBatch} uses. */
async function writeGroupRows(tx: Tx, batches: CaptureBatch[], created: string[]): Promise<void> {
  const tagged = <T>(rows: (b: CaptureBatch) => T[]) => {
    const all: T[] = [];
    const ids: string[] = [];
    for (const b of batches) {
      for (const row of rows(b)) {
        all.push(row);
        ids.push(b.id);
      }
    }
    return [all, ids] as const;
  };
  const [ticks, tickIds] = tagged((b) => b.ticks);
  if (ticks.length > 0) await insertTicks(tx, ticks, tickIds);
  const [trades, tradeIds] = tagged((b) => b.trades);
  if (trades.length > 0) await insertTrades(tx, trades, tradeIds);
  for (const b of batches) {
    for (const row of b.lifecycle) {
      const ticker = await storeLifecycle(tx, row, b.id);
      if (ticker !== null) created.push(ticker);
    }
  }
  const snapshots = batches.flatMap((b) => b.orderbookSnapshots ?? []);
  const deltas = batches.flatMap((b) => b.orderbookDeltas ?? []);
  if (snapshots.length > 0) await insertOrderbookRows(tx, { snapshots, deltas: [] });
  if (deltas.length > 0) await insertOrderbookRows(tx, { snapshots: [], deltas });
  const deadLetters = batches.flatMap((b) => b.deadLetters);
  if (deadLetters.length > 0) await insertDeadLetters(tx, deadLetters);
  await insertGaps(tx, batches.flatMap((b) => b.gaps));
}

/** One batch standing for `batches` (their rows and time range), for the session update. */
function mergedBatch(batches: CaptureBatch[]): CaptureBatch {
  const times = (pick: (b: CaptureBatch) => number | null) =>
    batches.map(pick).filter((t): t is number => t !== null);
  const max = times((b) => b.maxExchangeMs);
  const min = times((b) => b.minExchangeMs);
  const first = times((b) => b.firstReceivedMs);
  return {
    id: batches[0].id,
    sessionId: batches[0].sessionId,
    ticks: batches.flatMap((b) => b.ticks),
    trades: batches.flatMap((b) => b.trades),
    lifecycle: batches.flatMap((b) => b.lifecycle),
    deadLetters: [],
    gaps: [],
    orderbookSnapshots: batches.flatMap((b) => b.orderbookSnapshots ?? []),
    orderbookDeltas: batches.flatMap((b) => b.orderbookDeltas ?? []),
    maxExchangeMs: max.length === 0 ? null : Math.max(...max),
    minExchangeMs: min.length === 0 ? null : Math.min(...min),
    firstReceivedMs: first.length === 0 ? null : Math.min(...first),
  };
}

/** Moves the `ws.session` watermark and channel times forward by what `batch` carried. */
async function updateSession(tx: Tx, batch: CaptureBatch, instance: string): Promise<void> {
  await tx`
      UPDATE ingest_state SET
        value = value || jsonb_build_object('lastFlushedAt', ${iso(Date.now())}::text)
          || CASE WHEN ${isoOrNull(batch.maxExchangeMs)}::text IS NULL
                    OR (value->>'lastMessageAt') >= ${isoOrNull(batch.maxExchangeMs)}::text
               THEN '{}'::jsonb
               ELSE jsonb_build_object('lastMessageAt', ${isoOrNull(batch.maxExchangeMs)}::text) END
          || ${mergeChannelTimes(tx, batchChannelTimes(batch))},
        updated_at = now()
      WHERE key = 'ws.session' AND scope = ${instance}`;
}

/**
 * The SQL fragment (a jsonb expression over the row's `value`) that merges `channels` into
 * `ws.session`'s `channels`: per channel and field the later time wins, compared as timestamps,
 * so replaying old spooled batches never moves a watermark backwards. `'{}'` when there is none.
 */
function mergeChannelTimes(tx: Tx, channels: Record<string, ChannelTimes>) {
  if (Object.keys(channels).length === 0) return tx`'{}'::jsonb`;
  return tx`jsonb_build_object('channels',
    COALESCE(ingest_state.value->'channels', '{}'::jsonb) || (
      SELECT jsonb_object_agg(c.key,
        COALESCE(ingest_state.value->'channels'->c.key, '{}'::jsonb) || (
          SELECT jsonb_object_agg(f.key, CASE
            WHEN (ingest_state.value #>> ARRAY['channels', c.key, f.key])::timestamptz
                 >= (f.value #>> '{}')::timestamptz
            THEN ingest_state.value #> ARRAY['channels', c.key, f.key] ELSE f.value END)
          FROM jsonb_each(c.value) AS f))
      FROM jsonb_each(${JSON.stringify(channels)}::text::jsonb) AS c))`;
}

/** Writes rows of one kind through a transaction (or savepoint) handle. */
type PartWriter<T> = (tx: Tx, rows: T[]) => Promise<unknown>;

/**
 * Writes `rows` under a savepoint; if refused, row by row, collecting refused rows. Queries must
 * go through the savepoint's own handle, or postgres.js fails the whole transaction.
 */
async function salvagePart<T>(
  tx: Tx,
  kind: string,
  rows: T[],
  write: PartWriter<T>,
  batchId: string,
  refused: DeadLetterRow[],
): Promise<void> {
  if (rows.length === 0) return;
  try {
    await tx.savepoint((sp) => write(sp, rows));
    return;
  } catch (error) {
    if (!isDataError(error)) throw error;
  }
  for (const row of rows) {
    try {
      await tx.savepoint((sp) => write(sp, [row]));
    } catch (error) {
      if (!isDataError(error)) throw error;
      const e = error as { code: string; message: string };
      const received = (row as { receivedAtMs?: unknown }).receivedAtMs;
      refused.push({
        source: `capture:${kind}`,
        error: `${e.code}: ${e.message}`,
        payload: JSON.stringify(row),
        context: { batchId },
        receivedAtMs: typeof received === "number" ? received : Date.now(),
      });
    }
  }
}

/**
 * Salvage, first step: rows holding a time that cannot be sent at all (see
 * {@linkcode UnsendableTimeError}; e.g. spooled by a version without the edge's time bounds)
 * become dead letters, and the batch's exchange-time range is recomputed without them, so neither
 * those rows nor the batch's own bookkeeping (`ingested_batches`, `ws.session`) can fail again.
 * The batch is returned unchanged when every time is sendable.
 */
function withoutUnsendableTimes(batch: CaptureBatch): CaptureBatch {
  const dead: DeadLetterRow[] = [];
  const keep = <T>(kind: string, rows: T[], times: (row: T) => unknown[]): T[] =>
    rows.filter((row) => {
      const bad = times(row).find((ms) => !sendableTime(ms));
      if (bad === undefined) return true;
      const received = (row as { receivedAtMs?: unknown }).receivedAtMs;
      dead.push({
        source: `capture:${kind}`,
        error: `22008: timestamp out of range: ${bad} ms`,
        payload: JSON.stringify(row),
        context: { batchId: batch.id },
        receivedAtMs: sendableTime(received) ? received as number : Date.now(),
      });
      return false;
    });
  const ticks = keep("tick", batch.ticks, (r) => [r.tsMs, r.receivedAtMs]);
  const trades = keep("trade", batch.trades, (r) => [r.tsMs, r.receivedAtMs]);
  const lifecycle = keep("lifecycle", batch.lifecycle, (r) => [r.eventTsMs ?? 0, r.receivedAtMs]);
  const gaps = keep("gap", batch.gaps, (r) => [r.startMs, r.endMs]);
  const deadLetters = keep("dead_letter", batch.deadLetters, (r) => [r.receivedAtMs]);
  if (dead.length === 0) return batch;
  let min: number | null = null;
  let max: number | null = null;
  for (const { tsMs } of [...ticks, ...trades]) {
    if (min === null || tsMs < min) min = tsMs;
    if (max === null || tsMs > max) max = tsMs;
  }
  return {
    ...batch,
    ticks,
    trades,
    lifecycle,
    gaps,
    deadLetters: [...deadLetters, ...dead],
    minExchangeMs: min,
    maxExchangeMs: max,
  };
}

function insertDeadLetters(tx: Tx, d: DeadLetterRow[]) {
  return tx`
    INSERT INTO dead_letters (source, error, payload, context, received_at)
    SELECT s, e, p, c::jsonb, r FROM unnest(
      ${d.map((x) => pgText(x.source))}::text[], ${d.map((x) => pgText(x.error))}::text[],
      ${d.map((x) => pgText(x.payload))}::text[],
      ${d.map((x) => (x.context === null ? null : pgText(JSON.stringify(x.context))))}::text[],
      ${d.map((x) => iso(x.receivedAtMs))}::timestamptz[]) AS u(s, e, p, c, r)`;
}

async function insertGaps(tx: Tx, gaps: GapRow[]): Promise<void> {
  for (const gap of gaps) {
    await tx`
      INSERT INTO capture_gaps (channel, market_tickers, gap_start, gap_end, reason, detail)
      VALUES (${gap.channel}, ${gap.marketTickers}, ${iso(gap.startMs)},
              ${iso(Math.max(gap.startMs, gap.endMs))}, ${gap.reason},
              ${gap.detail === null ? null : JSON.stringify(gap.detail)}::text::jsonb)`;
  }
}

/**
 * Fewest rows written with COPY. postgres.js sends a COPY's data and its end in separate socket
 * writes; without TCP_NODELAY the end waits for the server's delayed ACK (~40–90 ms a COPY on
 * loopback), so small parts (a quiet stream's batches, the salvage path's single rows) are
 * cheaper as one `INSERT … SELECT unnest(…)` round trip.
 */
const COPY_MIN_ROWS = 1000;

/** Writes ticks; `batchIds[i]` is the batch of `t[i]`. */
function insertTicks(tx: Tx, t: TickRow[], batchIds: string[]): Promise<void> {
  return t.length >= COPY_MIN_ROWS ? copyTicks(tx, t, batchIds) : insertTickRows(tx, t, batchIds);
}

const TICK_COLUMNS = "market_ticker, ts, price, yes_bid, yes_ask, volume, open_interest, " +
  "yes_bid_size, yes_ask_size, last_trade_size, dollar_volume, dollar_open_interest, " +
  "received_at, batch_id, extra";

const COPY_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
};

/**
 * One field of COPY's text format: `\N` for NULL; backslash, tab, newline and carriage return
 * escaped. A NUL is left as is, so PostgreSQL refuses the row (22021) as it would a parameter.
 */
function copyField(value: string | null): string {
  if (value === null) return "\\N";
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : value;
}

/** `rows` as COPY text-format lines of {@linkcode TICK_COLUMNS}. */
function tickCopyText(rows: TickRow[], batchIds: string[]): string {
  let text = "";
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    text += copyField(r.marketTicker) + "\t" + iso(r.tsMs) + "\t" + copyField(r.price) + "\t" +
      copyField(r.yesBid) + "\t" + copyField(r.yesAsk) + "\t" + copyField(r.volume) + "\t" +
      copyField(r.openInterest) + "\t" + copyField(r.yesBidSize) + "\t" +
      copyField(r.yesAskSize) + "\t" + copyField(r.lastTradeSize) + "\t" +
      copyField(r.dollarVolume) + "\t" + copyField(r.dollarOpenInterest) + "\t" +
      iso(r.receivedAtMs) + "\t" + copyField(batchIds[i]) + "\t" + copyField(r.extra) + "\n";
  }
  return text;
}

/**
 * Writes ticks with `COPY ticks FROM STDIN` on the transaction's connection.
 *
 * postgres.js (3.4.9) resolves a COPY query with its stream as soon as the copy starts, so a
 * refusal that arrives after the stream has ended (the usual case: PostgreSQL checks rows as
 * they arrive) rejects a promise already settled, and the stream never emits `finish` nor
 * `error`. The refusal is caught where postgres.js reports it, the query's own `reject`; success
 * is the stream's `finish` (emitted at the COPY's CommandComplete). Nothing else is sent on the
 * connection until one of them settles, so no query meets a COPY in progress.
 */
async function copyTicks(tx: Tx, t: TickRow[], batchIds: string[]): Promise<void> {
  const text = tickCopyText(t, batchIds); // may refuse a row: before the COPY starts, never during
  const query = tx.unsafe(`COPY ticks (${TICK_COLUMNS}) FROM STDIN`);
  const internal = query as unknown as { reject: (error: unknown) => unknown };
  const original = internal.reject;
  let refuse: (error: unknown) => void = () => {};
  const refused = new Promise<never>((_, reject) => (refuse = reject));
  refused.catch(() => {}); // also rejected when the COPY statement itself fails: awaited below
  internal.reject = (error) => {
    refuse(error);
    return original(error);
  };
  const stream = await query.writable();
  await Promise.race([
    refused,
    new Promise<void>((resolve, reject) => {
      stream.once("finish", resolve);
      stream.once("error", reject);
      stream.end(text);
    }),
  ]);
}

async function insertTickRows(tx: Tx, t: TickRow[], batchIds: string[]): Promise<void> {
  await tx`
    INSERT INTO ticks (market_ticker, ts, price, yes_bid, yes_ask, volume, open_interest,
      yes_bid_size, yes_ask_size, last_trade_size, dollar_volume, dollar_open_interest,
      received_at, batch_id, extra)
    SELECT mt, ts, p, yb, ya, v, oi, ybs, yas, lts, dv, doi, ra, bid, ex::jsonb
    FROM unnest(
      ${t.map((r) => r.marketTicker)}::text[],
      ${t.map((r) => iso(r.tsMs))}::timestamptz[],
      ${t.map((r) => r.price)}::numeric[],
      ${t.map((r) => r.yesBid)}::numeric[],
      ${t.map((r) => r.yesAsk)}::numeric[],
      ${t.map((r) => r.volume)}::numeric[],
      ${t.map((r) => r.openInterest)}::numeric[],
      ${t.map((r) => r.yesBidSize)}::numeric[],
      ${t.map((r) => r.yesAskSize)}::numeric[],
      ${t.map((r) => r.lastTradeSize)}::numeric[],
      ${t.map((r) => r.dollarVolume)}::numeric[],
      ${t.map((r) => r.dollarOpenInterest)}::numeric[],
      ${t.map((r) => iso(r.receivedAtMs))}::timestamptz[],
      ${batchIds}::text[],
      ${t.map((r) => r.extra)}::text[]
    ) AS u(mt, ts, p, yb, ya, v, oi, ybs, yas, lts, dv, doi, ra, bid, ex)`;
}

async function insertTrades(tx: Tx, t: TradeRow[], batchIds: string[]): Promise<void> {
  await tx`
    INSERT INTO trades (trade_id, market_ticker, created_time, yes_price, no_price, count,
      taker_side, taker_outcome_side, taker_book_side, is_block_trade, source, received_at,
      batch_id, raw)
    SELECT id, mt, ts, yp, np, c, ts1, tos, tbs, blk::boolean, 'ws', ra, bid, raw::jsonb
    FROM unnest(
      ${t.map((r) => r.tradeId)}::text[],
      ${t.map((r) => r.marketTicker)}::text[],
      ${t.map((r) => iso(r.tsMs))}::timestamptz[],
      ${t.map((r) => r.yesPrice)}::numeric[],
      ${t.map((r) => r.noPrice)}::numeric[],
      ${t.map((r) => r.count)}::numeric[],
      ${t.map((r) => r.takerSide)}::text[],
      ${t.map((r) => r.takerOutcomeSide)}::text[],
      ${t.map((r) => r.takerBookSide)}::text[],
      ${t.map((r) => (r.isBlockTrade === null ? null : String(r.isBlockTrade)))}::text[],
      ${t.map((r) => iso(r.receivedAtMs))}::timestamptz[],
      ${batchIds}::text[],
      ${t.map((r) => r.raw)}::text[]
    ) AS u(id, mt, ts, yp, np, c, ts1, tos, tbs, blk, ra, bid, raw)
    ON CONFLICT (trade_id) DO NOTHING`;
}

/** Stores one lifecycle row and applies it; returns the ticker of a market it created, else null. */
async function storeLifecycle(tx: Tx, row: LifecycleRow, batchId: string): Promise<string | null> {
  await tx`
    INSERT INTO market_lifecycle (message_type, event_type, market_ticker, event_ticker, sid, seq,
      event_ts, received_at, batch_id, raw)
    VALUES (${row.messageType}, ${row.eventType}, ${row.marketTicker}, ${row.eventTicker},
      ${row.sid}, ${row.seq}, ${isoOrNull(row.eventTsMs)}, ${iso(row.receivedAtMs)}, ${batchId},
      ${row.raw}::text::jsonb)`;
  return await applyLifecycle(tx, row.change ?? changeFromFrame(row.raw), {
    receivedAt: iso(row.receivedAtMs),
  });
}

/** The catalog change of a stored frame (rows spooled before `change` existed). */
function changeFromFrame(raw: string): LifecycleChange {
  const parsed = parseWsMessage(JSON.parse(raw));
  if (parsed.status !== "valid") return { kind: "none" };
  const m = parsed.message;
  return m.type === "market_lifecycle_v2" || m.type === "multivariate_market_lifecycle" ||
      m.type === "event_lifecycle" || m.type === "event_fee_update"
    ? lifecycleChange(m)
    : { kind: "none" };
}
