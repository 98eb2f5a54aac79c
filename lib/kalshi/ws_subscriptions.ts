/**
 * The subscriptions the client wants: channels and their markets, established on the current
 * connection with subscribe + update_subscription commands of at most N tickers each, changed
 * with add_markets / delete_markets, dropped with unsubscribe, and established again after a
 * reconnect or after the server ended one.
 */
import type { WsMessage } from "./schemas/ws.ts";

/** Per-channel subscription options. */
export interface SubscribeOptions {
  /** Markets to follow; omitted = all markets (ticker, trade) or channel-wide (lifecycle). */
  marketTickers?: readonly string[];
  /** Extra subscribe params (e.g. `{ send_initial_snapshot: true }`). */
  params?: Record<string, unknown>;
}

/** What the client keeps subscribed (and re-subscribes after a reconnect). */
export interface SubscriptionState {
  /** The channel (`ticker`, `trade`, …). */
  channel: string;
  /** Whether it is subscribed for every market (no ticker filter). */
  allMarkets: boolean;
  /** The markets it is subscribed for (when not all). */
  marketTickers: ReadonlySet<string>;
  /** Server sid on the current connection, or null while not established. */
  sid: number | null;
}

/** What the subscriptions need from the connection. */
export interface WsSubscriptionLink {
  /** Number of the current connection; it changes on every reconnect. */
  epoch(): number;
  /** Resolves once a connection is open (or the client closes). */
  whenConnected(): Promise<void>;
  /** Sends a command on the current connection and resolves with its reply. */
  command(name: string, params: Record<string, unknown>): Promise<WsMessage>;
  /** Sends a command on the current connection without waiting for a reply. */
  post?(name: string, params: Record<string, unknown>): void;
}

/** The commands that establish one channel: a subscribe, then add_markets for the rest. */
export interface SubscribePlan {
  /** Params of the subscribe command. */
  subscribe: Record<string, unknown>;
  /** Ticker groups for the update_subscription add_markets commands that follow. */
  addMarkets: string[][];
}

/** Kalshi error codes that end a subscription (channel error, server buffer overflow). */
const SUBSCRIPTION_ENDING_CODES = new Set([10, 25]);

interface Desired {
  channel: string;
  allMarkets: boolean;
  tickers: Set<string>;
  params: Record<string, unknown>;
  sid: number | null;
  /** Connection the sid belongs to. */
  epoch: number;
  pending: Promise<void> | null;
}

/**
 * Splits `items` into groups of at most `size`.
 *
 * @example
 * ```ts
 * import { chunkTickers } from "./ws_subscriptions.ts";
 * console.log(chunkTickers(["A", "B", "C"], 2)); // [["A", "B"], ["C"]]
 * ```
 */
export function chunkTickers<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The commands that establish `channel` with its markets, `maxTickersPerCommand` per command
 * (`tickers` null: all markets / channel-wide).
 *
 * @example
 * ```ts
 * import { planSubscribe } from "./ws_subscriptions.ts";
 * const plan = planSubscribe("ticker", ["A", "B", "C"], { maxTickersPerCommand: 2 });
 * console.log(plan.subscribe, plan.addMarkets);
 * // { channels: ["ticker"], market_tickers: ["A", "B"] } [["C"]]
 * ```
 */
export function planSubscribe(
  channel: string,
  tickers: readonly string[] | null,
  options: { maxTickersPerCommand: number; params?: Record<string, unknown> },
): SubscribePlan {
  const groups = tickers === null ? [] : chunkTickers(tickers, options.maxTickersPerCommand);
  const subscribe: Record<string, unknown> = { ...options.params, channels: [channel] };
  if (groups.length > 0) subscribe.market_tickers = groups[0];
  return { subscribe, addMarkets: groups.slice(1) };
}

/**
 * Whether an `error` message means the server ended the subscription of its sid (it must be
 * established again).
 *
 * @example
 * ```ts
 * import { endsSubscription } from "./ws_subscriptions.ts";
 * const error = { type: "error", id: null, sid: 4, seq: null, raw: {}, code: 10, message: "",
 *   marketTicker: null, marketTickers: null } as const;
 * console.log(endsSubscription(error)); // true
 * ```
 */
export function endsSubscription(message: WsMessage): boolean {
  return message.type === "error" && message.sid !== null &&
    SUBSCRIPTION_ENDING_CODES.has(message.code);
}

/**
 * The desired subscriptions and their state on the current connection.
 *
 * @example
 * ```ts ignore
 * const subscriptions = new WsSubscriptions(link, { maxTickersPerCommand: 500 });
 * await subscriptions.subscribe("ticker", { marketTickers: ["A-1"] });
 * subscriptions.resubscribeAll(); // after a reconnect
 * ```
 */
export class WsSubscriptions {
  readonly #link: WsSubscriptionLink;
  readonly #perCommand: number;
  #desired = new Map<string, Desired>();

  /** Subscriptions sent through `link`, `maxTickersPerCommand` (default 500) per command. */
  constructor(link: WsSubscriptionLink, options: { maxTickersPerCommand?: number } = {}) {
    this.#link = link;
    this.#perCommand = Math.max(1, options.maxTickersPerCommand ?? 500);
  }

  /** Subscribes a channel (or adds markets to it); resolves when the server confirmed. */
  subscribe(channel: string, options: SubscribeOptions = {}): Promise<void> {
    const existing = this.#desired.get(channel);
    const tickers = options.marketTickers;
    if (existing !== undefined) {
      if (tickers === undefined) return this.#ensure(existing);
      const added = tickers.filter((t) => !existing.tickers.has(t));
      for (const t of added) existing.tickers.add(t);
      return existing.allMarkets
        ? this.#ensure(existing)
        : this.#update(existing, "add_markets", added);
    }
    const entry: Desired = {
      channel,
      allMarkets: tickers === undefined,
      tickers: new Set(tickers ?? []),
      params: options.params ?? {},
      sid: null,
      epoch: -1,
      pending: null,
    };
    this.#desired.set(channel, entry);
    return this.#ensure(entry);
  }

  /** Removes markets from a channel (update_subscription delete_markets). */
  async removeMarkets(channel: string, marketTickers: readonly string[]): Promise<void> {
    const entry = this.#desired.get(channel);
    if (entry === undefined) return;
    const removed = marketTickers.filter((t) => entry.tickers.delete(t));
    await this.#update(entry, "delete_markets", removed);
  }

  /** Forgets a channel; unsubscribes it if it is established on the current connection. */
  async unsubscribe(channel: string): Promise<void> {
    const entry = this.#desired.get(channel);
    if (entry === undefined) return;
    this.#desired.delete(channel);
    if (this.#established(entry)) await this.#link.command("unsubscribe", { sids: [entry.sid] });
  }

  /**
   * Asks for fresh snapshots of `marketTickers` on `channel` (update_subscription `get_snapshot`,
   * order books only), chunked per command. No reply is awaited: the snapshots are the answer.
   * False when the channel is not established on the current connection (establishing it sends
   * snapshots anyway).
   */
  getSnapshot(channel: string, marketTickers: readonly string[]): boolean {
    const entry = this.#desired.get(channel);
    if (entry === undefined || !this.#established(entry) || this.#link.post === undefined) {
      return false;
    }
    for (const group of chunkTickers(marketTickers, this.#perCommand)) {
      this.#link.post("update_subscription", {
        sids: [entry.sid],
        market_tickers: group,
        action: "get_snapshot",
      });
    }
    return true;
  }

  /** A new connection is open: establish every channel on it. */
  resubscribeAll(): void {
    for (const entry of this.#desired.values()) this.#ensure(entry).catch(() => {});
  }

  /** The connection went: no sid is valid any more. */
  connectionLost(): void {
    for (const entry of this.#desired.values()) entry.sid = null;
  }

  /** The server ended `channel`'s subscription: establish it again. */
  reestablish(channel: string): void {
    const entry = this.#desired.get(channel);
    if (entry === undefined) return;
    entry.sid = null;
    this.#ensure(entry).catch(() => {});
  }

  /** Current desired subscriptions, with their sid on the current connection. */
  snapshot(): SubscriptionState[] {
    return [...this.#desired.values()].map((d) => ({
      channel: d.channel,
      allMarkets: d.allMarkets,
      marketTickers: new Set(d.tickers),
      sid: d.epoch === this.#link.epoch() ? d.sid : null,
    }));
  }

  #established(entry: Desired): entry is Desired & { sid: number } {
    return entry.sid !== null && entry.epoch === this.#link.epoch();
  }

  /** Establishes `entry` on the current (or next) connection unless it already is. */
  #ensure(entry: Desired): Promise<void> {
    if (this.#established(entry)) return Promise.resolve();
    if (entry.pending !== null) return entry.pending;
    const attempt = this.#link.whenConnected().then(() =>
      this.#established(entry) ? undefined : this.#establish(entry)
    );
    entry.pending = attempt.finally(() => {
      entry.pending = null;
    });
    return entry.pending;
  }

  async #establish(entry: Desired): Promise<void> {
    const epoch = this.#link.epoch();
    const plan = planSubscribe(entry.channel, entry.allMarkets ? null : [...entry.tickers], {
      maxTickersPerCommand: this.#perCommand,
      params: entry.params,
    });
    const reply = await this.#link.command("subscribe", plan.subscribe);
    if (reply.type !== "subscribed") throw new Error(`unexpected reply ${reply.type} to subscribe`);
    entry.sid = reply.sid;
    entry.epoch = epoch;
    for (const group of plan.addMarkets) {
      await this.#link.command("update_subscription", {
        sid: reply.sid,
        market_tickers: group,
        action: "add_markets",
      });
    }
  }

  async #update(
    entry: Desired,
    action: "add_markets" | "delete_markets",
    tickers: string[],
  ): Promise<void> {
    if (tickers.length === 0) return;
    await this.#ensure(entry);
    if (entry.sid === null) return;
    for (const group of chunkTickers(tickers, this.#perCommand)) {
      await this.#link.command("update_subscription", {
        sid: entry.sid,
        market_tickers: group,
        action,
      });
    }
  }
}
