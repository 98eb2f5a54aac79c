/**
 * The watched markets and the subscriptions that follow them: lifecycle channels channel-wide,
 * ticker and trade for the watched markets. A refresh re-reads the watch set from the database
 * and changes the subscriptions with update_subscription (never a reconnect); the gap tracker
 * always knows which markets each channel covers.
 * @module
 */
import type { GapTracker } from "../../lib/capture/mod.ts";
import type { Sql } from "../../lib/db/mod.ts";
import type { KalshiWsClient } from "../../lib/kalshi/mod.ts";
import type { Logger } from "../../lib/log/mod.ts";
import type { Scope } from "../../lib/scope/mod.ts";
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
}

/** The watched markets and their subscriptions. */
export class WatchSet {
  /** Tickers currently subscribed on ticker and trade. */
  readonly watched: Set<string> = new Set();
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
    this.#syncGapMarkets();
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
    if (added.length === 0 && removed.length === 0) return Promise.resolve();
    const hadAny = this.watched.size > 0;
    for (const t of added) this.watched.add(t);
    for (const t of removed) this.watched.delete(t);
    this.#syncGapMarkets();
    this.#o.logger.info("watch set changed", {
      added: added.length,
      removed: removed.length,
      watched: this.watched.size,
    });
    const work = MARKET_CHANNELS.flatMap((ch) => this.#commands(ch, { hadAny, added, removed }));
    return Promise.all(work).then(() => {}, (error) => {
      // The client keeps the desired set and re-subscribes it after a reconnect.
      this.#o.logger.warn("subscription update failed", { error: (error as Error).message });
    });
  }

  #commands(
    channel: string,
    change: { hadAny: boolean; added: string[]; removed: string[] },
  ): Promise<void>[] {
    const { client } = this.#o;
    // An empty market list would mean "all markets" to Kalshi: unsubscribe instead.
    if (this.watched.size === 0) return [client.unsubscribe(channel)];
    if (!change.hadAny) return [client.subscribe(channel, { marketTickers: [...this.watched] })];
    const work: Promise<void>[] = [];
    if (change.added.length > 0) work.push(client.addMarkets(channel, change.added));
    if (change.removed.length > 0) work.push(client.removeMarkets(channel, change.removed));
    return work;
  }

  #syncGapMarkets(): void {
    const map = new Map<string, readonly string[] | null>();
    for (const ch of this.lifecycleChannels) map.set(ch, null);
    if (this.watched.size > 0) { for (const ch of MARKET_CHANNELS) map.set(ch, [...this.watched]); }
    this.#o.gaps.setMarkets(map);
  }
}
