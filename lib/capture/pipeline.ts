/**
 * The capture pipeline between the socket and PostgreSQL, wired from named parts: rows collect in
 * a batch sealed by size or age (./batcher.ts); sealed batches queue in memory, bounded by rows,
 * overflowing to the on-disk spool (./batch_queue.ts); a single in-order writer replays the spool
 * before anything newer (./writer.ts), so batches reach the database in the order they were
 * sealed, each exactly once. Stopping flushes what it can before a deadline and spools the rest.
 * @module
 */
import type { Logger } from "../log/mod.ts";
import type { Sql } from "../db/mod.ts";
import { batchRowCount, type CaptureBatch } from "./batch.ts";
import { Batcher } from "./batcher.ts";
import { BatchQueue } from "./batch_queue.ts";
import type {
  CapturedDeltaRow,
  CapturedSnapshotRow,
  DeadLetterRow,
  GapRow,
  LifecycleRow,
  TickRow,
  TradeRow,
} from "./rows.ts";
import type { Spool } from "./spool.ts";
import { type NewMarketsHook, writeBatch, writeBatches, type WriteOutcome } from "./store.ts";
import { LatencyHistogram } from "./latency.ts";
import { BatchWriter, type GroupWrite } from "./writer.ts";

/** Options of {@linkcode createCapturePipeline}. */
export interface CapturePipelineOptions {
  /** The database batches are written to. */
  sql: Sql;
  /** The on-disk spool holding batches the database has not taken yet (replayed first). */
  spool: Spool;
  /** Where write failures, spooling and drops are logged. */
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
  /**
   * Writes several queued batches in one transaction (default {@linkcode writeBatches}; none when
   * `write` is injected without it). Injectable for tests.
   */
  writeGroup?: GroupWrite;
  /** Most batches one catch-up transaction takes (default 64). */
  maxGroupBatches?: number;
  /** Most rows one catch-up transaction takes (default 50 000). */
  maxGroupRows?: number;
}

/** Counters of a pipeline, for metrics and tests. */
export interface PipelineStats {
  /** Batches committed to the database. */
  batchesWritten: number;
  /** Batches whose id was already committed (a retry or spool replay), so skipped. */
  batchesDuplicate: number;
  /** Batches moved from memory to the on-disk spool. */
  batchesSpooled: number;
  /** Rows of the batches committed (duplicates not counted). */
  rowsWritten: number;
  /** Failed write attempts; their batches stay queued or spooled and are tried again. */
  writeFailures: number;
  /** Write transactions begun (a catch-up group of batches is one). */
  writeTransactions: number;
  /** Rows sealed or collecting in memory. */
  bufferedRows: number;
  /** Bytes waiting in the on-disk spool. */
  spoolBytes: number;
  /** Rows dropped because neither the database nor the disk took them (recorded as gaps). */
  rowsDropped: number;
  /** When rows were last dropped (the pipeline's clock), or null. */
  lastDropMs: number | null;
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
  /** Adds a `ticks` row to the collecting batch. */
  tick(row: TickRow): void;
  /** Adds a `trades` row to the collecting batch. */
  trade(row: TradeRow): void;
  /** Adds a `market_lifecycle` row to the collecting batch. */
  lifecycle(row: LifecycleRow): void;
  /** Adds a `dead_letters` row to the collecting batch. */
  deadLetter(row: DeadLetterRow): void;
  /** Adds a `capture_gaps` row to the collecting batch. */
  gap(row: GapRow): void;
  /** Adds an order-book snapshot row to the collecting batch. */
  orderbookSnapshot(row: CapturedSnapshotRow): void;
  /** Adds an order-book delta row to the collecting batch. */
  orderbookDelta(row: CapturedDeltaRow): void;
  /** Seals the collecting batch now (if it has rows). */
  seal(): void;
  /** The counters, with the memory and spool gauges brought up to date on each read. */
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
  const { spool, logger } = options;
  const stats = emptyStats(spool);
  const now = options.now ?? Date.now;
  const dropped = new DroppedSpan();
  const latency = new LatencyHistogram();
  const drainWaiters = new Set<() => void>();
  const queue: BatchQueue = new BatchQueue(spool, logger, {
    maxRows: options.maxBufferRows ?? 200_000,
    onSpooled: (n) => (stats.batchesSpooled += n),
    onAppended: () => {
      updateGauges();
      writer.signal();
    },
    head: (): readonly CaptureBatch[] => {
      const inflight = writer.inflight;
      return inflight !== null && !inflight.spooled ? inflight.batches : [];
    },
    onHeadSpooled: (batches) => {
      if (writer.inflight !== null && batches.includes(writer.inflight.batches[0])) {
        writer.inflight.spooled = true;
      }
    },
    onDropped: (batches) => {
      for (const b of batches) stats.rowsDropped += dropped.add(b);
      stats.lastDropMs = now();
    },
  });
  const writer: BatchWriter = new BatchWriter({
    ...writeFunctions(options),
    queue,
    spool,
    logger,
    latency,
    stats,
    now,
    spoolAfterFailures: options.spoolAfterFailures,
    retryBaseMs: options.retryBaseMs,
    onProgress: () => {
      updateGauges();
      notifyDrained();
    },
    // The database is back: what was dropped meanwhile becomes a recorded gap.
    onCommitted: () => {
      const gap = dropped.take();
      if (gap !== null) batcher.gap(gap);
    },
  });
  const batcher = new Batcher({
    sessionId: options.sessionId,
    maxBatchRows: options.maxBatchRows,
    flushIntervalMs: options.flushIntervalMs,
    onSealed: (batch) => {
      queue.push(batch);
      updateGauges();
      writer.signal();
    },
  });

  const isDrained = () =>
    queue.length === 0 && writer.inflight === null && batcher.rows === 0 && spool.empty;
  function notifyDrained(): void {
    if (!isDrained()) return;
    for (const resolve of drainWaiters) resolve();
    drainWaiters.clear();
  }
  function updateGauges(): void {
    const inflight = writer.inflight;
    const writing = inflight?.batches.reduce((n, b) => n + batchRowCount(b), 0) ?? 0;
    stats.bufferedRows = queue.rows + batcher.rows + writing;
    stats.spoolBytes = spool.bytes;
  }

  const running = writer.run().catch((error) => {
    logger.error("capture writer crashed", { error });
  });

  return {
    tick: (row) => batcher.tick(row),
    trade: (row) => batcher.trade(row),
    lifecycle: (row) => batcher.lifecycle(row),
    deadLetter: (row) => batcher.deadLetter(row),
    gap: (row) => batcher.gap(row),
    orderbookSnapshot: (row) => batcher.orderbookSnapshot(row),
    orderbookDelta: (row) => batcher.orderbookDelta(row),
    seal: () => batcher.seal(),
    get stats() {
      updateGauges();
      return stats;
    },
    latency,
    get writing() {
      return writer.inflight !== null;
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
    stop: (stopOptions = {}) =>
      stopPipeline(
        { batcher, dropped, stats, writer, running, queue, spool, logger, updateGauges },
        stopOptions.deadline,
      ),
  };
}

/** The writer's write functions and group bounds: the injected ones or the store's. */
function writeFunctions(options: CapturePipelineOptions) {
  const { sql, instance, onNewMarkets } = options;
  const write = options.write ??
    ((batch: CaptureBatch, source: string, salvage: boolean) =>
      writeBatch(sql, batch, { instance, source, salvage, onNewMarkets }));
  // An injected single write without a group write means: no groups.
  const writeGroup: GroupWrite | undefined = options.writeGroup ??
    (options.write !== undefined
      ? undefined
      : (batches, source) => writeBatches(sql, batches, { instance, source, onNewMarkets }));
  return {
    write,
    writeGroup,
    maxGroupBatches: options.maxGroupBatches,
    maxGroupRows: options.maxGroupRows,
  };
}

function emptyStats(spool: Spool): PipelineStats {
  return {
    batchesWritten: 0,
    batchesDuplicate: 0,
    batchesSpooled: 0,
    rowsWritten: 0,
    writeFailures: 0,
    writeTransactions: 0,
    bufferedRows: 0,
    spoolBytes: spool.bytes,
    rowsDropped: 0,
    lastDropMs: null,
  };
}

/** The parts {@linkcode stopPipeline} finishes. */
interface StoppingParts {
  batcher: Batcher;
  dropped: DroppedSpan;
  stats: PipelineStats;
  writer: BatchWriter;
  running: Promise<void>;
  queue: BatchQueue;
  spool: Spool;
  logger: Logger;
  updateGauges: () => void;
}

/**
 * Stops: seals, lets the writer flush until done or the deadline, then spools whatever is left
 * (including a write still in flight: its id makes a later replay harmless).
 */
async function stopPipeline(p: StoppingParts, deadline?: AbortSignal): Promise<StopReport> {
  p.batcher.close();
  // What was dropped is recorded now, even if the database never came back (then spooled).
  const gap = p.dropped.take();
  if (gap !== null) p.batcher.gap(gap);
  p.batcher.seal();
  const spooledBefore = p.stats.batchesSpooled;
  const left = await stopWriter(p.writer, p.running, deadline);
  p.batcher.seal(); // rows added while the writer flushed (a gap recorded on a commit)
  await p.queue.spooling;
  left.push(...p.queue.takeAll());
  await p.queue.spooling;
  if (left.length > 0) {
    await p.spool.append(left);
    p.stats.batchesSpooled += left.length;
    p.logger.warn("spooled unflushed batches at stop", { batches: left.length, dir: p.spool.dir });
  }
  p.updateGauges();
  return {
    flushed: left.length === 0 && p.spool.empty,
    spooledBatches: p.stats.batchesSpooled - spooledBefore,
  };
}

/**
 * What was dropped while neither the database nor the disk took batches: one span (bounded
 * memory, however long the outage), handed out as a capture gap once the database is back.
 */
class DroppedSpan {
  #start: number | null = null;
  #end: number | null = null;
  #rows = 0;
  #batches = 0;

  /** Adds a dropped batch; returns its row count. */
  add(batch: CaptureBatch): number {
    const rows = batchRowCount(batch);
    const times = [batch.firstReceivedMs, batch.minExchangeMs, batch.maxExchangeMs]
      .filter((t) => t !== null) as number[];
    if (times.length > 0) {
      this.#start = Math.min(this.#start ?? Infinity, ...times);
      this.#end = Math.max(this.#end ?? -Infinity, ...times);
    }
    this.#rows += rows;
    this.#batches++;
    return rows;
  }

  /** The gap row of everything dropped so far (and a fresh span), or null when nothing was. */
  take(): GapRow | null {
    if (this.#batches === 0) return null;
    const start = this.#start ?? Date.now();
    const gap: GapRow = {
      channel: "all",
      marketTickers: null,
      startMs: start,
      endMs: Math.max(start, this.#end ?? start),
      reason: "buffer_dropped",
      detail: { rows: this.#rows, batches: this.#batches },
    };
    this.#start = this.#end = null;
    this.#rows = this.#batches = 0;
    return gap;
  }
}

/**
 * Lets the writer finish until the queue is empty (it spools and ends at the first failure) or
 * the deadline passes, then takes over: returns the in-flight batch when it came from memory (one
 * read from the spool is still in the spool).
 */
async function stopWriter(
  writer: BatchWriter,
  running: Promise<void>,
  deadline: AbortSignal | undefined,
): Promise<CaptureBatch[]> {
  writer.stopping = true;
  writer.cutRetry();
  writer.signal();
  const deadlinePassed = new Promise<"deadline">((resolve) => {
    if (deadline === undefined) return;
    if (deadline.aborted) resolve("deadline");
    deadline.addEventListener("abort", () => resolve("deadline"), { once: true });
  });
  await Promise.race([running, deadlinePassed]);
  writer.stopped = true;
  writer.signal();
  const inflight = writer.inflight;
  return inflight !== null && !inflight.spooled ? [...inflight.batches] : [];
}
