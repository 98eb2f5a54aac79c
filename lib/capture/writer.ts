/**
 * The single in-order writer of capture batches: it replays the spool before anything newer,
 * then writes queued batches: one at a time while it keeps up, several in one transaction when a
 * backlog queued (after a database outage), so it catches up instead of paying several round
 * trips per small batch. A batch the database refuses as data is written again with per-row
 * salvage (a group it refuses is written again batch by batch, so one bad row never takes its
 * neighbours down); a failed write is retried with backoff, and after repeated failures
 * the queue goes to the spool. While stopping, a failure spools what is left and ends the loop.
 * @module
 */
import type { Logger } from "../log/mod.ts";
import { backoffDelay } from "../runtime/mod.ts";
import { batchRowCount, type CaptureBatch } from "./batch.ts";
import type { BatchQueue } from "./batch_queue.ts";
import type { LatencyHistogram } from "./latency.ts";
import type { Spool } from "./spool.ts";
import { isDataError, type WriteOutcome } from "./store.ts";

/** Writes one batch; `salvage` dead-letters the rows the database refuses instead of failing. */
export type BatchWrite = (
  batch: CaptureBatch,
  source: string,
  salvage: boolean,
) => Promise<WriteOutcome>;

/** Writes several batches (oldest first) in one transaction, without salvage; outcome by batch. */
export type GroupWrite = (
  batches: CaptureBatch[],
  source: string,
) => Promise<WriteOutcome[]>;

/** Counters of the writer, for metrics and tests. */
export interface WriterStats {
  batchesWritten: number;
  batchesDuplicate: number;
  rowsWritten: number;
  writeFailures: number;
  /** Write transactions begun (a group of batches is one). */
  writeTransactions: number;
}

/** Dependencies and settings of {@linkcode BatchWriter}. */
export interface BatchWriterOptions {
  write: BatchWrite;
  /** Writes a backlog of queued batches in one transaction; without it, one batch at a time. */
  writeGroup?: GroupWrite;
  /** Most batches one group takes (default 64). */
  maxGroupBatches?: number;
  /** Most rows one group takes (default 50 000; a single batch may have more). */
  maxGroupRows?: number;
  queue: BatchQueue;
  spool: Spool;
  logger: Logger;
  latency: LatencyHistogram;
  stats: WriterStats;
  /** Current time in ms (receive→commit latency). */
  now: () => number;
  /** Consecutive failed writes after which queued batches go to the spool (default 3). */
  spoolAfterFailures?: number;
  /** Pause after a failed write, ms (default 500, doubling up to 10 000). */
  retryBaseMs?: number;
  /** Called after each batch settles (written, failed or replayed). */
  onProgress: () => void;
  /** Called after a batch committed (the database takes writes again). */
  onCommitted?: () => void;
}

/** The writer loop and the state the pipeline's stop needs. */
export class BatchWriter {
  #o: BatchWriterOptions;
  #failures = 0;
  #wake: (() => void) | null = null;
  #retryAbort = new AbortController();
  /**
   * The batches being written, oldest first (those of a group not committed yet); `fromSpool`:
   * read from the spool (it is still there); `spooled`: taken from memory, then spooled ahead of
   * newer batches while in flight (a failure must not put them back in the queue, behind them).
   */
  inflight: { batches: CaptureBatch[]; fromSpool: boolean; spooled: boolean } | null = null;
  /** The loop returns once the queue is empty. */
  stopping = false;
  /** The stop took over: whatever the loop holds is handled by the stop. */
  stopped = false;

  /** A writer; call {@linkcode run} to start it. */
  constructor(options: BatchWriterOptions) {
    this.#o = options;
  }

  /** Wakes the loop when it waits for work. */
  signal(): void {
    this.#wake?.();
    this.#wake = null;
  }

  /** Ends a backoff pause at once (stopping). */
  cutRetry(): void {
    this.#retryAbort.abort();
  }

  /** Runs until stopped: spool first, then the queue. */
  async run(): Promise<void> {
    const { queue, spool } = this.#o;
    while (!this.stopped) {
      await this.#spoolingSettled();
      if (!spool.empty) {
        const replay = await this.#replayOne();
        if (replay === "end") return;
        if (replay === "replayed") continue;
      }
      const batches = queue.shiftGroup({
        maxBatches: this.#o.writeGroup === undefined ? 1 : this.#o.maxGroupBatches ?? 64,
        maxRows: this.#o.maxGroupRows ?? 50_000,
      });
      if (batches.length === 0) {
        this.#o.onProgress();
        if (this.stopping) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      if (!await this.#writeQueued(batches)) return;
    }
  }

  /**
   * Waits until no move to the spool is in progress — also one started while waiting — so a
   * batch still on its way to the spool is never overtaken by a newer one from the queue.
   */
  async #spoolingSettled(): Promise<void> {
    let pending: Promise<void>;
    do {
      pending = this.#o.queue.spooling;
      await pending;
    } while (pending !== this.#o.queue.spooling);
  }

  /** Writes the spool's oldest batch ("empty": it had none after all; "end": stop the loop). */
  async #replayOne(): Promise<"replayed" | "empty" | "end"> {
    const batch = await this.#o.spool.peek();
    if (batch === null) return "empty";
    this.inflight = { batches: [batch], fromSpool: true, spooled: true };
    try {
      this.#committed(batch, await this.#writeOnce(batch, "spool"));
      this.inflight = null;
      await this.#o.spool.ack();
    } catch (error) {
      this.inflight = null;
      if (this.stopped) return "end";
      if (this.stopping) {
        await this.#o.queue.spoolAll("database unreachable while stopping");
        return "end";
      }
      await this.#failed(batch, error);
    }
    this.#o.onProgress();
    return "replayed";
  }

  /** Writes batches from the queue (oldest first); false when the loop must end. */
  async #writeQueued(batches: CaptureBatch[]): Promise<boolean> {
    const inflight = { batches: [...batches], fromSpool: false, spooled: false };
    this.inflight = inflight;
    try {
      // Stopped meanwhile: the stop already spooled what is left; the replay finds their ids.
      if (!await this.#writeInflight(inflight)) return false;
      this.inflight = null;
    } catch (error) {
      this.inflight = null;
      if (this.stopped) return false;
      // Spooled meanwhile, they replay before the newer batches; else they head the queue again.
      if (!inflight.spooled) {
        for (const b of inflight.batches.toReversed()) this.#o.queue.unshift(b);
      }
      if (this.stopping) {
        await this.#o.queue.spoolAll("database unreachable while stopping");
        return false;
      }
      await this.#failed(inflight.batches[0] ?? batches[0], error);
    }
    this.#o.onProgress();
    return true;
  }

  /**
   * Writes the in-flight batches: several in one transaction, or (one batch, or a group the
   * database refused as data) one by one, each committed batch leaving `inflight.batches` at
   * once. False when the stop took over meanwhile.
   */
  async #writeInflight(inflight: { batches: CaptureBatch[] }): Promise<boolean> {
    const group = inflight.batches;
    if (group.length > 1 && this.#o.writeGroup !== undefined) {
      try {
        this.#o.stats.writeTransactions++;
        const outcomes = await this.#o.writeGroup([...group], "ws");
        if (this.stopped) return false;
        group.forEach((batch, i) => this.#committed(batch, outcomes[i]));
        inflight.batches.splice(0);
        return true;
      } catch (error) {
        if (!isDataError(error)) throw error;
        this.#o.logger.warn(
          "the database refused a row of a group; writing its batches one by one",
          {
            batches: group.length,
            error: (error as Error).message,
          },
        );
      }
    }
    while (inflight.batches.length > 0) {
      const outcome = await this.#writeOnce(inflight.batches[0], "ws");
      if (this.stopped) return false;
      this.#committed(inflight.batches.shift()!, outcome);
    }
    return true;
  }

  /** One write; a batch the database refuses as data is written again, salvaging what it can. */
  async #writeOnce(batch: CaptureBatch, source: string): Promise<WriteOutcome> {
    try {
      this.#o.stats.writeTransactions++;
      return await this.#o.write(batch, source, false);
    } catch (error) {
      if (!isDataError(error)) throw error;
      this.#o.logger.error("the database refused rows of a batch; dead-lettering them", {
        batch: batch.id,
        error: (error as Error).message,
      });
      this.#o.stats.writeTransactions++;
      return await this.#o.write(batch, source, true);
    }
  }

  #committed(batch: CaptureBatch, outcome: WriteOutcome): void {
    const { stats, latency } = this.#o;
    this.#failures = 0;
    this.#o.onCommitted?.();
    if (outcome === "duplicate") {
      stats.batchesDuplicate++;
      return;
    }
    stats.batchesWritten++;
    stats.rowsWritten += batchRowCount(batch);
    const at = this.#o.now();
    for (const r of batch.ticks) latency.record(at - r.receivedAtMs);
    for (const r of batch.trades) latency.record(at - r.receivedAtMs);
    for (const r of batch.orderbookDeltas ?? []) latency.record(at - r.receivedAtMs);
  }

  async #failed(batch: CaptureBatch, error: unknown): Promise<void> {
    this.#failures++;
    this.#o.stats.writeFailures++;
    this.#o.logger.warn("batch write failed", {
      batch: batch.id,
      failures: this.#failures,
      error: (error as Error)?.message ?? String(error),
    });
    if (this.#failures >= (this.#o.spoolAfterFailures ?? 3)) {
      await this.#o.queue.spoolAll(`${this.#failures} failed writes`);
    }
    const delay = backoffDelay(this.#failures - 1, {
      baseMs: this.#o.retryBaseMs ?? 500,
      maxMs: 10_000,
      jitter: false,
    });
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, delay);
      this.#retryAbort.signal.addEventListener("abort", () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
}
