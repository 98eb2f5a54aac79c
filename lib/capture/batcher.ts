/**
 * Batching: rows collect in a builder and are sealed into a batch by size or by age, each sealed
 * batch handed on with the next id of the session (`<sessionId>:<n>`).
 * @module
 */
import { BatchBuilder, type CaptureBatch } from "./batch.ts";
import type {
  CapturedDeltaRow,
  CapturedSnapshotRow,
  DeadLetterRow,
  GapRow,
  LifecycleRow,
  TickRow,
  TradeRow,
} from "./rows.ts";

/** Options of {@linkcode Batcher}. */
export interface BatcherOptions {
  /** Prefix of batch ids; unique per process run. */
  sessionId: string;
  /** Seal a batch at this many rows (default 5000). */
  maxBatchRows?: number;
  /** Seal a non-empty batch after this many ms (default 250). */
  flushIntervalMs?: number;
  /** Receives each sealed batch, in order. */
  onSealed: (batch: CaptureBatch) => void;
}

/** Collects rows and seals them into batches. */
export class Batcher {
  #builder = new BatchBuilder();
  #next = 1;
  #options: BatcherOptions;
  #maxRows: number;
  #timer: ReturnType<typeof setInterval>;

  /** Starts the age timer. */
  constructor(options: BatcherOptions) {
    this.#options = options;
    this.#maxRows = options.maxBatchRows ?? 5000;
    this.#timer = setInterval(() => this.seal(), options.flushIntervalMs ?? 250);
  }

  /** Rows collecting in the open batch. */
  get rows(): number {
    return this.#builder.rows;
  }

  /** Adds a tick. */
  tick(row: TickRow): void {
    this.#builder.tick(row);
    this.#added();
  }

  /** Adds a trade. */
  trade(row: TradeRow): void {
    this.#builder.trade(row);
    this.#added();
  }

  /** Adds a lifecycle message. */
  lifecycle(row: LifecycleRow): void {
    this.#builder.lifecycleMessage(row);
    this.#added();
  }

  /** Adds a dead letter. */
  deadLetter(row: DeadLetterRow): void {
    this.#builder.deadLetter(row);
    this.#added();
  }

  /** Adds a capture gap. */
  gap(row: GapRow): void {
    this.#builder.gap(row);
    this.#added();
  }

  /** Adds an order-book snapshot. */
  orderbookSnapshot(row: CapturedSnapshotRow): void {
    this.#builder.orderbookSnapshot(row);
    this.#added();
  }

  /** Adds an order-book delta. */
  orderbookDelta(row: CapturedDeltaRow): void {
    this.#builder.orderbookDelta(row);
    this.#added();
  }

  /** Seals the open batch now (if it has rows). */
  seal(): void {
    if (this.#builder.rows === 0) return;
    const id = `${this.#options.sessionId}:${this.#next++}`;
    this.#options.onSealed(this.#builder.seal(this.#options.sessionId, id));
  }

  /** Stops the age timer (seal what is left first). */
  close(): void {
    clearInterval(this.#timer);
  }

  #added(): void {
    if (this.#builder.rows >= this.#maxRows) this.seal();
  }
}
