/**
 * A capture batch: the rows received in one short window, sealed under a unique id so it is
 * written to PostgreSQL exactly once (the id commits in `ingested_batches` with the rows).
 */
import type { DeadLetterRow, GapRow, LifecycleRow, TickRow, TradeRow } from "./rows.ts";

/** A sealed batch. Plain JSON: the spool stores it as one line. */
export interface CaptureBatch {
  /** Unique id, `<sessionId>:<n>`. */
  id: string;
  sessionId: string;
  ticks: TickRow[];
  trades: TradeRow[];
  lifecycle: LifecycleRow[];
  deadLetters: DeadLetterRow[];
  gaps: GapRow[];
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
    batch.deadLetters.length + batch.gaps.length;
}

/** Collects rows until sealed. */
export class BatchBuilder {
  ticks: TickRow[] = [];
  trades: TradeRow[] = [];
  lifecycle: LifecycleRow[] = [];
  deadLetters: DeadLetterRow[] = [];
  gaps: GapRow[] = [];
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
      maxExchangeMs: this.#max,
      minExchangeMs: this.#min,
      firstReceivedMs: this.#firstReceived,
    };
    this.ticks = [];
    this.trades = [];
    this.lifecycle = [];
    this.deadLetters = [];
    this.gaps = [];
    this.#max = null;
    this.#min = null;
    this.#firstReceived = null;
    this.rows = 0;
    return batch;
  }
}
