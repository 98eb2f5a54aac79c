/**
 * The in-memory queue of sealed batches waiting for the writer, bounded by rows: past the bound,
 * or when asked (writes keep failing, the service stops), queued batches move to the tail of the
 * on-disk spool — led by the batch the writer has in flight, so a batch that then fails is
 * already ahead of the newer ones. The spool always holds older batches than the queue, so
 * replaying it first keeps the order in which batches were sealed. When the disk refuses too,
 * the batches stay in memory up to the bound; past it the oldest are dropped and reported (the
 * pipeline records them as a capture gap once the database is back).
 * @module
 */
import type { Logger } from "../log/mod.ts";
import { batchRowCount, type CaptureBatch } from "./batch.ts";
import type { Spool } from "./spool.ts";

/** What a {@linkcode BatchQueue} reports. */
export interface BatchQueueEvents {
  /** Batches are being moved to the spool (counted when the move starts). */
  onSpooled: (batches: number) => void;
  /** A spool append landed (the writer has older work to replay). */
  onAppended: () => void;
  /** The writer's in-flight batches from memory, not yet spooled (empty when none). */
  head?: () => readonly CaptureBatch[];
  /** Those in-flight batches are now in the spool, ahead of the batches spooled with them. */
  onHeadSpooled?: (batches: readonly CaptureBatch[]) => void;
  /** Batches dropped: neither the database nor the disk took them and memory is full. */
  onDropped?: (batches: CaptureBatch[]) => void;
}

/** Sealed batches in memory, overflowing to the spool. */
export class BatchQueue {
  #batches: CaptureBatch[] = [];
  #rows = 0;
  #spooling: Promise<void> = Promise.resolve();
  #spool: Spool;
  #logger: Logger;
  #maxRows: number;
  #events: BatchQueueEvents;

  /** A queue spooling past `maxRows`. */
  constructor(spool: Spool, logger: Logger, options: { maxRows: number } & BatchQueueEvents) {
    this.#spool = spool;
    this.#logger = logger;
    this.#maxRows = options.maxRows;
    this.#events = options;
  }

  /** Rows queued in memory. */
  get rows(): number {
    return this.#rows;
  }

  /** Batches queued in memory. */
  get length(): number {
    return this.#batches.length;
  }

  /** Settles once every spool append started so far has finished (or failed). */
  get spooling(): Promise<void> {
    return this.#spooling;
  }

  /** Queues a sealed batch; spools the queue when it passes the row bound. */
  push(batch: CaptureBatch): void {
    this.#batches.push(batch);
    this.#rows += batchRowCount(batch);
    if (this.#rows > this.#maxRows) void this.spoolAll(`buffer above ${this.#maxRows} rows`);
  }

  /** The oldest queued batch, removed; undefined when empty. */
  shift(): CaptureBatch | undefined {
    const batch = this.#batches.shift();
    if (batch !== undefined) this.#rows -= batchRowCount(batch);
    return batch;
  }

  /**
   * The oldest queued batches, removed: at least one (none when empty), then more while fewer
   * than `maxBatches` and their rows stay within `maxRows` — a backlog written in one go.
   */
  shiftGroup(limits: { maxBatches: number; maxRows: number }): CaptureBatch[] {
    const first = this.shift();
    if (first === undefined) return [];
    const group = [first];
    let rows = batchRowCount(first);
    while (group.length < limits.maxBatches && this.#batches.length > 0) {
      const next = batchRowCount(this.#batches[0]);
      if (rows + next > limits.maxRows) break;
      rows += next;
      group.push(this.shift()!);
    }
    return group;
  }

  /** Puts a batch back at the head (a write that failed). */
  unshift(batch: CaptureBatch): void {
    this.#batches.unshift(batch);
    this.#rows += batchRowCount(batch);
  }

  /** Removes and returns every queued batch. */
  takeAll(): CaptureBatch[] {
    this.#rows = 0;
    return this.#batches.splice(0, this.#batches.length);
  }

  /**
   * Moves every queued batch to the spool tail. When the disk refuses too, the batches stay in
   * memory rather than being lost.
   */
  spoolAll(reason: string): Promise<void> {
    if (this.#batches.length === 0) return this.#spooling;
    const head = [...(this.#events.head?.() ?? [])];
    const queued = this.takeAll();
    const moving = [...head, ...queued];
    this.#events.onSpooled(queued.length);
    this.#logger.warn("spooling batches", { reason, batches: moving.length, dir: this.#spool.dir });
    this.#spooling = this.#spooling.then(() => this.#spool.append(moving)).then(
      () => {
        if (head.length > 0) this.#events.onHeadSpooled?.(head);
        this.#events.onAppended();
      },
      (error) => this.#keepInMemory(queued, error),
    );
    return this.#spooling;
  }

  /** The disk refused: keep the batches (oldest first) up to the bound, drop the oldest beyond. */
  #keepInMemory(batches: CaptureBatch[], error: unknown): void {
    this.#logger.error("spool append failed; keeping batches in memory", {
      error: (error as Error)?.message ?? String(error),
    });
    for (const batch of batches.toReversed()) this.unshift(batch);
    const dropped: CaptureBatch[] = [];
    while (this.#rows > this.#maxRows && this.#batches.length > 1) {
      dropped.push(this.shift()!);
    }
    if (dropped.length === 0) return;
    this.#logger.error("database and disk both refuse: dropping the oldest batches", {
      batches: dropped.length,
      rows: dropped.reduce((n, b) => n + batchRowCount(b), 0),
      max_rows: this.#maxRows,
    });
    this.#events.onDropped?.(dropped);
  }
}
