/**
 * Runs claimed backfill jobs: validates payloads, fetches candles (batched where jobs share a
 * window) and trades (live and historical tiers, cursor pagination), and commits each job's
 * rows, its high-water mark and its completion in one transaction. A failure is recorded on the
 * job (retry with backoff, dead after `max_attempts`); nothing here throws for a bad job.
 * @module
 */
import type { Queryable, Sql } from "../db/mod.ts";
import {
  type CandleQuery,
  type Candlestick,
  KalshiHttpError,
  type KalshiRestClient,
  type Trade,
} from "../kalshi/mod.ts";
import type { Logger } from "../log/mod.ts";
import {
  type CandleUnit,
  type CandleWork,
  inWindow,
  overlaps,
  planCandleUnits,
} from "./candle_plan.ts";
import { type ClaimedJob, completeJob, failJob, LeaseLostError, retryDelayMs } from "./claim.ts";
import {
  type CandleJobPayload,
  candleJobPayloadSchema,
  type TradeJobPayload,
  tradeJobPayloadSchema,
} from "./job.ts";
import { advanceWatermark, type CandleSource, storeCandles, storeTrades } from "./store.ts";

/** Counters the workers of one process share (progress log and /metrics read them). */
export interface BackfillStats {
  /** Jobs completed by this process. */
  jobsDone: number;
  /** Attempts that failed and were scheduled for retry. */
  attemptsFailed: number;
  /** Jobs this process marked dead. */
  jobsDead: number;
  /** Candle rows written. */
  candles: number;
  /** New trade rows written. */
  trades: number;
  /** Kalshi calls made (retries inside the client not counted). */
  requests: number;
  /** Of those, candlestick calls (batch, single-market and historical). */
  candleRequests: number;
}

/** Fresh zeroed counters. */
export function createBackfillStats(): BackfillStats {
  return {
    jobsDone: 0,
    attemptsFailed: 0,
    jobsDead: 0,
    candles: 0,
    trades: 0,
    requests: 0,
    candleRequests: 0,
  };
}

/** The historical cutoff, Unix seconds. */
export interface CutoffTimes {
  marketSettledTs: number;
  tradesCreatedTs: number;
}

/** What job execution needs. */
export interface ExecuteDeps {
  sql: Sql;
  client: KalshiRestClient;
  logger: Logger;
  /** Aborts in-flight requests (shutdown); unfinished jobs are left to the caller to release. */
  signal: AbortSignal;
  stats: BackfillStats;
  /** The current historical cutoff (cached by the caller). */
  cutoff: () => Promise<CutoffTimes>;
  /** Current time, Unix ms (watermarks never pass it). */
  nowMs?: () => number;
  /** First retry delay (doubles per attempt); default 5 s. */
  retryBaseMs?: number;
  /** Tries of a store transaction that failed for a database reason (default 3). */
  storeAttempts?: number;
  /** Wait between store tries (default 1 s). */
  sleep?: (ms: number) => Promise<void>;
}

/** Trades walk the live tier when the window reaches this close to the cutoff (cutoff moves). */
const CUTOFF_MARGIN_S = 2 * 86_400;

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function isNotFound(error: unknown): boolean {
  return error instanceof KalshiHttpError && error.status === 404;
}

/** A job's outcome, reported to the caller as soon as it is final. */
export type JobOutcome = "succeeded" | "retry" | "dead" | "lease_lost";

/**
 * Runs `jobs` to an outcome each, calling `onFinished` as each one settles. Jobs still open when
 * the signal aborts are not reported: the caller releases their leases.
 */
export async function executeJobs(
  deps: ExecuteDeps,
  jobs: readonly ClaimedJob[],
  onFinished: (job: ClaimedJob, outcome: JobOutcome) => void,
): Promise<void> {
  const candleWork: CandleWork<ClaimedJob>[] = [];
  const tradeWork: { job: ClaimedJob; payload: TradeJobPayload }[] = [];
  for (const job of jobs) {
    const schema = job.kind === "candles"
      ? candleJobPayloadSchema
      : job.kind === "trades"
      ? tradeJobPayloadSchema
      : null;
    if (schema === null) {
      await fail(deps, job, `unknown job kind "${job.kind}"`, true, onFinished);
      continue;
    }
    const parsed = schema.safeParse(job.payload);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) =>
        `${i.path.join(".") || "payload"}: ${i.message}`
      );
      await fail(deps, job, `invalid ${job.kind} payload: ${issues.join("; ")}`, true, onFinished);
      continue;
    }
    if (job.kind === "candles") {
      candleWork.push({ job, payload: parsed.data as CandleJobPayload });
    } else tradeWork.push({ job, payload: parsed.data as TradeJobPayload });
  }
  // Fetching the next unit overlaps committing the previous one: the Kalshi rate limit, not the
  // database round trips, should bound a worker (at most one commit in flight per worker).
  const steps: (() => Promise<Commit | null>)[] = [
    ...planCandleUnits(candleWork).map((unit) => () => fetchCandleUnit(deps, unit, onFinished)),
    ...tradeWork.map((w) => () => fetchTradeJob(deps, w.job, w.payload, onFinished)),
  ];
  let committing: Promise<void> = Promise.resolve();
  try {
    for (const step of steps) {
      if (deps.signal.aborted) return;
      const next = await step();
      await committing;
      if (next === null || deps.signal.aborted) continue;
      committing = next().catch((error) => {
        deps.logger.error("committing jobs failed unexpectedly; their leases will expire", {
          error: describe(error),
        });
      });
    }
  } finally {
    await committing;
  }
}

/** Stores fetched rows (a step's second half); never throws for a job's failure. */
type Commit = () => Promise<void>;

async function fail(
  deps: ExecuteDeps,
  job: ClaimedJob,
  error: string,
  permanent: boolean,
  onFinished: (job: ClaimedJob, outcome: JobOutcome) => void,
): Promise<void> {
  let outcome: JobOutcome;
  try {
    outcome = await failJob(deps.sql, job, error, {
      permanent,
      retryDelayMs: retryDelayMs(job.attempts, { baseMs: deps.retryBaseMs }),
    });
  } catch (dbError) {
    // The database is away: the lease expires and the job is claimed again later.
    deps.logger.warn("could not record a job failure; its lease will expire", {
      job: job.jobKey,
      error,
      db_error: describe(dbError),
    });
    return;
  }
  if (outcome === "dead") deps.stats.jobsDead++;
  if (outcome === "retry") deps.stats.attemptsFailed++;
  const log = outcome === "dead" ? deps.logger.error : deps.logger.warn;
  log(outcome === "dead" ? "backfill job dead" : "backfill job failed; will retry", {
    job: job.jobKey,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    error,
  });
  onFinished(job, outcome);
}

/** Commits one job's rows with its completion, retrying transient database failures. */
async function commit(
  deps: ExecuteDeps,
  job: ClaimedJob,
  write: (tx: Queryable) => Promise<{ candles?: number; trades?: number }>,
  onFinished: (job: ClaimedJob, outcome: JobOutcome) => void,
): Promise<void> {
  const attempts = deps.storeAttempts ?? 3;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (let attempt = 1;; attempt++) {
    try {
      const written = await deps.sql.begin(async (tx) => {
        const counts = await write(tx);
        await completeJob(tx, job);
        return counts;
      });
      deps.stats.candles += written.candles ?? 0;
      deps.stats.trades += written.trades ?? 0;
      deps.stats.jobsDone++;
      onFinished(job, "succeeded");
      return;
    } catch (error) {
      if (error instanceof LeaseLostError) {
        deps.logger.warn("lease lost before commit; rows rolled back", { job: job.jobKey });
        onFinished(job, "lease_lost");
        return;
      }
      if (attempt >= attempts || deps.signal.aborted) {
        await fail(deps, job, `storing failed: ${describe(error)}`, false, onFinished);
        return;
      }
      deps.logger.warn("storing a job failed; retrying", {
        job: job.jobKey,
        attempt,
        error: describe(error),
      });
      await sleep(1000 * attempt);
    }
  }
}

function nowTs(deps: ExecuteDeps): number {
  return Math.floor((deps.nowMs?.() ?? Date.now()) / 1000);
}

async function fetchOneMarket(
  deps: ExecuteDeps,
  payload: CandleJobPayload,
  query: CandleQuery,
  preferHistorical: boolean,
): Promise<{ candles: Candlestick[]; source: CandleSource }> {
  const call = { signal: deps.signal };
  const live = async () => {
    deps.stats.requests++;
    deps.stats.candleRequests++;
    const r = await deps.client.getMarketCandlesticks(
      { seriesTicker: payload.series_ticker, ticker: payload.ticker },
      query,
      call,
    );
    return { candles: r.candlesticks, source: "live" as const };
  };
  const historical = async () => {
    deps.stats.requests++;
    deps.stats.candleRequests++;
    const r = await deps.client.getHistoricalCandlesticks(payload.ticker, query, call);
    return { candles: r.candlesticks, source: "historical" as const };
  };
  const [first, second] = preferHistorical ? [historical, live] : [live, historical];
  try {
    return await first();
  } catch (error) {
    // The cutoff moved (or the scheduler guessed the tier wrong): the other tier has it.
    if (!isNotFound(error)) throw error;
    return await second();
  }
}

/** Fetches one unit's candles; returns the commit of its jobs (null when aborted). */
async function fetchCandleUnit(
  deps: ExecuteDeps,
  unit: CandleUnit<ClaimedJob>,
  onFinished: (job: ClaimedJob, outcome: JobOutcome) => void,
): Promise<Commit | null> {
  const found = new Map<ClaimedJob, { candles: Candlestick[]; source: CandleSource }>();
  const failed = new Map<ClaimedJob, string>();
  for (const w of unit.work) found.set(w.job, { candles: [], source: "live" });
  const keep = (
    w: CandleWork<ClaimedJob>,
    candles: readonly Candlestick[],
    source?: CandleSource,
  ) => {
    const entry = found.get(w.job)!;
    // A request may cover more than the job's window (a batch asks for the union of windows).
    for (const c of candles) if (inWindow(w, c.endPeriodTs)) entry.candles.push(c);
    if (source) entry.source = source;
  };
  for (const window of unit.windows) {
    const query: CandleQuery = {
      startTs: window.startTs,
      endTs: window.endTs,
      periodInterval: unit.periodMinutes,
    };
    const pending = unit.work.filter((w) => !failed.has(w.job) && overlaps(w, window));
    if (pending.length === 0) continue;
    if (unit.endpoint === "batch") {
      let alone = pending;
      if (pending.length > 1) {
        try {
          deps.stats.requests++;
          deps.stats.candleRequests++;
          const markets = await deps.client.getBatchCandlesticks(
            pending.map((w) => w.payload.ticker),
            query,
            { signal: deps.signal },
          );
          const byTicker = new Map(markets.map((m) => [m.ticker, m.candlesticks]));
          alone = [];
          for (const w of pending) {
            const candles = byTicker.get(w.payload.ticker);
            // Absent from the batch answer: archived since scheduling, or unknown; ask alone.
            if (candles === undefined) alone.push(w);
            else keep(w, candles);
          }
        } catch (error) {
          if (deps.signal.aborted) return null;
          for (const w of pending) failed.set(w.job, describe(error));
          continue;
        }
      }
      for (const w of alone) {
        try {
          const r = await fetchOneMarket(deps, w.payload, query, false);
          keep(w, r.candles, r.source);
        } catch (error) {
          if (deps.signal.aborted) return null;
          failed.set(w.job, describe(error));
        }
      }
      continue;
    }
    // One market, adjacent windows: one request serves every job it overlaps.
    try {
      const r = await fetchOneMarket(
        deps,
        pending[0].payload,
        query,
        unit.endpoint === "historical",
      );
      for (const w of pending) keep(w, r.candles, r.source);
    } catch (error) {
      if (deps.signal.aborted) return null;
      for (const w of pending) failed.set(w.job, describe(error));
    }
  }
  if (deps.signal.aborted) return null;
  return async () => {
    for (const w of unit.work) {
      const error = failed.get(w.job);
      if (error !== undefined) {
        await fail(deps, w.job, error, false, onFinished);
        continue;
      }
      const { candles, source } = found.get(w.job)!;
      await commit(deps, w.job, async (tx) => {
        const candleCount = await storeCandles(tx, {
          ticker: w.payload.ticker,
          periodMinutes: w.payload.period_minutes,
          source,
          candles,
        });
        await advanceWatermark(tx, {
          kind: "candles",
          jobId: w.job.id,
          ticker: w.payload.ticker,
          periodMinutes: w.payload.period_minutes,
        }, { nowTs: nowTs(deps) });
        return { candles: candleCount };
      }, onFinished);
    }
  };
}

async function walkTrades(
  deps: ExecuteDeps,
  payload: TradeJobPayload,
  tier: "live" | "historical",
): Promise<Trade[]> {
  const query = {
    ticker: payload.ticker,
    minTs: payload.min_ts,
    maxTs: payload.max_ts,
    limit: 1000,
  };
  const list = tier === "live"
    ? deps.client.listTrades.bind(deps.client)
    : deps.client.listHistoricalTrades.bind(deps.client);
  const out: Trade[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    deps.stats.requests++;
    const page = await list({ ...query, cursor }, { signal: deps.signal });
    out.push(...page.items);
    const next = page.cursor ?? "";
    if (next === "" || page.items.length === 0) return out;
    if (seen.has(next)) throw new Error(`trade pagination repeated cursor ${next}`);
    seen.add(next);
    cursor = next;
  }
}

/** Walks one trade job's trades; returns its commit (null when aborted or failed). */
async function fetchTradeJob(
  deps: ExecuteDeps,
  job: ClaimedJob,
  payload: TradeJobPayload,
  onFinished: (job: ClaimedJob, outcome: JobOutcome) => void,
): Promise<Commit | null> {
  let live: Trade[] = [];
  let historical: Trade[] = [];
  try {
    const cutoff = (await deps.cutoff()).tradesCreatedTs;
    // Trades before the cutoff are served only by /historical/trades; the cutoff may advance
    // while we work, so a window near it is read from both tiers (rows are unique by trade_id).
    if (payload.historical || payload.min_ts < cutoff + CUTOFF_MARGIN_S) {
      historical = await walkTrades(deps, payload, "historical");
    }
    if (payload.max_ts >= cutoff) live = await walkTrades(deps, payload, "live");
  } catch (error) {
    if (deps.signal.aborted) return null;
    return () => fail(deps, job, describe(error), false, onFinished);
  }
  if (deps.signal.aborted) return null;
  return () =>
    commit(deps, job, async (tx) => {
      let trades = await storeTrades(tx, { source: "historical", trades: historical });
      trades += await storeTrades(tx, { source: "rest", trades: live });
      await advanceWatermark(tx, { kind: "trades", jobId: job.id, ticker: payload.ticker }, {
        nowTs: nowTs(deps),
      });
      return { trades };
    }, onFinished);
}
