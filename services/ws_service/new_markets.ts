/**
 * Markets ws_service meets first through a lifecycle `created` message: once the batch holding
 * the message has committed (with a row built from the message itself), each is fetched from REST
 * and upserted as discovery would, then its backfill is scheduled with the shared scheduler.
 *
 * A market stays pending until it has been fetched from REST and has backfill jobs (a
 * `backfill.scheduled` watermark): a just-created market usually opens minutes to hours later, so
 * it has nothing to backfill yet. Pending markets are retried on every watch-set refresh. Work
 * runs one call at a time in the background and failures are logged, never thrown: capture goes
 * on. What a crash loses (pending markets live in memory) rest_service's discovery and its
 * `scheduleDueBackfill` pass pick up, since the market row is already stored.
 * @module
 */
import { type SchedulableMarket, scheduleMarketBackfill } from "@kalshi-data/lib/backfill";
import { upsertMarkets } from "@kalshi-data/lib/catalog";
import type { Sql } from "@kalshi-data/lib/db";
import type { KalshiRestClient, Market } from "@kalshi-data/lib/kalshi";
import type { Logger } from "@kalshi-data/lib/log";
import type { Scope } from "@kalshi-data/lib/scope";
import { type ScopeColumns, storedRowInScope } from "./watch.ts";

/** Dependencies of {@linkcode createNewMarketScheduler}. */
export interface NewMarketOptions {
  sql: Sql;
  /** REST client; null keeps the row built from the lifecycle message. */
  client: Pick<KalshiRestClient, "getMarket"> | null;
  scope: Scope;
  logger: Logger;
  /** Current time, Unix ms (the exchange's clock): the scheduler's "now". */
  now: () => number;
  /** Aborts REST calls in flight (capture stopping). */
  signal?: AbortSignal;
  /** Markets kept pending at most (default 10 000); beyond, the oldest are left to rest_service. */
  maxPending?: number;
  /** Called after each scheduling call that inserted jobs (metrics). */
  onScheduled?: (kinds: Record<string, number>) => void;
}

/** What is known of a pending market. */
export interface PendingMarket {
  /** REST's view was upserted. */
  fetched: boolean;
  /** Scheduling attempts so far. */
  attempts: number;
}

/** The background handler of new markets. */
export interface NewMarketScheduler {
  /** Queues markets a committed batch created (the capture's `onNewMarkets` hook). */
  add(tickers: string[]): void;
  /** Retries every pending market (REST fetch where it failed, then scheduling). */
  retry(): Promise<void>;
  /**
   * Waits for queued work until `deadline` aborts (what is left is logged and left to
   * rest_service); later `add` calls are ignored.
   */
  close(deadline?: AbortSignal): Promise<void>;
  /** Markets still waiting for REST's view or their first backfill jobs. */
  readonly pending: ReadonlyMap<string, PendingMarket>;
}

interface ScopeRow extends ScopeColumns {
  open_time: Date | null;
  close_time: Date | null;
  settlement_ts: Date | null;
}

/** Pending markets by ticker, oldest first. */
type Pending = Map<string, PendingMarket>;

/** Fetches `tickers` from REST and upserts them; each one fetched is marked so. */
async function fetchFromRest(
  options: NewMarketOptions,
  pending: Pending,
  tickers: string[],
): Promise<void> {
  const { client, logger, signal } = options;
  if (client === null) return;
  const markets: Market[] = [];
  for (const ticker of tickers) {
    if (signal?.aborted) return;
    try {
      markets.push(await client.getMarket(ticker, { signal }));
    } catch (error) {
      logger.warn(
        "REST fetch of a new market failed; keeping the row from its lifecycle message",
        {
          ticker,
          error: (error as Error).message,
        },
      );
    }
  }
  if (markets.length === 0) return;
  await upsertMarkets(options.sql, markets);
  for (const m of markets) {
    const entry = pending.get(m.ticker);
    if (entry) entry.fetched = true;
  }
}

/** The stored rows of `tickers` in scope; out-of-scope or missing ones leave the pending set. */
async function schedulable(
  { sql, scope }: NewMarketOptions,
  pending: Pending,
  tickers: string[],
): Promise<SchedulableMarket[]> {
  const rows = await sql<ScopeRow[]>`
    SELECT m.ticker, m.event_ticker, m.series_ticker, m.status, m.open_time, m.close_time,
           m.settlement_ts, m.mve_collection_ticker, m.is_multivariate,
           e.series_ticker AS e_series, e.category, e.strike_period,
           s.category AS s_category, s.categories AS s_categories, s.frequency
    FROM markets m
    LEFT JOIN events e ON e.event_ticker = m.event_ticker
    LEFT JOIN series s ON s.ticker = COALESCE(m.series_ticker, e.series_ticker)
    WHERE m.ticker = ANY(${tickers}::text[])`;
  const found = new Set(rows.map((r) => r.ticker));
  for (const t of tickers) if (!found.has(t)) pending.delete(t);
  const out: SchedulableMarket[] = [];
  for (const r of rows) {
    if (!storedRowInScope(scope, r)) {
      pending.delete(r.ticker); // out of scope: no backfill, as rest_service decides too
      continue;
    }
    if (r.open_time === null || r.close_time === null) continue; // cannot be planned yet
    out.push({
      ticker: r.ticker,
      eventTicker: r.event_ticker,
      seriesTicker: r.series_ticker ?? r.e_series,
      status: r.status,
      openTime: r.open_time,
      closeTime: r.close_time,
      settlementTs: r.settlement_ts,
    });
  }
  return out;
}

/** Fetches, then schedules the backfill of, pending `tickers`; the ones done leave the set. */
async function handle(
  options: NewMarketOptions,
  pending: Pending,
  tickers: string[],
): Promise<void> {
  const { sql, logger } = options;
  if (tickers.length === 0) return;
  await fetchFromRest(options, pending, tickers.filter((t) => pending.get(t)?.fetched === false));
  const markets = await schedulable(options, pending, tickers.filter((t) => pending.has(t)));
  for (const m of markets) pending.get(m.ticker)!.attempts++;
  const result = await scheduleMarketBackfill(sql, markets, { now: options.now() });
  if (result.inserted > 0) {
    options.onScheduled?.(result.kinds);
    logger.info("backfill scheduled for new markets", {
      markets: result.markets,
      jobs: result.inserted,
    });
  }
  const marks = await sql<{ scope: string }[]>`
    SELECT scope FROM ingest_state
    WHERE key = 'backfill.scheduled' AND scope = ANY(${markets.map((m) => m.ticker)}::text[])`;
  for (const { scope: ticker } of marks) {
    if (pending.get(ticker)?.fetched || options.client === null) pending.delete(ticker);
  }
}

/** Waits for `done` until `deadline` aborts; logs what is left pending. */
async function drain(
  logger: Logger,
  pending: Pending,
  chain: Promise<void>,
  deadline: AbortSignal | undefined,
): Promise<void> {
  let finished = false;
  const done = chain.then(() => (finished = true));
  if (deadline === undefined) return void await done;
  await Promise.race([
    done,
    new Promise<void>((resolve) => {
      if (deadline.aborted) resolve();
      deadline.addEventListener("abort", () => resolve(), { once: true });
    }),
  ]);
  if (pending.size > 0) {
    logger.warn("stopped with new markets still pending; rest_service will schedule them", {
      markets: pending.size,
      interrupted: !finished,
    });
  }
}

/** Creates the handler; nothing runs until markets are added. */
export function createNewMarketScheduler(options: NewMarketOptions): NewMarketScheduler {
  const { logger } = options;
  const maxPending = options.maxPending ?? 10_000;
  const pending: Pending = new Map();
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const enqueue = (work: () => Promise<void>) => {
    chain = chain.then(work).catch((error) => {
      logger.warn("new-market handling failed; retrying at the next refresh", {
        error: (error as Error).message,
      });
    });
    return chain;
  };

  return {
    add(tickers) {
      if (closed) return;
      for (const t of tickers) {
        if (!pending.has(t)) pending.set(t, { fetched: options.client === null, attempts: 0 });
      }
      while (pending.size > maxPending) {
        const oldest = pending.keys().next().value as string;
        pending.delete(oldest);
        logger.warn("too many pending new markets; leaving one to rest_service", {
          ticker: oldest,
        });
      }
      void enqueue(() => handle(options, pending, tickers));
    },
    retry() {
      if (closed) return chain;
      return enqueue(() => handle(options, pending, [...pending.keys()]));
    },
    close(deadline) {
      closed = true;
      return drain(logger, pending, chain, deadline);
    },
    pending,
  };
}
