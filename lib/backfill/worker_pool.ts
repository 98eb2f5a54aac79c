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
  /** The database holding `backfill_jobs`, candles and trades. */
  sql: Sql;
  /** The Kalshi REST client (shared rate limiter). */
  client: KalshiRestClient;
  /** Where progress and failures are logged. */
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
  /** What this process fetched and stored. */
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

/**
 * One run of the pool: its settings, the leases its workers hold, the timers that report progress
 * and extend those leases, and the end of the run (leases handed back, final counts).
 */
class WorkerPoolRun {
  readonly #options: WorkerPoolOptions;
  readonly #sql: Sql;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #batchSize: number;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #kinds: string[];
  readonly #wakeup: Wakeup;
  readonly #stats = createBackfillStats();
  /** Aborted by the worker that finds the queue drained (`untilEmpty`). */
  readonly #empty = new AbortController();
  readonly #stop: AbortSignal;
  readonly #held = new Map<string, ClaimedJob>();
  readonly #cutoff: () => Promise<CutoffTimes>;
  readonly #meter: ReturnType<typeof createProgressMeter>;

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#sql = options.sql;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#batchSize = options.batchSize ?? 100;
    this.#leaseMs = options.leaseMs ?? 120_000;
    this.#pollMs = options.pollMs ?? 5_000;
    this.#kinds = options.trades === false ? ["candles"] : ["candles", "trades"];
    this.#wakeup = options.wakeup ?? createWakeup();
    this.#stop = AbortSignal.any([options.signal, this.#empty.signal]);
    this.#cutoff = cachedCutoff(
      options.client,
      options.cutoffTtlMs ?? 60_000,
      this.#now,
      this.#stop,
    );
    this.#meter = createProgressMeter(this.#stats, {
      startMs: this.#now(),
      metrics: options.metrics,
    });
  }

  async run(): Promise<WorkerPoolResult> {
    const progressMs = this.#options.progressMs ?? 10_000;
    const concurrency = this.#options.concurrency ?? 4;
    const progressTimer = progressMs > 0
      ? setInterval(() => this.#reportProgress(), progressMs)
      : undefined;
    const heartbeat = setInterval(
      () => this.#extendHeldLeases(),
      Math.max(100, Math.floor(this.#leaseMs / 3)),
    );
    try {
      await Promise.all(Array.from({ length: concurrency }, (_, i) => this.#worker(i)));
    } finally {
      clearInterval(heartbeat);
      if (progressTimer !== undefined) clearInterval(progressTimer);
    }
    const released = await this.#releaseHeld();
    const counts = await this.#finalCounts();
    return {
      stoppedBy: this.#empty.signal.aborted && !this.#options.signal.aborted ? "empty" : "signal",
      counts,
      stats: this.#stats,
      released,
    };
  }

  async #reportProgress(): Promise<void> {
    try {
      const counts = await countJobs(this.#sql, { kinds: this.#kinds });
      const report = this.#meter.report(counts, this.#now());
      this.#logger.info("backfill progress", { ...report });
      this.#options.onProgress?.(report);
    } catch (error) {
      this.#logger.warn("progress: job table unreadable", { error: describe(error) });
    }
  }

  async #extendHeldLeases(): Promise<void> {
    const byOwner = Map.groupBy(this.#held.values(), (j) => j.leaseOwner);
    for (const [owner, jobs] of byOwner) {
      try {
        await extendLeases(this.#sql, jobs.map((j) => j.id), { owner, leaseMs: this.#leaseMs });
      } catch (error) {
        this.#logger.warn("could not extend leases", { owner, error: describe(error) });
      }
    }
  }

  /** Claims and runs batches until stopped; idle (nothing due, or the database failing) it waits. */
  async #worker(index: number): Promise<void> {
    const owner = `${this.#options.owner}/${index}`;
    const stop = this.#stop;
    while (!stop.aborted) {
      const finishRound = this.#wakeup.beginRound();
      let jobs: ClaimedJob[];
      try {
        jobs = await claimJobs(this.#sql, {
          owner,
          limit: this.#batchSize,
          leaseMs: this.#leaseMs,
          kinds: this.#kinds,
        });
      } catch (error) {
        finishRound();
        this.#logger.warn("claiming jobs failed; retrying after the poll interval", {
          worker: owner,
          error: describe(error),
        });
        await this.#wakeup.wait(this.#pollMs, stop);
        continue;
      }
      if (jobs.length === 0) {
        finishRound();
        if (this.#options.untilEmpty && await this.#queueDrained()) {
          this.#empty.abort(new Error("queue empty"));
          return;
        }
        await this.#wakeup.wait(this.#pollMs, stop);
        continue;
      }
      await this.#execute(owner, jobs);
      finishRound();
    }
  }

  /** Whether no job is pending or leased (false when the count fails, logged). */
  async #queueDrained(): Promise<boolean> {
    try {
      const counts = await countJobs(this.#sql, { kinds: this.#kinds });
      return counts.pending + counts.running === 0;
    } catch (error) {
      this.#logger.warn("counting jobs failed", { error: describe(error) });
      return false;
    }
  }

  async #execute(owner: string, jobs: ClaimedJob[]): Promise<void> {
    const held = this.#held;
    for (const job of jobs) held.set(job.id, job);
    this.#logger.debug("claimed jobs", { worker: owner, jobs: jobs.length });
    await executeJobs(
      {
        sql: this.#sql,
        client: this.#options.client,
        logger: this.#logger,
        signal: this.#stop,
        stats: this.#stats,
        cutoff: this.#cutoff,
        nowMs: this.#now,
        retryBaseMs: this.#options.retryBaseMs,
      },
      jobs,
      (job) => held.delete(job.id),
    );
  }

  /** Hands back every lease still held; how many were released. */
  async #releaseHeld(): Promise<number> {
    const held = this.#held;
    if (held.size === 0) return 0;
    try {
      const released = await releaseJobs(this.#sql, [...held.values()]);
      this.#logger.info("released leases", { released });
      return released;
    } catch (error) {
      this.#logger.warn("could not release leases; they will expire", {
        leases: held.size,
        error: describe(error),
      });
      return 0;
    }
  }

  async #finalCounts(): Promise<JobCounts | null> {
    try {
      const counts = await countJobs(this.#sql, { kinds: this.#kinds });
      this.#logger.info("backfill progress", { ...this.#meter.report(counts, this.#now()) });
      return counts;
    } catch (error) {
      this.#logger.warn("could not read final job counts", { error: describe(error) });
      return null;
    }
  }
}

/** Runs the workers until the signal fires or (with `untilEmpty`) the queue is empty. */
export async function runWorkerPool(options: WorkerPoolOptions): Promise<WorkerPoolResult> {
  return await new WorkerPoolRun(options).run();
}
