/**
 * Backfill progress: jobs done / pending / failed, candles per second and an ETA, computed from
 * the process's counters and the job table, logged at a steady cadence and mirrored on /metrics.
 * @module
 */
import type { Metrics } from "../runtime/mod.ts";
import type { JobCounts } from "./claim.ts";
import type { BackfillStats } from "./execute.ts";

/** One progress report. */
export interface ProgressReport {
  /** Jobs completed by this process. */
  jobs_done: number;
  /** Jobs pending in the table (due or backing off). */
  jobs_pending: number;
  /** Jobs leased right now (any process). */
  jobs_running: number;
  /** Failed attempts of this process that will be retried. */
  jobs_failed: number;
  /** Dead jobs in the table. */
  jobs_dead: number;
  /** Candles this process stored. */
  candles_stored: number;
  /** Trades this process stored. */
  trades_stored: number;
  /** Kalshi requests this process made. */
  requests: number;
  /** Candles stored per second since the previous report. */
  candles_per_second: number;
  /** Jobs completed per second since the previous report. */
  jobs_per_second: number;
  /** Seconds until pending and running jobs are done at the current rate; null when unknown. */
  eta_seconds: number | null;
}

/** Turns counter snapshots into reports (rates between consecutive calls). */
export interface ProgressMeter {
  /** A report for the counters now; `nowMs` is the time of the snapshot. */
  report(counts: JobCounts, nowMs: number): ProgressReport;
}

/** Creates a meter over `stats`, starting at `startMs`; publishes each report to `metrics`. */
export function createProgressMeter(
  stats: BackfillStats,
  options: { startMs: number; metrics?: Metrics },
): ProgressMeter {
  let lastMs = options.startMs;
  let lastCandles = stats.candles;
  let lastDone = stats.jobsDone;
  const m = options.metrics;
  const gauges = m && {
    done: m.gauge("backfill_jobs_done", "jobs completed by this process"),
    pending: m.gauge("backfill_jobs_pending", "jobs pending in the job table"),
    running: m.gauge("backfill_jobs_running", "jobs leased right now, any process"),
    failed: m.gauge("backfill_jobs_failed", "failed attempts of this process (retried)"),
    dead: m.gauge("backfill_jobs_dead", "dead jobs in the job table"),
    candles: m.gauge("backfill_candles_stored", "candle rows written by this process"),
    trades: m.gauge("backfill_trades_stored", "new trade rows written by this process"),
    requests: m.gauge("backfill_kalshi_requests", "Kalshi calls made by this process"),
    cps: m.gauge("backfill_candles_per_second", "candles stored per second (last interval)"),
    eta: m.gauge("backfill_eta_seconds", "estimated seconds until the queue is empty (-1 unknown)"),
  };
  return {
    report(counts, nowMs) {
      const seconds = Math.max(0.001, (nowMs - lastMs) / 1000);
      const cps = (stats.candles - lastCandles) / seconds;
      const jps = (stats.jobsDone - lastDone) / seconds;
      lastMs = nowMs;
      lastCandles = stats.candles;
      lastDone = stats.jobsDone;
      const remaining = counts.pending + counts.running;
      const eta = remaining === 0 ? 0 : jps > 0 ? Math.round(remaining / jps) : null;
      const report: ProgressReport = {
        jobs_done: stats.jobsDone,
        jobs_pending: counts.pending,
        jobs_running: counts.running,
        jobs_failed: stats.attemptsFailed,
        jobs_dead: counts.dead,
        candles_stored: stats.candles,
        trades_stored: stats.trades,
        requests: stats.requests,
        candles_per_second: Math.round(cps * 10) / 10,
        jobs_per_second: Math.round(jps * 100) / 100,
        eta_seconds: eta,
      };
      if (gauges) {
        gauges.done.set(report.jobs_done);
        gauges.pending.set(report.jobs_pending);
        gauges.running.set(report.jobs_running);
        gauges.failed.set(report.jobs_failed);
        gauges.dead.set(report.jobs_dead);
        gauges.candles.set(report.candles_stored);
        gauges.trades.set(report.trades_stored);
        gauges.requests.set(report.requests);
        gauges.cps.set(report.candles_per_second);
        gauges.eta.set(report.eta_seconds ?? -1);
      }
      return report;
    },
  };
}
