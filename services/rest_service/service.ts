/**
 * rest_service's loop: a discovery sync, then scheduling of every market whose backfill lags,
 * then (on its own interval) the coverage audit; repeated every sync interval until stopped.
 * Every dependency comes in as an argument, so tests run it in-process against the simulator.
 * @module
 */
import {
  auditCoverage,
  type AuditReport,
  scheduleDueBackfill,
  type ScheduleResult,
} from "@kalshi-data/lib/backfill";
import { ageCheck, type Metrics, type Readiness } from "@kalshi-data/lib/runtime";
import { type DiscoveryDeps, refreshMarkets, syncCatalog, type SyncReport } from "./discovery.ts";

/** Loop settings (milliseconds). */
export interface LoopOptions {
  once: boolean;
  syncIntervalMs: number;
  fullSyncIntervalMs: number;
  openRefreshMs: number;
  auditIntervalMs: number;
  /** Readiness fails when the last successful pass is older than this (default 30 min). */
  readyMaxPassAgeMs?: number;
}

/** What the loop needs besides discovery's dependencies. */
export interface RestServiceDeps extends DiscoveryDeps {
  /**
   * Sends "jobs ready" notifications (lib/queue/publisher.ts); declared structurally so this
   * module does not load amqplib's typings.
   */
  publisher?: { publish(ready: { count: number; kinds: string[] }): Promise<boolean> };
  metrics?: Metrics;
  /** Where the "discovery" readiness check is registered. */
  readiness?: Readiness;
  /**
   * Tick retention (lib/archive/retention.ts), run on the audit interval when configured;
   * declared structurally so this module does not load the archive code.
   */
  retention?: () => Promise<{ dropped: { day: string }[]; refused: { reason: string }[] }>;
  /** Waits between passes (default: a timer that the signal cuts short). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** One pass's outcome. */
export interface PassReport {
  sync: SyncReport;
  schedule: ScheduleResult & { considered: number };
  audit?: AuditReport;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** State carried between passes. */
export interface PassState {
  lastFullMs?: number;
  lastOpenRefreshMs?: number;
  lastAuditMs?: number;
}

/** Runs one discovery + scheduling pass (and the audit when due). */
export async function runPass(
  deps: RestServiceDeps,
  options: LoopOptions,
  state: PassState = {},
): Promise<PassReport> {
  const now = deps.now();
  const fullDue = state.lastFullMs !== undefined &&
    now - state.lastFullMs >= options.fullSyncIntervalMs;
  const refreshOpen = state.lastOpenRefreshMs !== undefined &&
    now - state.lastOpenRefreshMs >= options.openRefreshMs;
  const sync = await syncCatalog(deps, { mode: fullDue ? "full" : undefined, refreshOpen });
  if (sync.mode === "full") state.lastFullMs = now;
  if (sync.mode === "full" || refreshOpen || state.lastOpenRefreshMs === undefined) {
    state.lastOpenRefreshMs = now;
  }
  const m = deps.metrics;
  m?.counter("rest_sync_requests_total", "Kalshi page requests made by discovery")
    .inc({ mode: sync.mode }, sync.requests);
  m?.counter("rest_rows_written_total", "series/events/markets rows inserted or changed")
    .inc({ table: "markets" }, sync.written.markets);
  m?.counter("rest_rows_written_total", "series/events/markets rows inserted or changed")
    .inc({ table: "events" }, sync.written.events);
  m?.counter("rest_rows_written_total", "series/events/markets rows inserted or changed")
    .inc({ table: "series" }, sync.written.series);
  m?.gauge("rest_last_sync_timestamp_seconds", "when the last sync finished")
    .set(Math.floor(Date.now() / 1000), { mode: sync.mode });

  const schedule = await scheduleDueBackfill(deps.sql, {
    now: deps.now(),
    scope: deps.scope,
    signal: deps.signal,
    onBatch: async (batch) => {
      await deps.publisher?.publish({ count: batch.inserted, kinds: Object.keys(batch.kinds) });
    },
  });
  for (const [kind, n] of Object.entries(schedule.kinds)) {
    m?.counter("rest_jobs_scheduled_total", "backfill jobs inserted").inc({ kind }, n);
  }
  deps.logger.info("pass scheduled", {
    mode: sync.mode,
    requests: sync.requests,
    markets_written: sync.written.markets,
    jobs: schedule.inserted,
    markets_scheduled: schedule.markets,
  });

  let audit: AuditReport | undefined;
  if (state.lastAuditMs === undefined || now - state.lastAuditMs >= options.auditIntervalMs) {
    audit = await auditCoverage(deps.sql, {
      now: deps.now(),
      scope: deps.scope,
      signal: deps.signal,
    });
    state.lastAuditMs = now;
    if (audit.jobsScheduled + audit.jobsRevived > 0) {
      await deps.publisher?.publish({
        count: audit.jobsScheduled + audit.jobsRevived,
        kinds: ["candles", "trades"],
      });
    }
    if (audit.unsettledTickers.length > 0) {
      await refreshMarkets(deps, audit.unsettledTickers);
    }
    if (deps.retention) {
      const kept = await deps.retention();
      for (const r of kept.refused) deps.logger.warn("retention refused", { reason: r.reason });
      if (kept.dropped.length) {
        deps.logger.info("retention dropped tick days", { days: kept.dropped.map((d) => d.day) });
      }
    }
    m?.gauge(
      "coverage_uncovered_market_periods",
      "market x period (1/60/1440-minute candles, trades) not yet covered by finished jobs",
    ).set(audit.uncoveredMarketPeriods);
    m?.gauge("coverage_capture_gaps_open", "capture gaps still waiting for backfill")
      .set(audit.gapsOpen);
    m?.counter("coverage_jobs_scheduled_total", "jobs the audit scheduled or revived")
      .inc({}, audit.jobsScheduled + audit.jobsRevived);
    deps.logger.info("coverage audited", {
      markets: audit.markets,
      uncovered_market_periods: audit.uncoveredMarketPeriods,
      holes: audit.holes,
      jobs_scheduled: audit.jobsScheduled,
      jobs_revived: audit.jobsRevived,
      gaps_filled: audit.gapsFilled,
      unsettled: audit.unsettledTickers.length,
    });
  }
  return { sync, schedule, audit };
}

/**
 * Runs passes until the signal fires (or once). A failed pass is logged and retried after the
 * sync interval; with `once` it is rethrown so the process exits non-zero.
 */
export async function runRestService(deps: RestServiceDeps, options: LoopOptions): Promise<void> {
  const sleep = deps.sleep ?? abortableSleep;
  const state: PassState = {};
  let lastSuccessMs: number | undefined;
  deps.readiness?.add(
    "discovery",
    ageCheck("last successful discovery pass", {
      now: deps.now,
      lastMs: () => lastSuccessMs,
      sinceMs: deps.now(),
      limitMs: options.readyMaxPassAgeMs ?? 1_800_000,
    }),
  );
  while (!deps.signal?.aborted) {
    try {
      await runPass(deps, options, state);
      lastSuccessMs = deps.now();
      deps.metrics?.gauge("rest_healthy", "1 when the last pass succeeded").set(1);
      deps.metrics?.gauge(
        "rest_last_successful_pass_timestamp_seconds",
        "when the last successful discovery pass finished (Unix seconds)",
      ).set(Math.floor(lastSuccessMs / 1000));
    } catch (error) {
      if (deps.signal?.aborted) return;
      if (options.once) throw error;
      deps.metrics?.gauge("rest_healthy", "1 when the last pass succeeded").set(0);
      deps.metrics?.counter("rest_pass_failures_total", "passes that failed").inc();
      deps.logger.error("pass failed; retrying after the sync interval", {
        error: (error as Error).message,
      });
    }
    // A stop that came during the pass ends the loop now, not after the sync interval (which
    // could outlast the shutdown deadline and turn a clean stop into exit 3).
    if (options.once || deps.signal?.aborted) return;
    await sleep(options.syncIntervalMs, deps.signal);
  }
}
