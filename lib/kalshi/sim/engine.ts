/**
 * The emission engine: turns the world's evolution over (last, now] into the ordered sequence of
 * channel messages (ticker, trade, market_lifecycle_v2, event_lifecycle, and orderbook_delta for the
 * markets someone watches). The order is a pure function of (seed, times): items sort by (time,
 * market, kind), so the sequence does not depend on how often the engine is pumped.
 */
import { type BookEvent, closeBookEvents, deltaMsg, stepBookEvents } from "./book.ts";
import type { EmitRecord } from "./ground_truth.ts";
import { stepCount, stepLive, stepMs, stepTime, TotalsCache, tradesAt } from "./market_path.ts";
import type { MarketView } from "./objects.ts";
import { isComboEvent, LIFECYCLE_SLOTS, lifecycleTimeAt } from "./world.ts";

/** A channel message ready to frame (no sid/seq yet). */
export type Emission = EmitRecord;

/**
 * An order-book delta ready to frame. Computed only for watched markets, so it is not numbered and
 * not recorded as an emission; the ground truth of books is {@link bookAt} in ./book.ts.
 */
export interface BookEmission {
  kind: "book";
  time_ms: number;
  channel: "orderbook_delta";
  type: "orderbook_delta";
  market_ticker: string;
  msg: Record<string, unknown>;
}

interface Item {
  t: number;
  m: number;
  sub: number;
  channel: string;
  type: string;
  build: () => Record<string, unknown>;
  /** An order-book delta (not numbered). */
  book?: true;
}

/** Channel names the engine emits on. */
export const CHANNELS = {
  ticker: "ticker",
  trade: "trade",
  lifecycle: "market_lifecycle_v2",
  /** Combo (`KXMVE…`) markets' lifecycle and their events' `event_lifecycle`. */
  comboLifecycle: "multivariate_market_lifecycle",
  orderbook: "orderbook_delta",
} as const;

const NO_MARKETS: ReadonlySet<number> = new Set();

/** Produces emissions as time passes. */
export class Engine {
  #last: number;
  #n = 0;
  #totals: TotalsCache;
  /** Per event: earliest time something may happen again (lets a pump skip idle events). */
  #nextDue: Float64Array;
  constructor(private view: MarketView, startMs: number) {
    this.#last = startMs;
    this.#totals = new TotalsCache(view.world);
    this.#nextDue = new Float64Array(view.world.eventCount);
  }

  /** Time up to which emissions were produced (inclusive). */
  get lastMs(): number {
    return this.#last;
  }

  /** Number of emissions so far. */
  get count(): number {
    return this.#n;
  }

  /**
   * Emissions with time in (lastMs, nowMs], in order; advances lastMs. With `materialize` false the
   * messages are counted (numbers stay gap-free) but not built — nobody is listening or recording.
   * Order-book deltas are produced for the markets in `bookMarkets` only (computed lazily).
   */
  pump(
    nowMs: number,
    materialize = true,
    bookMarkets: ReadonlySet<number> = NO_MARKETS,
  ): Array<Emission | BookEmission> {
    const last = this.#last;
    if (nowMs <= last) return [];
    const w = this.view.world;
    const items: Item[] = [];
    for (let e = 0; e < w.eventCount; e++) {
      if (this.#nextDue[e] > nowMs) continue;
      if (w.eventCreatedMs[e] > nowMs || w.eventSettledMs[e] <= last) {
        this.#nextDue[e] = this.#dueAfter(e, nowMs);
        continue;
      }
      const first = w.eventFirstMarket[e];
      const created = w.eventCreatedMs[e];
      const combo = isComboEvent(w, e);
      const channel = combo ? CHANNELS.comboLifecycle : CHANNELS.lifecycle;
      const lifecycleType = combo ? "multivariate_market_lifecycle" : "market_lifecycle_v2";
      if (created > last && created <= nowMs) {
        items.push({
          t: created,
          m: first,
          sub: 0,
          channel,
          type: "event_lifecycle",
          build: () => this.view.eventLifecycleMsg(e),
        });
      }
      for (let m = first; m < first + w.eventMarketCount[e]; m++) {
        for (let slot = 0; slot < LIFECYCLE_SLOTS.length; slot++) {
          const at = lifecycleTimeAt(w, m, slot);
          if (at > last && at <= nowMs) {
            const kind = LIFECYCLE_SLOTS[slot];
            items.push({
              t: at,
              m,
              sub: 1,
              channel,
              type: lifecycleType,
              build: () => this.view.lifecycleMsg(m, kind),
            });
          }
        }
        this.#steps(m, last, nowMs, items);
        if (bookMarkets.has(m)) this.#bookItems(m, last, nowMs, items);
      }
      this.#nextDue[e] = this.#dueAfter(e, nowMs);
    }
    this.#last = nowMs;
    if (!materialize) {
      for (const it of items) if (!it.book) this.#n++;
      return [];
    }
    items.sort((a, b) => a.t - b.t || a.m - b.m || a.sub - b.sub);
    const w2 = this.view.world;
    return items.map((it): Emission | BookEmission =>
      it.book
        ? {
          kind: "book",
          time_ms: it.t,
          channel: CHANNELS.orderbook,
          type: "orderbook_delta",
          market_ticker: w2.marketTickers[it.m],
          msg: it.build(),
        }
        : {
          kind: "emit",
          n: ++this.#n,
          time_ms: it.t,
          channel: it.channel,
          type: it.type,
          market_ticker: it.type === "event_lifecycle" ? null : w2.marketTickers[it.m],
          msg: it.build(),
        }
    );
  }

  /** Order-book deltas of market m stamped in (last, now]. */
  #bookItems(m: number, last: number, now: number, items: Item[]): void {
    const w = this.view.world;
    const e = w.marketEvent[m];
    const step = stepMs(w, m);
    const open = w.eventOpenMs[e];
    if (open > now || w.eventCloseMs[e] + step <= last) return;
    const k0 = Math.max(0, Math.floor((last - step / 2 - open) / step));
    const k1 = Math.min(stepCount(w, m), Math.floor((now - open) / step) + 1);
    const events: BookEvent[] = [];
    for (let k = k0; k < k1; k++) events.push(...stepBookEvents(w, m, k, last, now));
    events.push(...closeBookEvents(w, m, last, now));
    for (const ev of events) {
      items.push({
        t: ev.t,
        m,
        sub: ev.order,
        channel: CHANNELS.orderbook,
        type: "orderbook_delta",
        build: () => deltaMsg(w, m, ev.t, ev.change),
        book: true,
      });
    }
  }

  /** Earliest time after `now` at which event e may produce an item (never later than the real one). */
  #dueAfter(e: number, now: number): number {
    const w = this.view.world;
    let due = Infinity;
    if (w.eventCreatedMs[e] > now) due = w.eventCreatedMs[e];
    const first = w.eventFirstMarket[e];
    const open = w.eventOpenMs[e];
    const close = w.eventCloseMs[e];
    for (let m = first; m < first + w.eventMarketCount[e]; m++) {
      for (let slot = 0; slot < LIFECYCLE_SLOTS.length; slot++) {
        const at = lifecycleTimeAt(w, m, slot);
        if (at > now && at < due) due = at;
      }
      const step = stepMs(w, m);
      // A watched book empties at close.
      if (now < close) due = Math.min(due, close);
      if (now < open) {
        due = Math.min(due, open);
      } else if (now < close) {
        const k = Math.floor((now - open) / step);
        const tk = open + k * step;
        // Items of step k happen in [t_k, t_k + step/2).
        if (now < tk + step / 2) due = Math.min(due, now + 1);
        else if (k + 1 < stepCount(w, m)) due = Math.min(due, tk + step);
      }
    }
    return due;
  }

  #steps(m: number, last: number, now: number, items: Item[]): void {
    const w = this.view.world;
    const e = w.marketEvent[m];
    const open = w.eventOpenMs[e];
    const close = w.eventCloseMs[e];
    const step = stepMs(w, m);
    // Items of step k happen in [t_k, t_k + step/2): look one step back.
    if (open > now || close + step <= last) return;
    // Steps whose items all lie at or before `last` were handled by an earlier pump.
    const k0 = Math.max(0, Math.floor((last - step / 2 - open) / step));
    const k1 = Math.min(stepCount(w, m), Math.floor((now - open) / step) + 1);
    for (let k = k0; k < k1; k++) {
      const t0 = stepTime(w, m, k);
      if (t0 > now) break;
      if (!stepLive(w, m, k)) continue;
      const trades = tradesAt(w, m, k);
      const tickerT = trades.length ? trades[trades.length - 1].tsMs : t0;
      for (const tr of trades) {
        if (tr.tsMs > last && tr.tsMs <= now) {
          items.push({
            t: tr.tsMs,
            m,
            sub: 2 + tr.j,
            channel: CHANNELS.trade,
            type: "trade",
            build: () => this.view.tradeMsg(tr),
          });
        }
      }
      if (tickerT > last && tickerT <= now) {
        const tot = this.#totals.at(m, k + 1);
        const kk = k + 1;
        items.push({
          t: tickerT,
          m,
          sub: 10,
          channel: CHANNELS.ticker,
          type: "ticker",
          build: () => this.view.tickerMsg(m, kk, tickerT, tot),
        });
      }
    }
  }
}
