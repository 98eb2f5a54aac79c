/**
 * Discovery: keeps `series`, `events` and `markets` equal to what Kalshi serves within the scope.
 *
 * A full sync walks everything once — series, events with nested markets, multivariate events
 * and markets, and the markets only `/historical/markets` still serves — saving each walk's
 * cursor after every page so an interrupted sync resumes. Afterwards incremental syncs ask only
 * for what changed since the last one (created/updated/closed/settled timestamp filters, plus a
 * targeted re-read of markets whose open time has passed), so a re-sync costs a small fraction.
 * Every page is one upsert statement per table; unchanged rows are not rewritten.
 * @module
 */
import { upsertEvents, upsertMarkets, upsertSeries } from "@kalshi-data/lib/catalog";
import { getIngestState, setIngestState, type Sql } from "@kalshi-data/lib/db";
import {
  type KalshiEvent,
  KalshiHttpError,
  KalshiPaginationError,
  type KalshiRestClient,
  type Market,
  type MarketsQuery,
  type Page,
  type Series,
} from "@kalshi-data/lib/kalshi";
import type { Logger } from "@kalshi-data/lib/log";
import {
  eventInScope,
  marketInScope,
  type Scope,
  seriesInScope,
  seriesTickerOfEvent,
} from "@kalshi-data/lib/scope";

/** What discovery needs. */
export interface DiscoveryDeps {
  sql: Sql;
  client: KalshiRestClient;
  scope: Scope;
  logger: Logger;
  /** Current time, Unix ms (the exchange's clock in tests). */
  now: () => number;
  /** Real time for progress rates (default Date.now). */
  realNow?: () => number;
  signal?: AbortSignal;
  /** Seconds re-read before the last sync to absorb clock skew and CDN caching (default 300). */
  overlapSeconds?: number;
  /** Progress line interval, real ms (default 10 000). */
  progressMs?: number;
  /** Tickers per `tickers=` request (default 100). */
  tickersPerRequest?: number;
  /** Page sizes (default the maxima: 200 events, 1000 markets); tests use small pages. */
  pageSize?: { events?: number; markets?: number };
}

/** Which kind of sync to run. */
export type SyncMode = "full" | "incremental";

/** What a sync did. */
export interface SyncReport {
  mode: SyncMode;
  /** Successful page requests (retries not counted). */
  requests: number;
  seen: { series: number; events: number; markets: number };
  written: { series: number; events: number; markets: number };
  durationMs: number;
}

/** Options of {@linkcode syncCatalog}. */
export interface SyncOptions {
  /** Force a mode; default full until one full sync completed, then incremental. */
  mode?: SyncMode;
  /** Also re-read every open market (prices) in an incremental sync. */
  refreshOpen?: boolean;
}

const FULL_SCOPE = "full";

interface Run {
  deps: DiscoveryDeps;
  report: SyncReport;
  series: Map<string, Series>;
  startedReal: number;
  lastProgress: number;
  phase: string;
}

function progress(run: Run, force = false): void {
  const realNow = run.deps.realNow ?? Date.now;
  const t = realNow();
  if (!force && t - run.lastProgress < (run.deps.progressMs ?? 10_000)) return;
  run.lastProgress = t;
  const elapsed = Math.max(1, t - run.startedReal) / 1000;
  run.deps.logger.info("discovery progress", {
    mode: run.report.mode,
    phase: run.phase,
    pages: run.report.requests,
    markets: run.report.seen.markets,
    events: run.report.seen.events,
    markets_written: run.report.written.markets,
    pages_per_s: Number((run.report.requests / elapsed).toFixed(2)),
    markets_per_s: Number((run.report.seen.markets / elapsed).toFixed(1)),
  });
}

async function storeSeries(run: Run, list: readonly Series[]): Promise<void> {
  const { scope, sql } = run.deps;
  for (const s of list) run.series.set(s.ticker, s);
  run.report.seen.series += list.length;
  run.report.written.series += await upsertSeries(sql, list.filter((s) => seriesInScope(scope, s)));
}

async function seriesMap(sql: Sql): Promise<Map<string, Series>> {
  const rows = await sql<
    { ticker: string; category: string | null; categories: string[] | null; frequency: string }[]
  >`SELECT ticker, category, categories, frequency FROM series`;
  return new Map(rows.map((r) => [r.ticker, {
    ticker: r.ticker,
    category: r.category,
    categories: r.categories ?? [],
    frequency: r.frequency,
  } as Series]));
}

async function storeEvents(
  run: Run,
  events: readonly KalshiEvent[],
  multivariate = false,
): Promise<void> {
  const { scope, sql } = run.deps;
  run.report.seen.events += events.length;
  const kept = events.filter((e) => eventInScope(scope, e, run.series.get(e.seriesTicker)));
  run.report.written.events += await upsertEvents(sql, kept, { multivariate });
  const nested: Market[] = [];
  for (const e of kept) nested.push(...e.markets);
  await storeMarkets(run, nested, new Map(kept.map((e) => [e.eventTicker, e])));
}

async function storeMarkets(
  run: Run,
  markets: readonly Market[],
  events?: Map<string, KalshiEvent>,
): Promise<void> {
  const { scope, sql } = run.deps;
  run.report.seen.markets += markets.length;
  const insert: Market[] = [];
  const update: Market[] = [];
  for (const m of markets) {
    const event = events?.get(m.eventTicker);
    const seriesTicker = event?.seriesTicker ?? seriesTickerOfEvent(m.eventTicker);
    const series = run.series.get(seriesTicker);
    if (marketInScope(scope, m, event, series)) insert.push(m);
    else if (marketInScope(scope, m, event, series, { ignoreStatus: true })) update.push(m);
  }
  run.report.written.markets += await upsertMarkets(sql, insert);
  run.report.written.markets += await upsertMarkets(sql, update, { onlyExisting: true });
  progress(run);
}

/**
 * Walks pages from `list(cursor)`, handing each to `store`. With `resumeKey` the cursor is saved
 * after every stored page (full syncs), and a saved cursor is resumed.
 */
async function walk<T>(
  run: Run,
  name: string,
  list: (cursor: string | undefined) => Promise<Page<T>>,
  store: (items: T[]) => Promise<void>,
  options: { resume?: boolean; startedAt?: string; until?: (page: Page<T>) => boolean } = {},
): Promise<void> {
  const { sql } = run.deps;
  run.phase = name;
  let cursor: string | undefined;
  let pages = 0;
  let items = 0;
  if (options.resume) {
    const saved = await getIngestState(sql, "discovery.walk", { scope: name });
    if (saved && saved.cursor === "") return; // finished earlier in this full sync
    if (saved) {
      cursor = saved.cursor;
      pages = saved.pages;
      items = saved.items;
      run.deps.logger.info("resuming walk", { walk: name, pages, items });
    }
  }
  const fetchPage = async (c: string | undefined) => {
    run.deps.signal?.throwIfAborted();
    try {
      return await list(c);
    } catch (error) {
      // A cursor saved long ago may have expired: start that walk again.
      if (
        c !== undefined && c === cursor && error instanceof KalshiHttpError && error.status === 400
      ) {
        run.deps.logger.warn("saved cursor refused; restarting walk", { walk: name });
        cursor = undefined;
        return await list(undefined);
      }
      throw error;
    }
  };
  // The next page is fetched while this one is written, so the walk runs at the pace of the
  // slower of the two instead of their sum.
  const seen = new Set<string>(cursor === undefined ? [] : [cursor]);
  let pending: Promise<Page<T>> | null = fetchPage(cursor);
  while (pending) {
    const page: Page<T> = await pending;
    pending = null;
    run.report.requests++;
    const next = page.cursor ?? "";
    const stop = options.until?.(page) ?? false;
    if (next !== "" && !stop) {
      if (seen.has(next)) throw new KalshiPaginationError(name, next, pages + 1);
      seen.add(next);
      pending = fetchPage(next);
      pending.catch(() => {}); // surfaced when awaited; never an unhandled rejection
    }
    await store(page.items);
    pages++;
    items += page.items.length;
    if (options.resume) {
      await setIngestState(sql, {
        key: "discovery.walk",
        scope: name,
        value: { cursor: stop ? "" : next, pages, items, startedAt: options.startedAt! },
      });
    }
  }
}

function eventLimit(run: Run): number {
  return run.deps.pageSize?.events ?? 200;
}

function marketLimit(run: Run): number {
  return run.deps.pageSize?.markets ?? 1000;
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** The `mve_filter` the scope implies for combined listings. */
function mveFilter(scope: Scope): "exclude" | undefined {
  return scope.includeCombos ? undefined : "exclude";
}

async function storeCutoff(run: Run): Promise<void> {
  const cutoff = await run.deps.client.getHistoricalCutoff({ signal: run.deps.signal });
  run.report.requests++;
  await setIngestState(run.deps.sql, {
    key: "historical.cutoff",
    value: {
      marketSettledTs: new Date(cutoff.marketSettledTs).toISOString(),
      tradesCreatedTs: new Date(cutoff.tradesCreatedTs).toISOString(),
      fetchedAt: new Date(run.deps.now()).toISOString(),
    },
  });
}

async function fullSync(run: Run): Promise<string> {
  const { client, scope, sql, signal } = run.deps;
  const walks = await sql<{ value: { startedAt: string } }[]>`
    SELECT value FROM ingest_state WHERE key = 'discovery.walk' ORDER BY value ->> 'startedAt'
    LIMIT 1`;
  const startedAt = walks[0]?.value.startedAt ?? new Date(run.deps.now()).toISOString();
  const resume = { resume: true, startedAt };
  await storeCutoff(run);
  run.phase = "series";
  await storeSeries(run, await client.listSeries({}, { signal }));
  run.report.requests++;
  const seriesFilter = scope.series.length > 0 ? scope.series : [undefined];
  for (const seriesTicker of seriesFilter) {
    const suffix = seriesTicker ? `:${seriesTicker}` : "";
    await walk(
      run,
      `events${suffix}`,
      (cursor) =>
        client.listEvents(
          { limit: eventLimit(run), cursor, withNestedMarkets: true, seriesTicker },
          {
            signal,
          },
        ),
      (events) => storeEvents(run, events),
      resume,
    );
    if (scope.includeCombos) {
      await walk(
        run,
        `multivariate_events${suffix}`,
        (cursor) =>
          client.listMultivariateEvents(
            { limit: eventLimit(run), cursor, withNestedMarkets: true, seriesTicker },
            { signal },
          ),
        (events) => storeEvents(run, events, true),
        resume,
      );
      await walk(
        run,
        `combo_markets${suffix}`,
        (cursor) =>
          client.listMarkets({ limit: marketLimit(run), cursor, mveFilter: "only", seriesTicker }, {
            signal,
          }),
        (markets) => storeMarkets(run, markets),
        resume,
      );
    }
    await walk(
      run,
      `historical_markets${suffix}`,
      (cursor) =>
        client.listHistoricalMarkets(
          {
            limit: marketLimit(run),
            cursor,
            seriesTicker,
            mveFilter: seriesTicker ? undefined : mveFilter(scope),
          },
          { signal },
        ),
      (markets) => storeMarkets(run, markets),
      resume,
    );
  }
  return startedAt;
}

async function incrementalSync(run: Run, since: number, refreshOpen: boolean): Promise<void> {
  const { client, scope, sql, signal } = run.deps;
  const nowS = seconds(run.deps.now());
  const previousCutoff = await getIngestState(sql, "historical.cutoff");
  await storeCutoff(run);
  run.phase = "series";
  await storeSeries(run, await client.listSeries({ minUpdatedTs: since }, { signal }));
  run.report.requests++;
  await walk(
    run,
    "events_updated",
    (cursor) =>
      client.listEvents({ limit: eventLimit(run), cursor, minUpdatedTs: since }, { signal }),
    (events) => storeEvents(run, events),
  );
  const marketWalk = (name: string, query: MarketsQuery) =>
    walk(
      run,
      name,
      (cursor) => client.listMarkets({ limit: marketLimit(run), ...query, cursor }, { signal }),
      (markets) => storeMarkets(run, markets),
    );
  const mve = mveFilter(scope);
  await marketWalk("markets_created", { minCreatedTs: since, mveFilter: mve });
  await marketWalk("markets_updated", { minUpdatedTs: since, mveFilter: "exclude" });
  await marketWalk("markets_closed", { minCloseTs: since, maxCloseTs: nowS, mveFilter: mve });
  // Settling bumps updated_time, which the walk above covers for every non-combo market; combos
  // cannot be filtered by updated_ts, so their settlements are asked for separately.
  if (scope.includeCombos) {
    await marketWalk("combos_settled", { minSettledTs: since, mveFilter: "only" });
  }
  if (refreshOpen) await marketWalk("markets_open", { status: "open", mveFilter: mve });
  // Opening has no lifecycle message and need not touch updated_time: re-read those markets.
  const opened = await sql<{ ticker: string }[]>`
    SELECT ticker FROM markets
    WHERE status = 'initialized' AND open_time <= ${new Date(nowS * 1000)}
    ORDER BY ticker`;
  await refreshTickers(run, opened.map((r) => r.ticker));
  // After downtime longer than the cutoff lag, markets may have settled and been archived unseen.
  const cutoff = await getIngestState(sql, "historical.cutoff");
  if (cutoff && previousCutoff && Date.parse(cutoff.marketSettledTs) > since * 1000) {
    await walk(
      run,
      "historical_markets_recent",
      (cursor) =>
        client.listHistoricalMarkets({ limit: marketLimit(run), cursor, mveFilter: mve }, {
          signal,
        }),
      (markets) => storeMarkets(run, markets),
      {
        // Newest settlement first: stop once a page reaches markets settled before `since`.
        until: (page) =>
          page.items.some((m) =>
            m.settlementTs !== null && Date.parse(m.settlementTs) < since * 1000
          ),
      },
    );
  }
}

/** Re-reads markets by ticker (live first, then historical for those not found). */
async function refreshTickers(run: Run, tickers: readonly string[]): Promise<void> {
  const { client, signal } = run.deps;
  const size = run.deps.tickersPerRequest ?? 100;
  run.phase = "refresh";
  for (let i = 0; i < tickers.length; i += size) {
    const chunk = tickers.slice(i, i + size);
    const live = await client.listMarkets({ tickers: chunk, limit: 1000 }, { signal });
    run.report.requests++;
    await storeMarkets(run, live.items);
    const found = new Set(live.items.map((m) => m.ticker));
    const missing = chunk.filter((t) => !found.has(t));
    if (missing.length === 0) continue;
    const archived = await client.listHistoricalMarkets({ tickers: missing, limit: 1000 }, {
      signal,
    });
    run.report.requests++;
    await storeMarkets(run, archived.items);
  }
}

/** Fetches events and series that stored markets and events refer to but that are missing. */
async function fillParents(run: Run): Promise<void> {
  const { client, sql, signal } = run.deps;
  const size = run.deps.tickersPerRequest ?? 100;
  run.phase = "parents";
  const orphans = await sql<{ event_ticker: string }[]>`
    SELECT DISTINCT m.event_ticker FROM markets m
    WHERE NOT m.is_multivariate
      AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_ticker = m.event_ticker)
    ORDER BY 1`;
  const tickers = orphans.map((r) => r.event_ticker);
  for (let i = 0; i < tickers.length; i += size) {
    const page = await client.listEvents({ tickers: tickers.slice(i, i + size), limit: 200 }, {
      signal,
    });
    run.report.requests++;
    await storeEvents(run, page.items);
  }
  const lonely = await sql<{ series_ticker: string }[]>`
    SELECT DISTINCT e.series_ticker FROM events e
    WHERE NOT EXISTS (SELECT 1 FROM series s WHERE s.ticker = e.series_ticker)
    ORDER BY 1`;
  for (const { series_ticker } of lonely) {
    try {
      await storeSeries(run, [await client.getSeries(series_ticker, { signal })]);
      run.report.requests++;
    } catch (error) {
      if (!(error instanceof KalshiHttpError && error.status === 404)) throw error;
      run.deps.logger.warn("series of a stored event not found", { series: series_ticker });
    }
  }
}

/** Runs one sync (full until a full sync completed, then incremental); returns what it did. */
export async function syncCatalog(
  deps: DiscoveryDeps,
  options: SyncOptions = {},
): Promise<SyncReport> {
  const realNow = deps.realNow ?? Date.now;
  const { sql } = deps;
  const lastFull = await getIngestState(sql, "discovery.markets_synced", { scope: FULL_SCOPE });
  const last = await getIngestState(sql, "discovery.markets_synced");
  const mode: SyncMode = options.mode ?? (lastFull && last ? "incremental" : "full");
  const run: Run = {
    deps,
    report: {
      mode,
      requests: 0,
      seen: { series: 0, events: 0, markets: 0 },
      written: { series: 0, events: 0, markets: 0 },
      durationMs: 0,
    },
    series: await seriesMap(sql),
    startedReal: realNow(),
    lastProgress: realNow(),
    phase: "start",
  };
  let startedAt = new Date(deps.now()).toISOString();
  if (mode === "full") {
    startedAt = await fullSync(run);
  } else {
    const overlap = deps.overlapSeconds ?? 300;
    const since = Math.max(0, seconds(Date.parse(last!.at)) - overlap);
    await incrementalSync(run, since, options.refreshOpen ?? false);
  }
  await fillParents(run);
  const value = { at: startedAt, minUpdatedTs: seconds(Date.parse(startedAt)) };
  await sql.begin(async (tx) => {
    await setIngestState(tx, { key: "discovery.series_synced", value });
    await setIngestState(tx, { key: "discovery.events_synced", value });
    await setIngestState(tx, { key: "discovery.markets_synced", value });
    if (mode === "full") {
      await setIngestState(tx, { key: "discovery.markets_synced", scope: FULL_SCOPE, value });
      await tx`DELETE FROM ingest_state WHERE key = 'discovery.walk'`;
    }
  });
  run.report.durationMs = realNow() - run.startedReal;
  run.phase = "done";
  progress(run, true);
  return run.report;
}

/** Re-reads the given markets (e.g. closed markets the audit found without settlement). */
export async function refreshMarkets(
  deps: DiscoveryDeps,
  tickers: readonly string[],
): Promise<number> {
  const run: Run = {
    deps,
    report: {
      mode: "incremental",
      requests: 0,
      seen: { series: 0, events: 0, markets: 0 },
      written: { series: 0, events: 0, markets: 0 },
      durationMs: 0,
    },
    series: await seriesMap(deps.sql),
    startedReal: Date.now(),
    lastProgress: Date.now(),
    phase: "refresh",
  };
  await refreshTickers(run, tickers);
  return run.report.requests;
}
