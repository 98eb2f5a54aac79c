/**
 * The capture pipeline between the socket and PostgreSQL: rows collect in a batch sealed by size
 * or age; sealed batches queue in memory (bounded by rows) for a single in-order writer; when the
 * database is slow or down the queue overflows to the on-disk spool, and the writer replays the
 * spool before anything newer, so batches always reach the database in the order they were
 * sealed, each exactly once. Stopping flushes what it can before a deadline and spools the rest.
 */
import type { Logger } from "../log/mod.ts";
import type { Sql } from "../db/mod.ts";
import { BatchBuilder, batchRowCount, type CaptureBatch } from "./batch.ts";
import type { DeadLetterRow, GapRow, LifecycleRow, TickRow, TradeRow } from "./rows.ts";
import type { Spool } from "./spool.ts";
import { isDataError, type NewMarketsHook, writeBatch, type WriteOutcome } from "./store.ts";
import { LatencyHistogram } from "./latency.ts";

/** Options of {@linkcode createCapturePipeline}. */
export interface CapturePipelineOptions {
  sql: Sql;
  spool: Spool;
  logger: Logger;
  /** `ws.session` scope (the instance name). */
  instance: string;
  /** Prefix of batch ids; unique per process run. */
  sessionId: string;
  /** Seal a batch at this many rows (default 5000). */
  maxBatchRows?: number;
  /** Seal a non-empty batch after this many ms (default 250). */
  flushIntervalMs?: number;
  /** Rows allowed in memory before queued batches go to the spool (default 200 000). */
  maxBufferRows?: number;
  /** Consecutive failed writes after which queued batches go to the spool (default 3). */
  spoolAfterFailures?: number;
  /** Pause after a failed write, ms (default 500, doubling up to 10 000). */
  retryBaseMs?: number;
  /** Current time in ms for receive→commit latency (default Date.now; tests pass the sim clock). */
  now?: () => number;
  /** New-market hook passed to {@linkcode writeBatch} (called after a batch commits). */
  onNewMarkets?: NewMarketsHook;
  /**
   * Writes a batch (default {@linkcode writeBatch}); `salvage` asks to dead-letter the rows the
   * database refuses instead of failing. Injectable for tests.
   */
  write?: (batch: CaptureBatch, source: string, salvage: boolean) => Promise<WriteOutcome>;
}

/** Counters of a pipeline, for metrics and tests. */
export interface PipelineStats {
  batchesWritten: number;
  batchesDuplicate: number;
  batchesSpooled: number;
  rowsWritten: number;
  writeFailures: number;
  /** Rows sealed or collecting in memory. */
  bufferedRows: number;
  spoolBytes: number;
}

/** How a stop ended. */
export interface StopReport {
  /** True when everything reached the database. */
  flushed: boolean;
  /** Batches moved to the spool during the stop. */
  spooledBatches: number;
}

/** The running pipeline. */
export interface CapturePipeline {
  tick(row: TickRow): void;
  trade(row: TradeRow): void;
  lifecycle(row: LifecycleRow): void;
  deadLetter(row: DeadLetterRow): void;
  gap(row: GapRow): void;
  /** Seals the collecting batch now (if it has rows). */
  seal(): void;
  readonly stats: PipelineStats;
  /** Receive→commit latency of committed rows. */
  readonly latency: LatencyHistogram;
  /** Whether a database write is in progress (tests use it to see a stuck database). */
  readonly writing: boolean;
  /** Resolves once memory and spool are empty (everything committed); rejects on abort. */
  drained(signal?: AbortSignal): Promise<void>;
  /**
   * Stops: seals, keeps writing until done or `deadline` aborts, then spools whatever is left
   * (including a write still in flight: its id makes a later replay harmless).
   */
  stop(options?: { deadline?: AbortSignal }): Promise<StopReport>;
}

/** Creates a pipeline; its writer starts at once (replaying any spooled batches first). */
export function createCapturePipeline(options: CapturePipelineOptions): CapturePipeline {
  const { sql, spool, logger } = options;
  const maxBatchRows = options.maxBatchRows ?? 5000;
  const flushIntervalMs = options.flushIntervalMs ?? 250;
  const maxBufferRows = options.maxBufferRows ?? 200_000;
  const spoolAfterFailures = options.spoolAfterFailures ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const now = options.now ?? Date.now;
  const write = options.write ??
    ((batch: CaptureBatch, source: string, salvage: boolean) =>
      writeBatch(sql, batch, {
        instance: options.instance,
        source,
        salvage,
        onNewMarkets: options.onNewMarkets,
      }));
  /** One write; a batch the database refuses as data is written again, salvaging what it can. */
  const writeOnce = async (batch: CaptureBatch, source: string): Promise<WriteOutcome> => {
    try {
      return await write(batch, source, false);
    } catch (error) {
      if (!isDataError(error)) throw error;
      logger.error("the database refused rows of a batch; dead-lettering them", {
        batch: batch.id,
        error: (error as Error).message,
      });
      return await write(batch, source, true);
    }
  };
  const latency = new LatencyHistogram();
  const builder = new BatchBuilder();
  let builderSince = 0;
  let nextBatch = 1;
  const queue: CaptureBatch[] = [];
  let queuedRows = 0;
  let inflight: CaptureBatch | null = null;
  let inflightFromSpool = false;
  let failures = 0;
  let stopping = false;
  let stopped = false;
  let wake: (() => void) | null = null;
  let spooling: Promise<void> = Promise.resolve();
  const drainWaiters = new Set<() => void>();
  const retryAbort = new AbortController();
  const stats: PipelineStats = {
    batchesWritten: 0,
    batchesDuplicate: 0,
    batchesSpooled: 0,
    rowsWritten: 0,
    writeFailures: 0,
    bufferedRows: 0,
    spoolBytes: spool.bytes,
  };

  const signalWriter = () => {
    wake?.();
    wake = null;
  };

  const isDrained = () =>
    queue.length === 0 && inflight === null && builder.rows === 0 && spool.empty;

  const notifyDrained = () => {
    if (!isDrained()) return;
    for (const resolve of drainWaiters) resolve();
    drainWaiters.clear();
  };

  const updateGauges = () => {
    stats.bufferedRows = queuedRows + builder.rows + (inflight ? batchRowCount(inflight) : 0);
    stats.spoolBytes = spool.bytes;
  };

  /** Moves every queued batch to the spool tail (order kept: the spool is always older). */
  function spoolQueue(reason: string): Promise<void> {
    if (queue.length === 0) return spooling;
    const moving = queue.splice(0, queue.length);
    queuedRows = 0;
    stats.batchesSpooled += moving.length;
    logger.warn("spooling batches", { reason, batches: moving.length, dir: spool.dir });
    spooling = spooling.then(() => spool.append(moving)).then(() => {
      updateGauges();
      signalWriter();
    }, (error) => {
      // The disk refused too: keep the batches in memory rather than lose them.
      logger.error("spool append failed; keeping batches in memory", { error });
      queue.unshift(...moving);
      queuedRows += moving.reduce((n, b) => n + batchRowCount(b), 0);
    });
    return spooling;
  }

  function seal(): void {
    if (builder.rows === 0) return;
    const batch = builder.seal(options.sessionId, `${options.sessionId}:${nextBatch++}`);
    queue.push(batch);
    queuedRows += batchRowCount(batch);
    if (queuedRows > maxBufferRows) spoolQueue(`buffer above ${maxBufferRows} rows`);
    updateGauges();
    signalWriter();
  }

  function added(): void {
    if (builder.rows === 1) builderSince = now();
    if (builder.rows >= maxBatchRows) seal();
  }

  const timer = setInterval(() => {
    if (builder.rows > 0 && now() - builderSince >= 0) seal();
  }, flushIntervalMs);

  function committed(batch: CaptureBatch, outcome: WriteOutcome): void {
    failures = 0;
    if (outcome === "duplicate") {
      stats.batchesDuplicate++;
      return;
    }
    stats.batchesWritten++;
    stats.rowsWritten += batchRowCount(batch);
    const at = now();
    for (const r of batch.ticks) latency.record(at - r.receivedAtMs);
    for (const r of batch.trades) latency.record(at - r.receivedAtMs);
  }

  async function failed(batch: CaptureBatch, error: unknown): Promise<void> {
    failures++;
    stats.writeFailures++;
    logger.warn("batch write failed", {
      batch: batch.id,
      failures,
      error: (error as Error)?.message ?? String(error),
    });
    if (failures >= spoolAfterFailures) await spoolQueue(`${failures} failed writes`);
    const delay = Math.min(10_000, retryBaseMs * 2 ** Math.min(failures - 1, 5));
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, delay);
      retryAbort.signal.addEventListener("abort", () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }

  async function writerLoop(): Promise<void> {
    while (!stopped) {
      await spooling;
      if (!spool.empty) {
        const batch = await spool.peek();
        if (batch !== null) {
          inflight = batch;
          inflightFromSpool = true;
          try {
            committed(batch, await writeOnce(batch, "spool"));
            inflight = null;
            await spool.ack();
          } catch (error) {
            inflight = null;
            if (stopped) return;
            if (stopping) return void await spoolQueue("database unreachable while stopping");
            await failed(batch, error);
          }
          updateGauges();
          notifyDrained();
          continue;
        }
      }
      const batch = queue.shift();
      if (batch === undefined) {
        notifyDrained();
        if (stopping) return;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      queuedRows -= batchRowCount(batch);
      inflight = batch;
      inflightFromSpool = false;
      try {
        const outcome = await writeOnce(batch, "ws");
        if (stopped) return; // the stop already spooled it; the replay will find its id
        committed(batch, outcome);
        inflight = null;
      } catch (error) {
        inflight = null;
        if (stopped) return;
        queue.unshift(batch);
        queuedRows += batchRowCount(batch);
        if (stopping) return void await spoolQueue("database unreachable while stopping");
        await failed(batch, error);
      }
      updateGauges();
      notifyDrained();
    }
  }

  const writer = writerLoop().catch((error) => {
    logger.error("capture writer crashed", { error });
  });

  const add = <T>(fn: (row: T) => void) => (row: T) => {
    fn(row);
    added();
  };

  return {
    tick: add((row: TickRow) => builder.tick(row)),
    trade: add((row: TradeRow) => builder.trade(row)),
    lifecycle: add((row: LifecycleRow) => builder.lifecycleMessage(row)),
    deadLetter: add((row: DeadLetterRow) => builder.deadLetter(row)),
    gap: add((row: GapRow) => builder.gap(row)),
    seal,
    get stats() {
      updateGauges();
      return stats;
    },
    latency,
    get writing() {
      return inflight !== null;
    },
    drained(signal) {
      if (isDrained()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        drainWaiters.add(resolve);
        signal?.addEventListener("abort", () => {
          drainWaiters.delete(resolve);
          reject(signal.reason);
        }, { once: true });
      });
    },
    async stop(stopOptions = {}) {
      clearInterval(timer);
      seal();
      stopping = true;
      const spooledBefore = stats.batchesSpooled;
      retryAbort.abort();
      signalWriter();
      const deadline = stopOptions.deadline;
      const deadlinePassed = new Promise<"deadline">((resolve) => {
        if (deadline === undefined) return;
        if (deadline.aborted) resolve("deadline");
        deadline.addEventListener("abort", () => resolve("deadline"), { once: true });
      });
      // The writer ends when everything is written, or spools and ends at the first failure.
      await Promise.race([writer, deadlinePassed]);
      stopped = true;
      signalWriter();
      const left: CaptureBatch[] = [];
      // An in-flight batch read from the spool is still in the spool; one from memory is not.
      if (inflight !== null && !inflightFromSpool) left.push(inflight);
      left.push(...queue.splice(0, queue.length));
      queuedRows = 0;
      await spooling;
      if (left.length > 0) {
        await spool.append(left);
        stats.batchesSpooled += left.length;
        logger.warn("spooled unflushed batches at stop", { batches: left.length, dir: spool.dir });
      }
      updateGauges();
      return {
        flushed: left.length === 0 && spool.empty,
        spooledBatches: stats.batchesSpooled - spooledBefore,
      };
    },
  };
}
