/**
 * Order-book capture: every `orderbook_snapshot` and `orderbook_delta` of the order-book
 * subscription becomes a row, and each market's book is kept in memory by applying its deltas.
 *
 * - Order key: every order-book message takes the next receive ordinal of the session (modulo
 *   2^31), so rows sharing a millisecond keep their arrival order.
 * - Snapshot time: a snapshot carries no exchange time. It is stamped when the next delta of the
 *   subscription arrives: at that delta's time, or at the receive time when earlier, and never
 *   before the last delta seen before it; so no delta sent after the snapshot sorts before it and
 *   none sent before sorts after it.
 * - Resync: a `seq` gap on the order-book sid, a reconnect or a restart marks every book stale,
 *   asks for fresh snapshots (`get_snapshot`; a reconnect re-subscribes) and records a capture
 *   gap for those markets, from before the last good delta to the last resync snapshot. Snapshots
 *   after a gap are stored with kind `resync`. A delta that would make a level negative does the
 *   same for its market. Deltas of a stale book are not stored: the gap covers them.
 * - Checkpoints: {@linkcode OrderbookCapture.checkpoint} stores every book changed since its last
 *   snapshot, from the maintained book (kind `checkpoint`).
 * @module
 */
import type {
  CapturedDeltaRow,
  CapturedSnapshotRow,
  DeadLetterRow,
  GapRow,
} from "@kalshi-data/lib/capture";
import type {
  OrderbookDeltaMsg,
  OrderbookLevel,
  OrderbookSnapshotMsg,
} from "@kalshi-data/lib/kalshi";
import type { Logger } from "@kalshi-data/lib/log";
import {
  checkDeltaRow,
  checkpointRow,
  checkSnapshotRow,
  MAX_INT32,
  OrderBook,
} from "@kalshi-data/lib/orderbook";

/** The order-book channel. */
export const ORDERBOOK_CHANNEL = "orderbook_delta";

/** Where the rows go (the capture pipeline). */
export interface OrderbookSink {
  orderbookSnapshot(row: CapturedSnapshotRow): void;
  orderbookDelta(row: CapturedDeltaRow): void;
  gap(row: GapRow): void;
  deadLetter(row: DeadLetterRow): void;
}

/** Options of {@linkcode OrderbookCapture}. */
export interface OrderbookCaptureOptions {
  sink: OrderbookSink;
  /** Asks the server for fresh snapshots; false when it cannot now (a reconnect will). */
  requestSnapshots(tickers: string[]): boolean;
  logger: Logger;
  /** Stamped on dead letters. */
  sessionId: string;
  /** Widen gap starts by this many ms (default 1000). */
  slackMs?: number;
  /**
   * Resync on a `seq` gap (default true). False relaxes the per-sid check, for a recorded
   * stream cut from a larger capture whose `seq` is not contiguous.
   */
  seqCheck?: boolean;
}

interface MarketBook {
  book: OrderBook;
  /** False until a snapshot arrives (and again after a gap until its resync snapshot). */
  live: boolean;
  /** Whether this session ever had a snapshot of it. */
  known: boolean;
  /** Exchange time and order key of the last change applied. */
  lastTs: number;
  lastOrd: number;
  /** Changed since its last stored snapshot. */
  dirty: boolean;
}

interface Pending {
  row: Omit<CapturedSnapshotRow, "tsMs">;
  /** Last delta time of the subscription before the snapshot, or null. */
  lowerMs: number | null;
}

interface Episode {
  reason: string;
  startMs: number;
  /** Checkpoint ticks it has been open for. */
  ticks: number;
  waiting: Set<string>;
  markets: string[];
  /** Latest stamp of its resync snapshots. */
  endMs: number;
  detail: Record<string, unknown>;
}

/** Counters for readiness, status and metrics. */
export interface OrderbookStats {
  snapshots: number;
  deltas: number;
  checkpoints: number;
  gaps: number;
  /** Deltas not stored because their book awaited a snapshot. */
  skippedDeltas: number;
  /** Receive time (capture clock) of the last order-book message, or null. */
  lastMessageMs: number | null;
}

/** The order books of one capture session. */
export class OrderbookCapture {
  readonly stats: OrderbookStats = {
    snapshots: 0,
    deltas: 0,
    checkpoints: 0,
    gaps: 0,
    skippedDeltas: 0,
    lastMessageMs: null,
  };
  #o: OrderbookCaptureOptions;
  #markets = new Set<string>();
  #books = new Map<string, MarketBook>();
  #ordinal = 0;
  #pending: Pending[] = [];
  #lastDeltaMs: number | null = null;
  #episodes: Episode[] = [];

  /** Capture with nothing subscribed yet. */
  constructor(options: OrderbookCaptureOptions) {
    this.#o = options;
  }

  /** Markets whose book is maintained now (a snapshot arrived and no gap since). */
  get booksMaintained(): number {
    let n = 0;
    for (const b of this.#books.values()) if (b.live) n++;
    return n;
  }

  /** The maintained book of `ticker` (both sides ascending), or null when none is maintained. */
  levels(ticker: string): { yes: OrderbookLevel[]; no: OrderbookLevel[] } | null {
    const b = this.#books.get(ticker);
    return b === undefined || !b.live
      ? null
      : { yes: b.book.levels("yes"), no: b.book.levels("no") };
  }

  /** Markets in the order-book scope now. */
  get markets(): ReadonlySet<string> {
    return this.#markets;
  }

  /** Gaps still waiting for their resync snapshots. */
  get openGaps(): number {
    return this.#episodes.length;
  }

  /** The scope changed: books of markets that left it are forgotten. */
  setMarkets(tickers: readonly string[]): void {
    this.#markets = new Set(tickers);
    for (const t of [...this.#books.keys()]) if (!this.#markets.has(t)) this.#books.delete(t);
    for (const e of this.#episodes) {
      for (const t of [...e.waiting]) if (!this.#markets.has(t)) e.waiting.delete(t);
    }
    this.#closeDone();
  }

  /** Last exchange time seen, to start a restart gap elsewhere consistently. */
  get lastDeltaMs(): number | null {
    return this.#lastDeltaMs;
  }

  /** An `orderbook_snapshot` received at `atMs`. */
  snapshot(m: OrderbookSnapshotMsg, atMs: number): void {
    const order = this.#nextOrder(atMs);
    const entry = this.#book(m.marketTicker);
    const resync = entry.known || this.#episodes.some((e) => e.waiting.has(m.marketTicker));
    const row: Omit<CapturedSnapshotRow, "tsMs"> = {
      marketTicker: m.marketTicker,
      order,
      kind: resync ? "resync" : "subscribe",
      yes: m.levels.yes,
      no: m.levels.no,
      receivedAtMs: atMs,
    };
    if (!this.#valid(() => checkSnapshotRow({ ...row, tsMs: atMs }), m, atMs)) return;
    entry.book.applySnapshot(m.levels.yes, m.levels.no);
    Object.assign(entry, { live: true, known: true, lastOrd: order, dirty: false });
    this.#pending.push({ row, lowerMs: this.#lastDeltaMs });
  }

  /** An `orderbook_delta` received at `atMs`. */
  delta(m: OrderbookDeltaMsg, atMs: number): void {
    const order = this.#nextOrder(atMs);
    const tsMs = m.tsMs ?? atMs;
    this.#stampPending(tsMs);
    this.#lastDeltaMs = Math.max(this.#lastDeltaMs ?? tsMs, tsMs);
    const entry = this.#books.get(m.marketTicker);
    if (entry === undefined || !entry.live) {
      this.stats.skippedDeltas++;
      return;
    }
    const row: CapturedDeltaRow = {
      marketTicker: m.marketTicker,
      tsMs,
      order,
      side: m.side,
      price: m.price,
      delta: m.delta,
      receivedAtMs: atMs,
    };
    if (!this.#valid(() => checkDeltaRow(row), m, atMs)) return;
    const refused = entry.book.applyDelta(m.side, m.price, m.delta);
    if (refused !== null) {
      this.#o.logger.warn("order-book delta would leave a negative level; resyncing", {
        market: m.marketTicker,
        ...refused,
      });
      this.resync("orderbook_negative", [m.marketTicker], atMs, { ...refused });
      return;
    }
    Object.assign(entry, { lastTs: tsMs, lastOrd: order, dirty: true });
    this.stats.deltas++;
    this.#o.sink.orderbookDelta(row);
  }

  /** A `seq` gap on the order-book sid at `atMs`: every book of the sid is resynced. */
  seqGap(atMs: number, detail: Record<string, unknown>): void {
    if (this.#o.seqCheck === false) {
      this.#o.logger.info("order-book seq gap ignored (seq check relaxed)", detail);
      return;
    }
    this.resync("seq_gap", [...this.#books.keys()], atMs, detail);
  }

  /** The connection was lost from `fromMs`: its re-subscription sends every snapshot again. */
  disconnected(fromMs: number, detail: Record<string, unknown>): void {
    this.#begin("disconnect", [...this.#markets], Math.min(fromMs, this.#lastDeltaMs ?? fromMs), {
      atMs: fromMs,
      detail,
    });
  }

  /** A restart: the previous session's data reached `resumeMs`; snapshots will be `resync`. */
  restarted(resumeMs: number, atMs: number): void {
    this.#begin("restart", [...this.#markets], resumeMs, { atMs, detail: {} });
  }

  /** Marks `tickers` stale, records their gap when resynced, and asks for snapshots. */
  resync(reason: string, tickers: string[], atMs: number, detail: Record<string, unknown>): void {
    if (tickers.length === 0) return;
    this.#begin(reason, tickers, Math.min(atMs, this.#lastDeltaMs ?? atMs), { atMs, detail });
    if (!this.#o.requestSnapshots(tickers)) {
      this.#o.logger.info("order-book resync waits for the re-subscription", { reason });
    }
  }

  /**
   * Stores a checkpoint of every maintained book changed since its last snapshot. A gap still
   * waiting at its second checkpoint (a market gone, a snapshot never sent) is closed at `nowMs`;
   * its markets stay without a book until a snapshot comes.
   */
  checkpoint(nowMs: number): number {
    let n = 0;
    for (const [ticker, b] of this.#books) {
      if (!b.live || !b.dirty) continue;
      const row = checkpointRow(b.book, { marketTicker: ticker, tsMs: b.lastTs, order: b.lastOrd });
      this.#o.sink.orderbookSnapshot({ ...row, receivedAtMs: nowMs });
      b.dirty = false;
      n++;
    }
    this.stats.checkpoints += n;
    for (const e of this.#episodes) {
      if (++e.ticks < 2 || this.#pending.length > 0) continue;
      this.#o.logger.warn("order-book resync incomplete; gap closed", {
        reason: e.reason,
        missing: [...e.waiting].slice(0, 20),
      });
      e.endMs = Math.max(e.endMs, nowMs);
      e.waiting.clear();
    }
    this.#closeDone();
    return n;
  }

  /** The session ends at `atMs`: pending snapshots are stamped, open gaps closed there. */
  close(atMs: number): void {
    this.#stampPending(null);
    for (const e of this.#episodes) {
      e.endMs = Math.max(e.endMs, atMs);
      e.waiting.clear();
    }
    this.#closeDone();
  }

  #book(ticker: string): MarketBook {
    let entry = this.#books.get(ticker);
    if (entry === undefined) {
      entry = {
        book: new OrderBook(),
        live: false,
        known: false,
        lastTs: 0,
        lastOrd: 0,
        dirty: false,
      };
      this.#books.set(ticker, entry);
    }
    return entry;
  }

  #nextOrder(atMs: number): number {
    this.stats.lastMessageMs = atMs;
    const order = this.#ordinal;
    this.#ordinal = this.#ordinal === MAX_INT32 ? 0 : this.#ordinal + 1;
    return order;
  }

  /** Runs a row check; a refused row becomes a dead letter (false). */
  #valid(check: () => void, m: OrderbookSnapshotMsg | OrderbookDeltaMsg, atMs: number): boolean {
    try {
      check();
      return true;
    } catch (error) {
      this.#o.sink.deadLetter({
        source: `ws:${m.type}`,
        error: `row refused: ${error instanceof Error ? error.message : String(error)}`,
        payload: JSON.stringify(m.raw),
        context: { sessionId: this.#o.sessionId },
        receivedAtMs: atMs,
      });
      return false;
    }
  }

  /** Stamps the pending snapshots (see the module doc); `nextMs` null: no delta followed. */
  #stampPending(nextMs: number | null): void {
    if (this.#pending.length === 0) return;
    for (const { row, lowerMs } of this.#pending) {
      const at = nextMs === null ? row.receivedAtMs : Math.min(row.receivedAtMs, nextMs);
      const tsMs = Math.max(lowerMs ?? at, at);
      this.#o.sink.orderbookSnapshot({ ...row, tsMs });
      this.stats.snapshots++;
      for (const e of this.#episodes) {
        if (e.waiting.delete(row.marketTicker)) e.endMs = Math.max(e.endMs, tsMs);
      }
      const entry = this.#books.get(row.marketTicker);
      if (entry !== undefined && entry.lastOrd === row.order) entry.lastTs = tsMs;
    }
    this.#pending = [];
    this.#closeDone();
  }

  #begin(
    reason: string,
    tickers: string[],
    fromMs: number,
    at: { atMs: number; detail: Record<string, unknown> },
  ): void {
    this.#stampPending(null);
    for (const t of tickers) {
      const b = this.#books.get(t);
      if (b !== undefined) b.live = false;
    }
    this.#episodes.push({
      reason,
      startMs: fromMs - (this.#o.slackMs ?? 1000),
      ticks: 0,
      waiting: new Set(tickers),
      markets: tickers,
      endMs: at.atMs,
      detail: at.detail,
    });
  }

  /** Records the gaps whose markets all resynced. */
  #closeDone(): void {
    const done = this.#episodes.filter((e) => e.waiting.size === 0);
    if (done.length === 0) return;
    this.#episodes = this.#episodes.filter((e) => e.waiting.size > 0);
    for (const e of done) {
      this.stats.gaps++;
      this.#o.sink.gap({
        channel: ORDERBOOK_CHANNEL,
        marketTickers: e.markets,
        startMs: e.startMs,
        endMs: Math.max(e.startMs, e.endMs),
        reason: e.reason,
        detail: Object.keys(e.detail).length === 0 ? null : e.detail,
      });
    }
  }
}
