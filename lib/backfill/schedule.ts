/**
 * Backfill scheduling: for every market, `candles` jobs at 1, 60 and 1440 minutes and `trades`
 * jobs covering open_time → min(close, now), extended by tail jobs while the market is open.
 * Candle jobs are cut on the shared window grid of `job.ts` ({@linkcode CANDLE_WINDOW_SECONDS}),
 * so the jobs of many markets fall into the same cell and workers fetch them together. Shared by rest_service (every market it
 * discovers) and ws_service (a market it meets first through a lifecycle message).
 *
 * Nothing is scheduled twice: per market and track a watermark (`backfill.scheduled` in
 * `ingest_state`, Unix seconds) records how far jobs exist; it moves in the same transaction
 * that inserts the jobs; chunk boundaries are aligned to a fixed grid and tails end on a coarse
 * grid of "now", so two passes close together produce the same jobs; and `job_key` is unique
 * (`ON CONFLICT DO NOTHING`). Scheduling transactions are serialised by an advisory lock, so
 * rest_service and ws_service can schedule the same market at once.
 * @module
 */
import type postgres from "postgres";
import { getIngestState, type IngestStateValue, type Sql } from "../db/mod.ts";
import { marketInScope, type Scope, seriesTickerOfEvent } from "../scope/mod.ts";
import { CANDLE_WINDOW_SECONDS, type CandlePeriod, jobKey, type NewJob } from "./job.ts";
import { alignedChunks, unixSeconds } from "./_ranges.ts";

/** Advisory lock serialising scheduling transactions (any process, any service). */
export const SCHEDULE_LOCK = 7240005001;

/** One schedule track of a market: a candle period or the trade history. */
export interface Track {
  /** Field of the `backfill.scheduled` watermark. */
  name: "candles1" | "candles60" | "candles1440" | "trades";
  /** Which job kind the track schedules. */
  kind: "candles" | "trades";
  /** Candle period (candles only). */
  period?: CandlePeriod;
  /** Seconds past close_time still covered (a candle ends at the end of its period). */
  pad: number;
  /** Chunk grid in seconds (candles: the shared window grid, far below 5000 periods). */
  chunk: number;
  /** Tails end on multiples of this many seconds. */
  grid: number;
}

/** The four tracks every market gets. */
export const TRACKS: readonly Track[] = [
  {
    name: "candles1",
    kind: "candles",
    period: 1,
    pad: 60,
    chunk: CANDLE_WINDOW_SECONDS[1],
    grid: 600,
  },
  {
    name: "candles60",
    kind: "candles",
    period: 60,
    pad: 3600,
    chunk: CANDLE_WINDOW_SECONDS[60],
    grid: 3600,
  },
  {
    name: "candles1440",
    kind: "candles",
    period: 1440,
    // Daily candles end at midnight US Eastern: at most a day after the close.
    pad: 86_400,
    chunk: CANDLE_WINDOW_SECONDS[1440],
    grid: 86_400,
  },
  { name: "trades", kind: "trades", pad: 0, chunk: 7 * 86_400, grid: 600 },
];

/** What the scheduler needs to know about a market (the normalised `Market` fits). */
export interface SchedulableMarket {
  /** The market's ticker. */
  ticker: string;
  /** Its event's ticker. */
  eventTicker: string;
  /** Series ticker (needed by the live candle endpoint); else the event ticker's prefix. */
  seriesTicker?: string | null;
  /** Kalshi's market status (`active`, `closed`, `settled`, …). */
  status: string;
  /** RFC 3339 or Date. */
  openTime: string | Date;
  /** RFC 3339 or Date. */
  closeTime: string | Date;
  /** RFC 3339 or Date; null until known. */
  settlementTs?: string | Date | null;
}

/** The historical cutoff (from `GET /historical/cutoff`). */
export interface Cutoff {
  /** Markets settled before this are served under `/historical/`. */
  marketSettledTs: string | Date;
  /** Trades created before this are served under `/historical/`. */
  tradesCreatedTs: string | Date;
}

/** Options of {@linkcode scheduleMarketBackfill} and {@linkcode planMarketJobs}. */
export interface ScheduleOptions {
  /** The current time (Unix ms or Date). */
  now: number | Date;
  /**
   * The historical cutoff; `undefined` reads the last one stored in `ingest_state`
   * (`historical.cutoff`); `null` means none known (everything live).
   */
  cutoff?: Cutoff | null;
  /** Seconds behind now a candle must end to be scheduled (default 120: let Kalshi settle it). */
  lagSeconds?: number;
  /** Priority of jobs of markets still open (default 10; closed markets get 0). */
  openPriority?: number;
}

/** Watermarks of one market: track name → scheduled through (Unix s, inclusive). */
export type Watermarks = IngestStateValue<"backfill.scheduled">;

/** What one scheduling call did. */
export interface ScheduleResult {
  /** Jobs inserted (new job keys). */
  inserted: number;
  /** Inserted jobs per kind. */
  kinds: Record<string, number>;
  /** Markets whose watermarks moved. */
  markets: number;
}

/** The latest second a track may be scheduled through at `nowS` (tail grid, minus lag). */
export function reachable(track: Track, nowS: number, lagSeconds: number): number {
  return Math.floor((nowS - lagSeconds) / track.grid) * track.grid;
}

/** The range a track must cover by now: [open, min(close + pad, reachable)], or null. */
export function requiredRange(
  track: Track,
  market: Pick<SchedulableMarket, "openTime" | "closeTime">,
  nowS: number,
  lagSeconds: number,
): readonly [number, number] | null {
  const open = unixSeconds(market.openTime);
  const to = Math.min(
    unixSeconds(market.closeTime) + track.pad,
    reachable(track, nowS, lagSeconds),
  );
  return to >= open ? [open, to] : null;
}

/**
 * Plans the jobs of one market from its watermarks (pure): the ranges after each watermark up to
 * what is reachable now, chunked on the track's grid, trades split at the trades cutoff.
 * Returns the jobs and the new watermarks.
 */
export function planMarketJobs(
  market: SchedulableMarket,
  watermarks: Watermarks,
  options: ScheduleOptions & { cutoff: Cutoff | null },
): { jobs: NewJob[]; watermarks: Watermarks } {
  const nowS = unixSeconds(options.now);
  const lag = options.lagSeconds ?? 120;
  const closeS = unixSeconds(market.closeTime);
  const seriesTicker = market.seriesTicker || seriesTickerOfEvent(market.eventTicker);
  const settledS = market.settlementTs ? unixSeconds(market.settlementTs) : null;
  const historicalMarket = options.cutoff !== null && settledS !== null &&
    settledS < unixSeconds(options.cutoff.marketSettledTs);
  const tradesCut = options.cutoff === null ? null : unixSeconds(options.cutoff.tradesCreatedTs);
  const priority = closeS > nowS ? options.openPriority ?? 10 : 0;
  const jobs: NewJob[] = [];
  const next: Watermarks = { ...watermarks };
  for (const track of TRACKS) {
    const range = requiredRange(track, market, nowS, lag);
    if (range === null) continue;
    const through = watermarks[track.name];
    const from = through === undefined ? range[0] : Math.max(range[0], through + 1);
    if (from > range[1]) continue;
    const cuts = track.kind === "trades" && tradesCut !== null ? [tradesCut] : [];
    for (const [start, end] of alignedChunks(from, range[1], track.chunk, cuts)) {
      if (track.kind === "candles") {
        jobs.push({
          kind: "candles",
          priority,
          payload: {
            ticker: market.ticker,
            series_ticker: seriesTicker,
            period_minutes: track.period!,
            start_ts: start,
            end_ts: end,
            historical: historicalMarket,
          },
        });
      } else {
        jobs.push({
          kind: "trades",
          priority,
          payload: {
            ticker: market.ticker,
            min_ts: start,
            max_ts: end,
            historical: tradesCut !== null && end < tradesCut,
          },
        });
      }
    }
    next[track.name] = range[1];
  }
  return { jobs, watermarks: next };
}

/**
 * Jobs as the rows of a `jsonb_to_recordset(...) AS r(kind text, job_key text, payload jsonb,
 * priority integer)` insert.
 */
export function jobRows(jobs: readonly NewJob[]): postgres.JSONValue {
  return jobs.map((job) => ({
    kind: job.kind,
    job_key: jobKey(job),
    payload: job.payload as unknown as postgres.JSONValue,
    priority: job.priority ?? 0,
  }));
}

/** Inserts jobs (one statement); returns the kinds of those that were new. */
export async function insertJobs(
  sql: Sql | postgres.TransactionSql,
  jobs: readonly NewJob[],
  options: { now: number | Date },
): Promise<string[]> {
  if (jobs.length === 0) return [];
  const runAfter = new Date(unixSeconds(options.now) * 1000).toISOString();
  const inserted = await sql<{ kind: string }[]>`
    INSERT INTO backfill_jobs (kind, job_key, payload, priority, run_after)
    SELECT r.kind, r.job_key, r.payload, r.priority, ${runAfter}::timestamptz
    FROM jsonb_to_recordset(${sql.json(jobRows(jobs))}::jsonb)
      AS r(kind text, job_key text, payload jsonb, priority integer)
    ON CONFLICT (job_key) DO NOTHING
    RETURNING kind`;
  return inserted.map((r) => r.kind);
}

/** Reads the last stored historical cutoff, or null. */
export async function storedCutoff(sql: Sql): Promise<Cutoff | null> {
  const value = await getIngestState(sql, "historical.cutoff");
  return value === undefined
    ? null
    : { marketSettledTs: value.marketSettledTs, tradesCreatedTs: value.tradesCreatedTs };
}

/**
 * Schedules the backfill of `markets` (jobs and watermarks in one transaction). Safe to call
 * again with the same markets: only what became reachable since is added.
 */
export async function scheduleMarketBackfill(
  sql: Sql,
  markets: readonly SchedulableMarket[],
  options: ScheduleOptions,
): Promise<ScheduleResult> {
  const result: ScheduleResult = { inserted: 0, kinds: {}, markets: 0 };
  if (markets.length === 0) return result;
  const cutoff = options.cutoff === undefined ? await storedCutoff(sql) : options.cutoff;
  const unique = [...new Map(markets.map((m) => [m.ticker, m])).values()];
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${SCHEDULE_LOCK})`;
    const tickers = unique.map((m) => m.ticker);
    const stored = await tx<{ scope: string; value: Watermarks }[]>`
      SELECT scope, value FROM ingest_state
      WHERE key = 'backfill.scheduled' AND scope = ANY(${tickers}::text[])`;
    const marks = new Map(stored.map((r) => [r.scope, r.value]));
    const jobs: NewJob[] = [];
    const moved: { scope: string; value: Watermarks }[] = [];
    for (const market of unique) {
      const before = marks.get(market.ticker) ?? {};
      const plan = planMarketJobs(market, before, { ...options, cutoff });
      if (plan.jobs.length === 0) continue;
      jobs.push(...plan.jobs);
      moved.push({ scope: market.ticker, value: plan.watermarks });
    }
    const kinds = await insertJobs(tx, jobs, options);
    if (moved.length > 0) {
      await tx`
        INSERT INTO ingest_state (key, scope, value, updated_at)
        SELECT 'backfill.scheduled', r.scope, r.value, now()
        FROM jsonb_to_recordset(${tx.json(moved as unknown as postgres.JSONValue)}::jsonb)
          AS r(scope text, value jsonb)
        ON CONFLICT (key, scope) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
        WHERE ingest_state.value IS DISTINCT FROM EXCLUDED.value`;
    }
    result.inserted = kinds.length;
    for (const k of kinds) result.kinds[k] = (result.kinds[k] ?? 0) + 1;
    result.markets = moved.length;
  });
  return result;
}

/**
 * A stored market joined with its event's strike period and its series' category and frequency,
 * as {@linkcode scheduleDueBackfill} and the coverage audit read it.
 */
export interface StoredMarketRow {
  ticker: string;
  event_ticker: string;
  series_ticker: string | null;
  status: string;
  open_time: Date;
  close_time: Date;
  settlement_ts: Date | null;
  mve_collection_ticker: string | null;
  category: string | null;
  categories: string[] | null;
  frequency: string | null;
  strike_period: string | null;
}

/**
 * Whether a stored market is in `scope` (always, without one). Status is ignored: a stored market
 * is scheduled and audited to its close whatever its status becomes.
 */
export function storedMarketInScope(scope: Scope | undefined, row: StoredMarketRow): boolean {
  if (!scope) return true;
  const seriesTicker = row.series_ticker ?? seriesTickerOfEvent(row.event_ticker);
  return marketInScope(
    scope,
    {
      ticker: row.ticker,
      eventTicker: row.event_ticker,
      status: row.status,
      mveCollectionTicker: row.mve_collection_ticker,
      seriesTicker: row.series_ticker,
    },
    row.strike_period === null ? undefined : {
      eventTicker: row.event_ticker,
      seriesTicker,
      strikePeriod: row.strike_period,
    },
    row.category === null && row.frequency === null ? undefined : {
      ticker: seriesTicker,
      category: row.category,
      categories: row.categories,
      frequency: row.frequency,
    },
    { ignoreStatus: true },
  );
}

/** Options of {@linkcode scheduleDueBackfill}. */
export interface DueOptions extends ScheduleOptions {
  /** Only markets in this scope (status ignored: a stored market is scheduled to its close). */
  scope?: Scope;
  /** Markets per transaction (default 500). */
  batchSize?: number;
  /** Called after each batch that inserted jobs (e.g. to publish a notification). */
  onBatch?: (result: ScheduleResult) => void | Promise<void>;
  /** Stops between batches. */
  signal?: AbortSignal;
}

/**
 * Schedules every stored market whose watermarks lag what is reachable now, in batches (one
 * transaction each). Returns the totals.
 */
export async function scheduleDueBackfill(
  sql: Sql,
  options: DueOptions,
): Promise<ScheduleResult & { considered: number }> {
  const nowS = unixSeconds(options.now);
  const lag = options.lagSeconds ?? 120;
  const batch = options.batchSize ?? 500;
  const cutoff = options.cutoff === undefined ? await storedCutoff(sql) : options.cutoff;
  const reach = Object.fromEntries(TRACKS.map((t) => [t.name, reachable(t, nowS, lag)]));
  const total = { inserted: 0, kinds: {} as Record<string, number>, markets: 0, considered: 0 };
  let after = "";
  for (;;) {
    options.signal?.throwIfAborted();
    // A market is due when some track's watermark is below min(close + pad, reachable).
    const rows = await sql<StoredMarketRow[]>`
      SELECT m.ticker, m.event_ticker, m.series_ticker, m.status, m.open_time, m.close_time,
        m.settlement_ts, m.mve_collection_ticker, s.category, s.categories, s.frequency,
        e.strike_period
      FROM markets m
      CROSS JOIN LATERAL (
        SELECT extract(epoch FROM m.open_time)::bigint AS open_s,
          least(extract(epoch FROM m.close_time)::bigint + 60, ${reach.candles1}::bigint) AS t1,
          least(extract(epoch FROM m.close_time)::bigint + 3600, ${reach.candles60}::bigint)
            AS t60,
          least(extract(epoch FROM m.close_time)::bigint + 86400, ${reach.candles1440}::bigint)
            AS t1440,
          least(extract(epoch FROM m.close_time)::bigint, ${reach.trades}::bigint) AS tt
      ) t
      LEFT JOIN ingest_state w ON w.key = 'backfill.scheduled' AND w.scope = m.ticker
      LEFT JOIN events e ON e.event_ticker = m.event_ticker
      LEFT JOIN series s ON s.ticker = coalesce(m.series_ticker, e.series_ticker)
      WHERE m.ticker > ${after} AND m.open_time IS NOT NULL AND m.close_time IS NOT NULL
        AND (
          (t.open_s <= t.t1 AND coalesce((w.value ->> 'candles1')::bigint, -1) < t.t1)
          OR (t.open_s <= t.t60 AND coalesce((w.value ->> 'candles60')::bigint, -1) < t.t60)
          OR (t.open_s <= t.t1440
            AND coalesce((w.value ->> 'candles1440')::bigint, -1) < t.t1440)
          OR (t.open_s <= t.tt AND coalesce((w.value ->> 'trades')::bigint, -1) < t.tt)
        )
      ORDER BY m.ticker
      LIMIT ${batch}`;
    if (rows.length === 0) break;
    after = rows[rows.length - 1].ticker;
    const markets: SchedulableMarket[] = rows
      .filter((r) => storedMarketInScope(options.scope, r))
      .map((r) => ({
        ticker: r.ticker,
        eventTicker: r.event_ticker,
        seriesTicker: r.series_ticker,
        status: r.status,
        openTime: r.open_time,
        closeTime: r.close_time,
        settlementTs: r.settlement_ts,
      }));
    total.considered += markets.length;
    const result = await scheduleMarketBackfill(sql, markets, { ...options, cutoff });
    total.inserted += result.inserted;
    total.markets += result.markets;
    for (const [k, n] of Object.entries(result.kinds)) total.kinds[k] = (total.kinds[k] ?? 0) + n;
    if (result.inserted > 0) await options.onBatch?.(result);
    if (rows.length < batch) break;
  }
  return total;
}
