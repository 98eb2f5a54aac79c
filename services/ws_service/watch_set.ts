/**
 * The watched markets and the subscriptions that follow them: lifecycle channels channel-wide,
 * ticker and trade for the watched markets. A refresh re-reads the watch set from the database
 * and changes the subscriptions with update_subscription (never a reconnect); the gap tracker
 * always knows which markets each channel covers.
 * @module
 */
import {
  type GapTracker,
  type OrderbookScope,
  selectOrderbookMarkets,
} from "@kalshi-data/lib/capture";
import type { Sql } from "@kalshi-data/lib/db";
import type { KalshiWsClient } from "@kalshi-data/lib/kalshi";
import type { Logger } from "@kalshi-data/lib/log";
import type { Scope } from "@kalshi-data/lib/scope";
import { ORDERBOOK_CHANNEL } from "./orderbook.ts";
import { isOpenAt, loadWatchEntries, type WatchEntry } from "./watch.ts";

/** Channels subscribed for the watched markets only. */
export const MARKET_CHANNELS = ["ticker", "trade"] as const;

/** Dependencies of {@linkcode WatchSet}. */
export interface WatchSetOptions {
  sql: Sql;
  scope: Scope;
  client: KalshiWsClient;
  gaps: GapTracker;
  logger: Logger;
  /** The capture clock (ms). */
  now: () => number;
  /** Watch markets opening within this many ms (default 1 hour). */
  leadMs?: number;
  /** Which watched markets get `orderbook_delta` (default none). */
  orderbookScope?: OrderbookScope;
  /** Told the order-book markets whenever they change (before the subscription changes). */
  onOrderbookMarkets?: (tickers: readonly string[]) => void;
}

/** The watched markets and their subscriptions. */
export class WatchSet {
  /** Tickers currently subscribed on ticker and trade. */
  readonly watched: Set<string> = new Set();
  /** Tickers currently subscribed on orderbook_delta (a subset of `watched`). */
  readonly orderbook: Set<string> = new Set();
  /** Channel-wide lifecycle channels (with combos: the multivariate one too). */
  readonly lifecycleChannels: readonly string[];
  #entries = new Map<string, WatchEntry>();
  #applying: Promise<void> = Promise.resolve();
  #o: WatchSetOptions;

  /** A watch set; nothing is read or subscribed until {@linkcode start}. */
  constructor(options: WatchSetOptions) {
    this.#o = options;
    this.lifecycleChannels = options.scope.includeCombos
      ? ["market_lifecycle_v2", "multivariate_market_lifecycle"]
      : ["market_lifecycle_v2"];
  }

  /** Watched markets open at `nowMs`. */
  openAt(nowMs: number): number {
    let n = 0;
    for (const e of this.#entries.values()) if (isOpenAt(e, nowMs)) n++;
    return n;
  }

  /** Reads the watch set from the database (and keeps each market's open/close times). */
  async load(): Promise<string[]> {
    const entries = await loadWatchEntries(this.#o.sql, this.#o.scope, {
      nowMs: this.#o.now(),
      leadMs: this.#o.leadMs,
    });
    this.#entries = new Map(entries.map((e) => [e.ticker, e]));
    return entries.map((e) => e.ticker);
  }

  /** Takes the first watch set and tells the gap tracker (before anything is subscribed). */
  start(initial: readonly string[]): void {
    for (const t of initial) this.watched.add(t);
    for (const t of this.#orderbookOf(initial)) this.orderbook.add(t);
    this.#o.onOrderbookMarkets?.([...this.orderbook]);
    this.#syncGapMarkets();
  }

  /** The order-book markets among `tickers` under the order-book scope. */
  #orderbookOf(tickers: readonly string[]): string[] {
    const scope = this.#o.orderbookScope ?? { kind: "none" };
    if (scope.kind === "none") return [];
    const candidates = tickers.map((ticker) => {
      const e = this.#entries.get(ticker);
      return { ticker, seriesTicker: e?.seriesTicker ?? null, volume24h: e?.volume24h ?? null };
    });
    return selectOrderbookMarkets(candidates, scope);
  }

  /** Subscribes the lifecycle channels and, when markets are watched, ticker and trade. */
  subscribeAll(): void {
    const { client, logger } = this.#o;
    const failed = (channel: string) => (e: Error) =>
      logger.warn("subscribe failed", { channel, error: e.message });
    for (const ch of this.lifecycleChannels) client.subscribe(ch).catch(failed(ch));
    if (this.watched.size === 0) return;
    for (const ch of MARKET_CHANNELS) {
      client.subscribe(ch, { marketTickers: [...this.watched] }).catch(failed(ch));
    }
    if (this.orderbook.size === 0) return;
    client.subscribe(ORDERBOOK_CHANNEL, { marketTickers: [...this.orderbook] })
      .catch(failed(ORDERBOOK_CHANNEL));
  }

  /** Re-reads the watch set and adjusts the subscriptions; refreshes run one at a time. */
  refresh(stopped: AbortSignal): Promise<void> {
    this.#applying = this.#applying.then(async () => {
      if (stopped.aborted) return;
      try {
        await this.apply(await this.load());
      } catch (error) {
        this.#o.logger.warn("reading the watch set failed", { error: (error as Error).message });
      }
    });
    return this.#applying;
  }

  /** Settles once the refresh in progress (if any) has. */
  settled(): Promise<void> {
    return this.#applying.catch(() => {});
  }

  /** Makes `next` the watched set: add_markets / delete_markets, or (un)subscribe. */
  apply(next: readonly string[]): Promise<void> {
    const wanted = new Set(next);
    const added = next.filter((t) => !this.watched.has(t));
    const removed = [...this.watched].filter((t) => !wanted.has(t));
    const books = this.#orderbookChange(next);
    if (added.length === 0 && removed.length === 0 && books === null) return Promise.resolve();
    const hadAny = this.watched.size > 0;
    for (const t of added) this.watched.add(t);
    for (const t of removed) this.watched.delete(t);
    this.#syncGapMarkets();
    const bookWork = books === null ? [] : this.#commands(ORDERBOOK_CHANNEL, this.orderbook, books);
    if (added.length === 0 && removed.length === 0) return this.#settle(bookWork);
    this.#o.logger.info("watch set changed", {
      added: added.length,
      removed: removed.length,
      watched: this.watched.size,
    });
    const work = MARKET_CHANNELS.flatMap((ch) =>
      this.#commands(ch, this.watched, { hadAny, added, removed })
    );
    return this.#settle([...work, ...bookWork]);
  }

  #settle(work: Promise<void>[]): Promise<void> {
    return Promise.all(work).then(() => {}, (error) => {
      // The client keeps the desired set and re-subscribes it after a reconnect.
      this.#o.logger.warn("subscription update failed", { error: (error as Error).message });
    });
  }

  /** Makes the order-book set follow `next`; the change, or null when there is none. */
  #orderbookChange(
    next: readonly string[],
  ): { hadAny: boolean; added: string[]; removed: string[] } | null {
    const books = this.#orderbookOf(next);
    const keep = new Set(books);
    const added = books.filter((t) => !this.orderbook.has(t));
    const removed = [...this.orderbook].filter((t) => !keep.has(t));
    if (added.length === 0 && removed.length === 0) return null;
    const hadAny = this.orderbook.size > 0;
    for (const t of added) this.orderbook.add(t);
    for (const t of removed) this.orderbook.delete(t);
    this.#o.onOrderbookMarkets?.([...this.orderbook]);
    return { hadAny, added, removed };
  }

  #commands(
    channel: string,
    markets: ReadonlySet<string>,
    change: { hadAny: boolean; added: string[]; removed: string[] },
  ): Promise<void>[] {
    const { client } = this.#o;
    // An empty market list would mean "all markets" to Kalshi: unsubscribe instead.
    if (markets.size === 0) return [client.unsubscribe(channel)];
    if (!change.hadAny) return [client.subscribe(channel, { marketTickers: [...markets] })];
    const work: Promise<void>[] = [];
    if (change.added.length > 0) work.push(client.addMarkets(channel, change.added));
    if (change.removed.length > 0) work.push(client.removeMarkets(channel, change.removed));
    return work;
  }

  #syncGapMarkets(): void {
    const map = new Map<string, readonly string[] | null>();
    for (const ch of this.lifecycleChannels) map.set(ch, null);
    if (this.watched.size > 0) { for (const ch of MARKET_CHANNELS) map.set(ch, [...this.watched]); }
    if (this.orderbook.size > 0) map.set(ORDERBOOK_CHANNEL, [...this.orderbook]);
    this.#o.gaps.setMarkets(map);
  }
}
