/**
 * The coverage audit: compares what every market should have by now (its schedule tracks from
 * open to min(close, now)) with the backfill jobs that exist, schedules exactly the ranges no live
 * job covers (or revives the dead job that covered them), stamps capture gaps whose span is now
 * covered by finished candle and trade jobs, and lists closed markets whose settlement fields are
 * still missing (the caller re-reads them from Kalshi).
 *
 * Candles are sparse (a quiet minute has none), so coverage is judged by finished jobs, not by
 * counting candle rows.
 * @module
 */
import { type Queryable, setIngestState, type Sql } from "../db/mod.ts";
import type { Scope } from "../scope/mod.ts";
import type { NewJob } from "./job.ts";
import { type Range, subtractRanges, unixSeconds } from "./_ranges.ts";
import {
  type Cutoff,
  jobRows,
  planMarketJobs,
  requiredRange,
  SCHEDULE_LOCK,
  storedCutoff,
  storedMarketInScope,
  type StoredMarketRow,
  type Track,
  TRACKS,
  type Watermarks,
} from "./schedule.ts";

/** Options of {@linkcode auditCoverage}. */
export interface AuditOptions {
  /** The current time (Unix ms or Date). */
  now: number | Date;
  /** Only markets in this scope (status ignored). */
  scope?: Scope;
  /** As in scheduling (default 120). */
  lagSeconds?: number;
  /** Markets per batch (default 500). */
  batchSize?: number;
  /** A dead job is revived when it has been dead this long (default 6 h). */
  reviveDeadAfterMs?: number;
  /** A market closed this long without settlement fields is reported (default 1 h). */
  settlementGraceSeconds?: number;
  /** At most this many unsettled tickers are reported per audit (default 1000). */
  settlementLimit?: number;
  /** Historical cutoff; default the stored one. */
  cutoff?: Cutoff | null;
  /** Stops between batches. */
  signal?: AbortSignal;
}

/** What an audit found and did. */
export interface AuditReport {
  /** Markets examined. */
  markets: number;
  /** Market × track pairs (1/60/1440-minute candles, trades) not yet covered by finished jobs. */
  uncoveredMarketPeriods: number;
  /** Ranges inside the scheduled span that no pending, running or finished job covered. */
  holes: number;
  /** New jobs inserted for holes. */
  jobsScheduled: number;
  /** Dead jobs put back to pending. */
  jobsRevived: number;
  /** Capture gaps stamped `filled_at` in this audit. */
  gapsFilled: number;
  /** Capture gaps still waiting for jobs. */
  gapsOpen: number;
  /** Closed markets still without result/settlement after the grace period. */
  unsettledTickers: string[];
}

interface JobRange {
  ticker: string;
  track: Track["name"];
  state: string;
  start: number;
  end: number;
}

interface MarketRow extends StoredMarketRow {
  watermarks: Watermarks | null;
}

async function jobRanges(
  sql: Sql,
  tickers: readonly string[],
): Promise<Map<string, JobRange[]>> {
  const rows = await sql<
    { ticker: string; kind: string; state: string; payload: Record<string, unknown> }[]
  >`
    SELECT payload ->> 'ticker' AS ticker, kind, state, payload
    FROM backfill_jobs
    WHERE payload ->> 'ticker' = ANY(${tickers as string[]}::text[])
      AND kind IN ('candles', 'trades')`;
  const out = new Map<string, JobRange[]>();
  for (const r of rows) {
    const p = r.payload;
    const range: JobRange | null = r.kind === "candles"
      ? {
        ticker: r.ticker,
        track: `candles${p.period_minutes}` as Track["name"],
        state: r.state,
        start: Number(p.start_ts),
        end: Number(p.end_ts),
      }
      : {
        ticker: r.ticker,
        track: "trades",
        state: r.state,
        start: Number(p.min_ts),
        end: Number(p.max_ts),
      };
    if (!Number.isFinite(range.start) || !Number.isFinite(range.end)) continue;
    const list = out.get(r.ticker) ?? [];
    list.push(range);
    out.set(r.ticker, list);
  }
  return out;
}

/** Inserts hole jobs; a key that exists as a long-dead job is revived. */
async function insertOrRevive(
  sql: Queryable,
  jobs: readonly NewJob[],
  now: Date,
  reviveBefore: Date,
): Promise<{ inserted: number; revived: number }> {
  if (jobs.length === 0) return { inserted: 0, revived: 0 };
  const result = await sql<{ inserted: boolean }[]>`
    INSERT INTO backfill_jobs AS b (kind, job_key, payload, priority, run_after)
    SELECT r.kind, r.job_key, r.payload, r.priority, ${now}
    FROM jsonb_to_recordset(${sql.json(jobRows(jobs))}::jsonb)
      AS r(kind text, job_key text, payload jsonb, priority integer)
    ON CONFLICT (job_key) DO UPDATE SET
      state = 'pending', attempts = 0, run_after = ${now}, lease_owner = NULL,
      lease_expires_at = NULL, finished_at = NULL, updated_at = now(),
      last_error = 'revived by the coverage audit; before: ' || coalesce(b.last_error, '')
    WHERE b.state = 'dead' AND b.updated_at < ${reviveBefore}
    RETURNING (xmax = 0) AS inserted`;
  const inserted = result.filter((r) => r.inserted).length;
  return { inserted, revived: result.length - inserted };
}

function holeJobs(
  market: MarketRow,
  track: Track,
  hole: Range,
  cutoff: Cutoff | null,
  nowS: number,
): NewJob[] {
  // Reuse the scheduler's payload rules on the hole alone: a plan from "just before the hole"
  // to its end, cut to the hole.
  const plan = planMarketJobs(
    {
      ticker: market.ticker,
      eventTicker: market.event_ticker,
      seriesTicker: market.series_ticker,
      status: market.status,
      openTime: new Date(hole[0] * 1000),
      closeTime: new Date((hole[1] - track.pad) * 1000),
      settlementTs: market.settlement_ts,
    },
    {},
    { now: (hole[1] + 86_400 * 2) * 1000, cutoff, lagSeconds: 0 },
  );
  const priority = unixSeconds(market.close_time) > nowS ? 10 : 0;
  return plan.jobs.filter((j) =>
    track.kind === "candles"
      ? j.kind === "candles" && j.payload.period_minutes === track.period
      : j.kind === "trades"
  ).map((j) => ({ ...j, priority }));
}

/** Audits coverage of every stored market (in batches) and of open capture gaps. */
export async function auditCoverage(sql: Sql, options: AuditOptions): Promise<AuditReport> {
  const now = options.now instanceof Date ? options.now : new Date(options.now);
  const nowS = unixSeconds(now);
  const lag = options.lagSeconds ?? 120;
  const batch = options.batchSize ?? 500;
  const reviveBefore = new Date(now.getTime() - (options.reviveDeadAfterMs ?? 6 * 3_600_000));
  const cutoff = options.cutoff === undefined ? await storedCutoff(sql) : options.cutoff;
  const report: AuditReport = {
    markets: 0,
    uncoveredMarketPeriods: 0,
    holes: 0,
    jobsScheduled: 0,
    jobsRevived: 0,
    gapsFilled: 0,
    gapsOpen: 0,
    unsettledTickers: [],
  };
  let after = "";
  for (;;) {
    options.signal?.throwIfAborted();
    const rows = await sql<MarketRow[]>`
      SELECT m.ticker, m.event_ticker, m.series_ticker, m.status, m.open_time, m.close_time,
        m.settlement_ts, m.mve_collection_ticker, s.category, s.categories, s.frequency,
        e.strike_period, w.value AS watermarks
      FROM markets m
      LEFT JOIN ingest_state w ON w.key = 'backfill.scheduled' AND w.scope = m.ticker
      LEFT JOIN events e ON e.event_ticker = m.event_ticker
      LEFT JOIN series s ON s.ticker = coalesce(m.series_ticker, e.series_ticker)
      WHERE m.ticker > ${after} AND m.open_time <= ${now} AND m.close_time IS NOT NULL
      ORDER BY m.ticker
      LIMIT ${batch}`;
    if (rows.length === 0) break;
    after = rows[rows.length - 1].ticker;
    const markets = rows.filter((r) => storedMarketInScope(options.scope, r));
    report.markets += markets.length;
    const jobsByTicker = await jobRanges(sql, markets.map((m) => m.ticker));
    const holes: NewJob[] = [];
    for (const market of markets) {
      const jobs = jobsByTicker.get(market.ticker) ?? [];
      const marks = market.watermarks ?? {};
      for (const track of TRACKS) {
        const mine = jobs.filter((j) => j.track === track.name);
        const succeeded = mine.filter((j) => j.state === "succeeded")
          .map((j) => [j.start, j.end] as const);
        const live = mine.filter((j) => j.state !== "dead").map((j) => [j.start, j.end] as const);
        const required = requiredRange(
          track,
          {
            openTime: market.open_time,
            closeTime: market.close_time,
          },
          nowS,
          lag,
        );
        if (required && subtractRanges(required, succeeded).length > 0) {
          report.uncoveredMarketPeriods++;
        }
        const through = marks[track.name];
        if (through === undefined) continue;
        const scheduled: Range = [unixSeconds(market.open_time), through];
        for (const hole of subtractRanges(scheduled, live)) {
          report.holes++;
          holes.push(...holeJobs(market, track, hole, cutoff, nowS));
        }
      }
    }
    if (holes.length > 0) {
      const done = await sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${SCHEDULE_LOCK})`;
        return await insertOrRevive(tx, holes, now, reviveBefore);
      });
      report.jobsScheduled += done.inserted;
      report.jobsRevived += done.revived;
    }
    if (rows.length < batch) break;
  }
  await auditCaptureGaps(sql, { now, scope: options.scope }, report);
  const graceBefore = new Date(now.getTime() - (options.settlementGraceSeconds ?? 3600) * 1000);
  const unsettled = await sql<{ ticker: string }[]>`
    SELECT ticker FROM markets
    WHERE close_time < ${graceBefore}
      AND (status <> 'finalized' OR coalesce(result, '') = '' OR settlement_ts IS NULL)
    ORDER BY close_time, ticker
    LIMIT ${options.settlementLimit ?? 1000}`;
  report.unsettledTickers = unsettled.map((r) => r.ticker);
  await setIngestState(sql, {
    key: "coverage.audited_through",
    value: { through: now.toISOString() },
  });
  return report;
}

async function unknownTickers(sql: Sql, tickers: readonly string[]): Promise<string[]> {
  const known = await sql<{ ticker: string }[]>`
    SELECT ticker FROM markets WHERE ticker = ANY(${tickers as string[]}::text[])`;
  const found = new Set(known.map((r) => r.ticker));
  return [...new Set(tickers)].filter((t) => !found.has(t));
}

/**
 * A capture gap is filled once, for every market it concerns, its span is covered by finished
 * 1-minute candle and trade jobs. Gaps without a market list (a restart, a lifecycle channel)
 * concern every market in scope open then; a gap listing a market that is not stored yet stays
 * open until discovery stores it.
 */
async function auditCaptureGaps(
  sql: Sql,
  options: { now: Date; scope: AuditOptions["scope"] },
  report: AuditReport,
): Promise<void> {
  const { now } = options;
  const gaps = await sql<
    { id: string; market_tickers: string[] | null; gap_start: Date; gap_end: Date }[]
  >`
    SELECT id, market_tickers, gap_start, gap_end FROM capture_gaps
    WHERE filled_at IS NULL AND gap_start <= ${now}
    ORDER BY gap_start`;
  for (const gap of gaps) {
    const gs = unixSeconds(gap.gap_start);
    const ge = Math.ceil(gap.gap_end.getTime() / 1000);
    const rows = await sql<StoredMarketRow[]>`
      SELECT m.ticker, m.event_ticker, m.series_ticker, m.status, m.open_time, m.close_time,
        m.settlement_ts, m.mve_collection_ticker, s.category, s.categories, s.frequency,
        e.strike_period
      FROM markets m
      LEFT JOIN events e ON e.event_ticker = m.event_ticker
      LEFT JOIN series s ON s.ticker = coalesce(m.series_ticker, e.series_ticker)
      WHERE m.open_time < ${gap.gap_end} AND m.close_time > ${gap.gap_start}
        AND (${gap.market_tickers}::text[] IS NULL OR m.ticker = ANY(${gap.market_tickers}::text[]))`;
    const markets = gap.market_tickers === null
      ? rows.filter((r) => storedMarketInScope(options.scope, r))
      : rows;
    const jobs = await jobRanges(sql, markets.map((m) => m.ticker));
    // A listed market discovery has not stored yet has no jobs to judge: the gap stays open.
    let covered = gap.market_tickers === null ||
      (await unknownTickers(sql, gap.market_tickers)).length === 0;
    for (const m of covered ? markets : []) {
      const open = unixSeconds(m.open_time);
      const close = unixSeconds(m.close_time);
      const done = (jobs.get(m.ticker) ?? []).filter((j) => j.state === "succeeded");
      const need: [Track["name"], Range][] = [
        ["candles1", [Math.max(gs, open), Math.min(ge + 60, close + 60)]],
        ["trades", [Math.max(gs, open), Math.min(ge, close)]],
      ];
      for (const [track, range] of need) {
        if (range[1] < range[0]) continue;
        const have = done.filter((j) => j.track === track).map((j) => [j.start, j.end] as const);
        if (subtractRanges(range, have).length > 0) covered = false;
      }
      if (!covered) break;
    }
    if (covered) {
      await sql`UPDATE capture_gaps SET filled_at = ${now} WHERE id = ${gap.id} AND filled_at IS NULL`;
      report.gapsFilled++;
    } else {
      report.gapsOpen++;
    }
  }
}
