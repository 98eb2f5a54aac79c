/**
 * N concurrent backfill workers in one process: each claims a batch of jobs, runs them, and
 * sleeps until a notification or the poll interval when none are due. Leases are extended while
 * jobs run; on stop every lease still held is released. Database trouble is logged and waited
 * out, never fatal. With `untilEmpty` the pool returns once no job is pending or leased.
 * @module
 */
import type { Sql } from "../db/mod.ts";
import type { KalshiRestClient } from "../kalshi/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Metrics } from "../runtime/mod.ts";
import {
  type ClaimedJob,
  claimJobs,
  countJobs,
  extendLeases,
  type JobCounts,
  releaseJobs,
} from "./claim.ts";
import {
  type BackfillStats,
  createBackfillStats,
  type CutoffTimes,
  executeJobs,
} from "./execute.ts";
import { createProgressMeter, type ProgressReport } from "./progress.ts";
import { createWakeup, type Wakeup } from "./wakeup.ts";

/** Options of {@linkcode runWorkerPool}. */
export interface WorkerPoolOptions {
  sql: Sql;
  client: KalshiRestClient;
  logger: Logger;
  /** Stops the pool: no new claims, in-flight requests aborted, leases released. */
  signal: AbortSignal;
  /** Lease owner prefix, unique per process (worker i owns `${owner}/${i}`). */
  owner: string;
  /** Workers (default 4). */
  concurrency?: number;
  /** Jobs claimed per round (default 100; more jobs sharing a window batch better). */
  batchSize?: number;
  /** Lease length (default 120 s); extended every third of it while jobs run. */
  leaseMs?: number;
  /** Idle poll interval (default 5 s); notifications wake workers earlier. */
  pollMs?: number;
  /** Progress log cadence (default 10 s; 0 disables). */
  progressMs?: number;
  /** Return once no job is pending or leased. */
  untilEmpty?: boolean;
  /** Run trade jobs (default true); off leaves them pending for another worker. */
  trades?: boolean;
  /** Shared with the broker consumer. */
  wakeup?: Wakeup;
  /** Registry for the progress gauges. */
  metrics?: Metrics;
  /** First retry delay of a failed job (default 5 s, doubling). */
  retryBaseMs?: number;
  /** How long a fetched historical cutoff is trusted (default 60 s). */
  cutoffTtlMs?: number;
  /** Clock, Unix ms (default Date.now). */
  now?: () => number;
  /** Receives each progress report (tests). */
  onProgress?: (report: ProgressReport) => void;
}

/** How a pool run ended. */
export interface WorkerPoolResult {
  /** `empty`: the queue drained (untilEmpty); `signal`: stopped from outside. */
  stoppedBy: "empty" | "signal";
  /** Job counts at the end (null if the database could not be read). */
  counts: JobCounts | null;
  stats: BackfillStats;
  /** Leases handed back at stop. */
  released: number;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function cachedCutoff(
  client: KalshiRestClient,
  ttlMs: number,
  now: () => number,
  signal: AbortSignal,
): () => Promise<CutoffTimes> {
  let value: { at: number; times: CutoffTimes } | undefined;
  let inflight: Promise<CutoffTimes> | undefined;
  return () => {
    if (value && now() - value.at < ttlMs) return Promise.resolve(value.times);
    inflight ??= client.getHistoricalCutoff({ signal }).then((c) => {
      const times = {
        marketSettledTs: Math.floor(Date.parse(c.marketSettledTs) / 1000),
        tradesCreatedTs: Math.floor(Date.parse(c.tradesCreatedTs) / 1000),
      };
      value = { at: now(), times };
      return times;
    }).finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
}

/** Runs the workers until the signal fires or (with `untilEmpty`) the queue is empty. */
export async function runWorkerPool(options: WorkerPoolOptions): Promise<WorkerPoolResult> {
  const { sql, logger } = options;
  const now = options.now ?? Date.now;
  const concurrency = options.concurrency ?? 4;
  const batchSize = options.batchSize ?? 100;
  const leaseMs = options.leaseMs ?? 120_000;
  const pollMs = options.pollMs ?? 5_000;
  const progressMs = options.progressMs ?? 10_000;
  const kinds = options.trades === false ? ["candles"] : ["candles", "trades"];
  const wakeup = options.wakeup ?? createWakeup();
  const stats = createBackfillStats();
  const empty = new AbortController();
  const stop = AbortSignal.any([options.signal, empty.signal]);
  const held = new Map<string, ClaimedJob>();
  const cutoff = cachedCutoff(options.client, options.cutoffTtlMs ?? 60_000, now, stop);
  const meter = createProgressMeter(stats, { startMs: now(), metrics: options.metrics });

  const reportProgress = async () => {
    try {
      const counts = await countJobs(sql, { kinds });
      const report = meter.report(counts, now());
      logger.info("backfill progress", { ...report });
      options.onProgress?.(report);
    } catch (error) {
      logger.warn("progress: job table unreadable", { error: describe(error) });
    }
  };
  const progressTimer = progressMs > 0 ? setInterval(reportProgress, progressMs) : undefined;
  const heartbeat = setInterval(async () => {
    const byOwner = Map.groupBy(held.values(), (j) => j.leaseOwner);
    for (const [owner, jobs] of byOwner) {
      try {
        await extendLeases(sql, jobs.map((j) => j.id), { owner, leaseMs });
      } catch (error) {
        logger.warn("could not extend leases", { owner, error: describe(error) });
      }
    }
  }, Math.max(100, Math.floor(leaseMs / 3)));

  async function worker(index: number): Promise<void> {
    const owner = `${options.owner}/${index}`;
    while (!stop.aborted) {
      const finishRound = wakeup.beginRound();
      let jobs: ClaimedJob[];
      try {
        jobs = await claimJobs(sql, { owner, limit: batchSize, leaseMs, kinds });
      } catch (error) {
        finishRound();
        logger.warn("claiming jobs failed; retrying after the poll interval", {
          worker: owner,
          error: describe(error),
        });
        await wakeup.wait(pollMs, stop);
        continue;
      }
      if (jobs.length === 0) {
        finishRound();
        if (options.untilEmpty) {
          try {
            const counts = await countJobs(sql, { kinds });
            if (counts.pending + counts.running === 0) {
              empty.abort(new Error("queue empty"));
              return;
            }
          } catch (error) {
            logger.warn("counting jobs failed", { error: describe(error) });
          }
        }
        await wakeup.wait(pollMs, stop);
        continue;
      }
      for (const job of jobs) held.set(job.id, job);
      logger.debug("claimed jobs", { worker: owner, jobs: jobs.length });
      await executeJobs(
        {
          sql,
          client: options.client,
          logger,
          signal: stop,
          stats,
          cutoff,
          nowMs: now,
          retryBaseMs: options.retryBaseMs,
        },
        jobs,
        (job) => held.delete(job.id),
      );
      finishRound();
    }
  }

  try {
    await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  } finally {
    clearInterval(heartbeat);
    if (progressTimer !== undefined) clearInterval(progressTimer);
  }
  let released = 0;
  if (held.size > 0) {
    try {
      released = await releaseJobs(sql, [...held.values()]);
      logger.info("released leases", { released });
    } catch (error) {
      logger.warn("could not release leases; they will expire", {
        leases: held.size,
        error: describe(error),
      });
    }
  }
  let counts: JobCounts | null = null;
  try {
    counts = await countJobs(sql, { kinds });
    logger.info("backfill progress", { ...meter.report(counts, now()) });
  } catch (error) {
    logger.warn("could not read final job counts", { error: describe(error) });
  }
  return {
    stoppedBy: empty.signal.aborted && !options.signal.aborted ? "empty" : "signal",
    counts,
    stats,
    released,
  };
}
