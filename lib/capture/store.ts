/**
 * Writes one capture batch to PostgreSQL in one transaction: its id into `ingested_batches`
 * first (a batch already there is skipped, so retries and spool replays never duplicate), then
 * ticks with one `COPY … FROM STDIN` (a multi-row `INSERT … SELECT unnest(…)` when only a few),
 * trades with one multi-row `INSERT … SELECT unnest(…)`, lifecycle messages (stored and applied
 * to `markets` / `events`), dead letters, capture gaps, and the session watermark.
 */
import type postgres from "postgres";
import type { Sql } from "../db/mod.ts";
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

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/**
 * Whether `error` is PostgreSQL refusing the data itself (SQLSTATE class 22 data exception or 23
 * integrity violation): retrying the same rows can never succeed, unlike a lost connection.
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code);
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
    await part("tick", batch.ticks, (h, rows) => insertTicks(h, rows, batch.id));
    await part("trade", batch.trades, (h, rows) => insertTrades(h, rows, batch.id));
    await part("lifecycle", batch.lifecycle, async (h, rows) => {
      const mine: string[] = [];
      for (const row of rows) {
        const ticker = await storeLifecycle(h, row, batch.id);
        if (ticker !== null) mine.push(ticker);
      }
      created.push(...mine);
    });
    await part("dead_letter", batch.deadLetters, insertDeadLetters);
    await part("gap", batch.gaps, insertGaps);
    if (refused.length > 0) await insertDeadLetters(tx, refused);
    await tx`
      UPDATE ingest_state SET
        value = value || jsonb_build_object('lastFlushedAt', ${iso(Date.now())}::text)
          || CASE WHEN ${isoOrNull(batch.maxExchangeMs)}::text IS NULL
                    OR (value->>'lastMessageAt') >= ${isoOrNull(batch.maxExchangeMs)}::text
               THEN '{}'::jsonb
               ELSE jsonb_build_object('lastMessageAt', ${isoOrNull(batch.maxExchangeMs)}::text) END
          || ${mergeChannelTimes(tx, batchChannelTimes(batch))},
        updated_at = now()
      WHERE key = 'ws.session' AND scope = ${options.instance}`;
    return "written" as const;
  });
  if (outcome === "written" && created.length > 0) options.onNewMarkets?.(created);
  return outcome;
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
              ${gap.detail === null ? null : JSON.stringify(gap.detail)}::jsonb)`;
  }
}

/**
 * Fewest rows written with COPY. postgres.js sends a COPY's data and its end in separate socket
 * writes; without TCP_NODELAY the end waits for the server's delayed ACK (~40–90 ms a COPY on
 * loopback), so small parts (a quiet stream's batches, the salvage path's single rows) are
 * cheaper as one `INSERT … SELECT unnest(…)` round trip.
 */
const COPY_MIN_ROWS = 1000;

function insertTicks(tx: Tx, t: TickRow[], batchId: string): Promise<void> {
  return t.length >= COPY_MIN_ROWS ? copyTicks(tx, t, batchId) : insertTickRows(tx, t, batchId);
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
function tickCopyText(rows: TickRow[], batchId: string): string {
  const id = copyField(batchId);
  let text = "";
  for (const r of rows) {
    text += copyField(r.marketTicker) + "\t" + iso(r.tsMs) + "\t" + copyField(r.price) + "\t" +
      copyField(r.yesBid) + "\t" + copyField(r.yesAsk) + "\t" + copyField(r.volume) + "\t" +
      copyField(r.openInterest) + "\t" + copyField(r.yesBidSize) + "\t" +
      copyField(r.yesAskSize) + "\t" + copyField(r.lastTradeSize) + "\t" +
      copyField(r.dollarVolume) + "\t" + copyField(r.dollarOpenInterest) + "\t" +
      iso(r.receivedAtMs) + "\t" + id + "\t" + copyField(r.extra) + "\n";
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
async function copyTicks(tx: Tx, t: TickRow[], batchId: string): Promise<void> {
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
      stream.end(tickCopyText(t, batchId));
    }),
  ]);
}

async function insertTickRows(tx: Tx, t: TickRow[], batchId: string): Promise<void> {
  await tx`
    INSERT INTO ticks (market_ticker, ts, price, yes_bid, yes_ask, volume, open_interest,
      yes_bid_size, yes_ask_size, last_trade_size, dollar_volume, dollar_open_interest,
      received_at, batch_id, extra)
    SELECT mt, ts, p, yb, ya, v, oi, ybs, yas, lts, dv, doi, ra, ${batchId}, ex::jsonb
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
      ${t.map((r) => r.extra)}::text[]
    ) AS u(mt, ts, p, yb, ya, v, oi, ybs, yas, lts, dv, doi, ra, ex)`;
}

async function insertTrades(tx: Tx, t: TradeRow[], batchId: string): Promise<void> {
  await tx`
    INSERT INTO trades (trade_id, market_ticker, created_time, yes_price, no_price, count,
      taker_side, taker_outcome_side, taker_book_side, is_block_trade, source, received_at,
      batch_id, raw)
    SELECT id, mt, ts, yp, np, c, ts1, tos, tbs, blk::boolean, 'ws', ra, ${batchId}, raw::jsonb
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
      ${t.map((r) => r.raw)}::text[]
    ) AS u(id, mt, ts, yp, np, c, ts1, tos, tbs, blk, ra, raw)
    ON CONFLICT (trade_id) DO NOTHING`;
}

type Json = Record<string, unknown>;

function str(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function num(value: unknown): string | null {
  return typeof value === "number" && Number.isFinite(value) ? String(value) : null;
}

function secondsIso(value: unknown): string | null {
  return typeof value === "number" && Number.isFinite(value) ? iso(value * 1000) : null;
}

/** The event of a market ticker: everything before its last dash (Kalshi's naming). */
export function eventTickerOf(marketTicker: string): string {
  const cut = marketTicker.lastIndexOf("-");
  return cut > 0 ? marketTicker.slice(0, cut) : marketTicker;
}

/** The series of an event ticker: everything before its first dash. */
export function seriesTickerOf(eventTicker: string): string {
  const cut = eventTicker.indexOf("-");
  return cut > 0 ? eventTicker.slice(0, cut) : eventTicker;
}

function settlementDollars(value: unknown): string | null {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isInteger(value)) return (value / 100).toFixed(2);
  return null;
}

/** Stores one lifecycle row and applies it; returns the ticker of a market it created, else null. */
async function storeLifecycle(tx: Tx, row: LifecycleRow, batchId: string): Promise<string | null> {
  const frame = JSON.parse(row.raw) as Json;
  const msg = (frame.msg ?? {}) as Json;
  await tx`
    INSERT INTO market_lifecycle (message_type, event_type, market_ticker, event_ticker, sid, seq,
      event_ts, received_at, batch_id, raw)
    VALUES (${row.messageType}, ${row.eventType}, ${row.marketTicker}, ${row.eventTicker},
      ${row.sid}, ${row.seq}, ${isoOrNull(row.eventTsMs)}, ${iso(row.receivedAtMs)}, ${batchId},
      ${row.raw}::jsonb)`;
  if (row.messageType === "event_lifecycle") {
    const eventTicker = row.eventTicker as string;
    await tx`
      INSERT INTO events (event_ticker, series_ticker, title, sub_title, collateral_return_type,
        strike_date, strike_period, exchange_index, raw)
      VALUES (${eventTicker}, ${str(msg.series_ticker) ?? seriesTickerOf(eventTicker)},
        ${str(msg.title)}, ${str(msg.subtitle)}, ${str(msg.collateral_return_type)},
        ${secondsIso(msg.strike_date)}, ${str(msg.strike_period)}, ${num(msg.exchange_index)},
        ${JSON.stringify(msg)}::jsonb)
      ON CONFLICT (event_ticker) DO UPDATE SET
        title = COALESCE(EXCLUDED.title, events.title),
        sub_title = COALESCE(EXCLUDED.sub_title, events.sub_title),
        collateral_return_type = COALESCE(EXCLUDED.collateral_return_type, events.collateral_return_type),
        strike_date = COALESCE(EXCLUDED.strike_date, events.strike_date),
        strike_period = COALESCE(EXCLUDED.strike_period, events.strike_period),
        exchange_index = COALESCE(EXCLUDED.exchange_index, events.exchange_index),
        updated_at = now()`;
    return null;
  }
  if (row.messageType === "event_fee_update") {
    const eventTicker = row.eventTicker as string;
    await tx`
      INSERT INTO events (event_ticker, series_ticker, fee_type_override,
        fee_multiplier_override, raw)
      VALUES (${eventTicker}, ${seriesTickerOf(eventTicker)}, ${str(msg.fee_type_override)},
        ${num(msg.fee_multiplier_override)}, ${JSON.stringify(msg)}::jsonb)
      ON CONFLICT (event_ticker) DO UPDATE SET
        fee_type_override = EXCLUDED.fee_type_override,
        fee_multiplier_override = EXCLUDED.fee_multiplier_override,
        updated_at = now()`;
    return null;
  }
  const ticker = row.marketTicker as string;
  switch (row.eventType) {
    case "created":
      return await createMarket(tx, row, msg);
    case "activated":
    case "deactivated": {
      const status = msg.is_deactivated === true || row.eventType === "deactivated"
        ? "inactive"
        : "active";
      await tx`UPDATE markets SET status = ${status}, updated_at = now() WHERE ticker = ${ticker}`;
      return null;
    }
    case "close_date_updated":
      await tx`
        UPDATE markets SET close_time = COALESCE(${secondsIso(msg.close_ts)}, close_time),
          updated_at = now()
        WHERE ticker = ${ticker}`;
      return null;
    case "determined":
      await tx`
        UPDATE markets SET status = 'determined', result = COALESCE(${str(msg.result)}, result),
          determination_ts = COALESCE(${secondsIso(msg.determination_ts)}, determination_ts),
          settlement_value = COALESCE(${settlementDollars(msg.settlement_value)}::numeric,
                                      settlement_value),
          updated_at = now()
        WHERE ticker = ${ticker}`;
      return null;
    case "settled":
      await tx`
        UPDATE markets SET status = 'finalized',
          settlement_ts = COALESCE(${secondsIso(msg.settled_ts)}, settlement_ts),
          updated_at = now()
        WHERE ticker = ${ticker}`;
      return null;
    case "metadata_updated":
      await tx`
        UPDATE markets SET
          strike_type = COALESCE(${str(msg.strike_type)}, strike_type),
          floor_strike = COALESCE(${num(msg.floor_strike)}::numeric, floor_strike),
          cap_strike = COALESCE(${num(msg.cap_strike)}::numeric, cap_strike),
          custom_strike = COALESCE(${
        msg.custom_strike ? JSON.stringify(msg.custom_strike) : null
      }::jsonb, custom_strike),
          yes_sub_title = COALESCE(${str(msg.yes_sub_title)}, yes_sub_title),
          updated_at = now()
        WHERE ticker = ${ticker}`;
      return null;
    case "price_level_structure_updated":
      await tx`
        UPDATE markets SET
          price_level_structure = COALESCE(${str(msg.price_level_structure)},
                                           price_level_structure),
          price_ranges = COALESCE(${
        msg.price_ranges ? JSON.stringify(msg.price_ranges) : null
      }::jsonb, price_ranges),
          updated_at = now()
        WHERE ticker = ${ticker}`;
      return null;
    default:
      return null; // kept in market_lifecycle; nothing to apply
  }
}

/**
 * Inserts a market first met through `created` from the message itself (the fallback row); the
 * new-markets hook then replaces it with REST's view, as discovery would.
 */
async function createMarket(tx: Tx, row: LifecycleRow, msg: Json): Promise<string | null> {
  const ticker = row.marketTicker as string;
  const meta = (msg.additional_metadata ?? {}) as Json;
  const eventTicker = str(meta.event_ticker) ?? eventTickerOf(ticker);
  const inserted = await tx`
    INSERT INTO markets (ticker, event_ticker, series_ticker, status, title, yes_sub_title,
      no_sub_title, rules_primary, rules_secondary, can_close_early, is_multivariate, open_time,
      close_time, expected_expiration_time, strike_type, floor_strike, cap_strike, custom_strike,
      price_level_structure, price_ranges, exchange_index, raw)
    VALUES (${ticker}, ${eventTicker},
      COALESCE((SELECT series_ticker FROM events WHERE event_ticker = ${eventTicker}),
               ${seriesTickerOf(eventTicker)}),
      'initialized', ${str(meta.title)}, ${str(meta.yes_sub_title)}, ${str(meta.no_sub_title)},
      ${str(meta.rules_primary)}, ${str(meta.rules_secondary)},
      ${typeof meta.can_close_early === "boolean" ? meta.can_close_early : null},
      ${row.messageType === "multivariate_market_lifecycle"}, ${secondsIso(msg.open_ts)},
      ${secondsIso(msg.close_ts)}, ${secondsIso(meta.expected_expiration_ts)},
      ${str(meta.strike_type)}, ${num(meta.floor_strike)}::numeric,
      ${num(meta.cap_strike)}::numeric,
      ${meta.custom_strike ? JSON.stringify(meta.custom_strike) : null}::jsonb,
      ${str(msg.price_level_structure)},
      ${msg.price_ranges ? JSON.stringify(msg.price_ranges) : null}::jsonb,
      ${num(msg.exchange_index)}::integer, ${JSON.stringify(msg)}::jsonb)
    ON CONFLICT (ticker) DO NOTHING
    RETURNING ticker`;
  return inserted.length > 0 ? ticker : null;
}
