/**
 * A capture batch: the rows received in one short window, sealed under a unique id so it is
 * written to PostgreSQL exactly once (the id commits in `ingested_batches` with the rows).
 */
import type {
  CapturedDeltaRow,
  CapturedSnapshotRow,
  DeadLetterRow,
  GapRow,
  LifecycleRow,
  TickRow,
  TradeRow,
} from "./rows.ts";

/** A sealed batch. Plain JSON: the spool stores it as one line. */
export interface CaptureBatch {
  /** Unique id, `<sessionId>:<n>`. */
  id: string;
  /** The capture session (process run) that sealed it. */
  sessionId: string;
  /** `ticks` rows. */
  ticks: TickRow[];
  /** `trades` rows. */
  trades: TradeRow[];
  /** `market_lifecycle` rows. */
  lifecycle: LifecycleRow[];
  /** `dead_letters` rows. */
  deadLetters: DeadLetterRow[];
  /** `capture_gaps` rows. */
  gaps: GapRow[];
  /** Order-book snapshots (absent in batches spooled before order books were captured). */
  orderbookSnapshots?: CapturedSnapshotRow[];
  /** Order-book deltas (absent likewise). */
  orderbookDeltas?: CapturedDeltaRow[];
  /** Highest exchange time (ms) among ticks and trades: the capture watermark; null if none. */
  maxExchangeMs: number | null;
  /** Lowest exchange time (ms) among ticks and trades; null if none. */
  minExchangeMs: number | null;
  /** Earliest receive time (ms) of any row. */
  firstReceivedMs: number | null;
}

/** Number of rows a batch carries. */
export function batchRowCount(batch: CaptureBatch): number {
  return batch.ticks.length + batch.trades.length + batch.lifecycle.length +
    batch.deadLetters.length + batch.gaps.length + (batch.orderbookSnapshots?.length ?? 0) +
    (batch.orderbookDeltas?.length ?? 0);
}

/** Collects rows until sealed. */
export class BatchBuilder {
  /** Ticks collected so far, in arrival order. */
  ticks: TickRow[] = [];
  /** Trades collected so far, in arrival order. */
  trades: TradeRow[] = [];
  /** Lifecycle rows collected so far, in arrival order. */
  lifecycle: LifecycleRow[] = [];
  /** Dead letters collected so far, in arrival order. */
  deadLetters: DeadLetterRow[] = [];
  /** Capture gaps collected so far, in arrival order. */
  gaps: GapRow[] = [];
  /** Order-book snapshots collected so far, in arrival order. */
  orderbookSnapshots: CapturedSnapshotRow[] = [];
  /** Order-book deltas collected so far, in arrival order. */
  orderbookDeltas: CapturedDeltaRow[] = [];
  #max: number | null = null;
  #min: number | null = null;
  #firstReceived: number | null = null;
  /** Rows collected so far. */
  rows = 0;

  #seen(receivedAtMs: number, exchangeMs: number | null): void {
    this.rows++;
    this.#firstReceived ??= receivedAtMs;
    if (exchangeMs !== null) {
      if (this.#max === null || exchangeMs > this.#max) this.#max = exchangeMs;
      if (this.#min === null || exchangeMs < this.#min) this.#min = exchangeMs;
    }
  }

  /** Adds a tick. */
  tick(row: TickRow): void {
    this.ticks.push(row);
    this.#seen(row.receivedAtMs, row.tsMs);
  }

  /** Adds a trade. */
  trade(row: TradeRow): void {
    this.trades.push(row);
    this.#seen(row.receivedAtMs, row.tsMs);
  }

  /** Adds a lifecycle message. */
  lifecycleMessage(row: LifecycleRow): void {
    this.lifecycle.push(row);
    this.#seen(row.receivedAtMs, null);
  }

  /** Adds a dead letter. */
  deadLetter(row: DeadLetterRow): void {
    this.deadLetters.push(row);
    this.#seen(row.receivedAtMs, null);
  }

  /** Adds a capture gap. */
  gap(row: GapRow): void {
    this.gaps.push(row);
    this.rows++;
  }

  /** Adds an order-book snapshot (its time is not an exchange time: no watermark). */
  orderbookSnapshot(row: CapturedSnapshotRow): void {
    this.orderbookSnapshots.push(row);
    this.#seen(row.receivedAtMs, null);
  }

  /** Adds an order-book delta. */
  orderbookDelta(row: CapturedDeltaRow): void {
    this.orderbookDeltas.push(row);
    this.#seen(row.receivedAtMs, row.tsMs);
  }

  /** Seals the rows into a batch with `id` and empties the builder. */
  seal(sessionId: string, id: string): CaptureBatch {
    const batch: CaptureBatch = {
      id,
      sessionId,
      ticks: this.ticks,
      trades: this.trades,
      lifecycle: this.lifecycle,
      deadLetters: this.deadLetters,
      gaps: this.gaps,
      ...(this.orderbookSnapshots.length > 0
        ? { orderbookSnapshots: this.orderbookSnapshots }
        : {}),
      ...(this.orderbookDeltas.length > 0 ? { orderbookDeltas: this.orderbookDeltas } : {}),
      maxExchangeMs: this.#max,
      minExchangeMs: this.#min,
      firstReceivedMs: this.#firstReceived,
    };
    this.ticks = [];
    this.trades = [];
    this.lifecycle = [];
    this.deadLetters = [];
    this.gaps = [];
    this.orderbookSnapshots = [];
    this.orderbookDeltas = [];
    this.#max = null;
    this.#min = null;
    this.#firstReceived = null;
    this.rows = 0;
    return batch;
  }
}
