/**
 * Kalshi's WebSocket command protocol for one replay connection: `subscribe`, `unsubscribe`,
 * `update_subscription`, `list_subscriptions` with Kalshi's replies and error codes (the same ones
 * the simulator's hub answers), and sid/seq framing of the messages a subscription receives.
 *
 * The simulator's `WsHub` is bound to its world (snapshots, order books), so the rules are restated
 * here against plain messages; lib/kalshi/sim/ws_test.ts and this module's tests pin the same replies.
 */
import { z } from "zod";
import { REPLAY_GAP_TYPE } from "./gap_message.ts";
import { ORDERBOOK_CHANNEL } from "./orderbook_message.ts";

/** One stored message, as the exchange sent it, at its exchange time. */
export interface ReplayMessage {
  /** Exchange time (Unix ms) that orders the replay. */
  timeMs: number;
  /** The channel a client subscribes to for it. */
  channel: string;
  /** The frame's `type`. */
  type: string;
  /** The market it concerns; null for channel-wide messages (lifecycle, gaps). */
  marketTicker: string | null;
  /** The frame's `msg`, with Kalshi's field names and units. */
  msg: Record<string, unknown>;
  /**
   * A stored `orderbook_snapshot`'s kind: `resync` goes to every subscriber of the market (its book
   * is exact again), `subscribe` only to one that has had no book of it yet.
   */
  bookKind?: "subscribe" | "resync";
}

/** Channels a replay sends data on. */
export const REPLAY_CHANNELS: readonly string[] = [
  "ticker",
  "trade",
  "market_lifecycle_v2",
  "multivariate_market_lifecycle",
  ORDERBOOK_CHANNEL,
];
/** Channels Kalshi has that the replay accepts and never sends data on. */
const SILENT_CHANNELS = new Set([
  "fill",
  "market_positions",
  "user_orders",
  "order_group_updates",
  "communications",
]);
const UNFILTERED = new Set(["market_lifecycle_v2", "multivariate_market_lifecycle"]);

const TICKERS_MAX = 100_000;
const ticker = z.string().min(1).max(200);
const CommandSchema = z.object({
  id: z.number().int().optional(),
  cmd: z.string().max(64),
  params: z.object({
    channels: z.array(z.string().max(100)).max(64).optional(),
    market_ticker: ticker.optional(),
    market_tickers: z.array(ticker).max(TICKERS_MAX).optional(),
    sid: z.number().int().optional(),
    sids: z.array(z.number().int()).max(1000).optional(),
    action: z.string().max(64).optional(),
  }).loose().optional(),
});
type Params = NonNullable<z.infer<typeof CommandSchema>["params"]>;

interface Subscription {
  sid: number;
  channel: string;
  /** null = every market. */
  markets: Set<string> | null;
  seq: number;
  /**
   * Order-book subscriptions: per market whose book the client has, the instant its snapshot was
   * rebuilt at (deltas up to it are in it) or -Infinity after a stored snapshot.
   */
  books: Map<string, number>;
}

/** Options of {@linkcode ReplaySubscriptions}. */
export interface ReplaySubscriptionsOptions {
  /**
   * Order-book snapshots are wanted for `tickers` on subscription `sid` (subscribe, add_markets,
   * get_snapshot): the owner rebuilds them and answers with `sendBook`.
   */
  onBooks?: (sid: number, tickers: string[]) => void;
}

/** The subscriptions of one connection; replies and frames go out through `send`. */
export class ReplaySubscriptions {
  #subs = new Map<number, Subscription>();
  #nextSid = 1;

  /** `send` writes one text frame to the client. */
  constructor(
    private readonly send: (frame: string) => void,
    private readonly options: ReplaySubscriptionsOptions = {},
  ) {}

  /** Number of live subscriptions. */
  get size(): number {
    return this.#subs.size;
  }

  /** Answers one client text frame, as Kalshi does. */
  command(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.#error(undefined, 1, "Unable to process message");
    }
    const parsed = CommandSchema.safeParse(value);
    if (!parsed.success) return this.#error(undefined, 1, "Unable to process message");
    const { id, cmd, params } = parsed.data;
    switch (cmd) {
      case "subscribe":
        return params ? this.#subscribe(id, params) : this.#error(id, 2, "Params required");
      case "unsubscribe":
        return params ? this.#unsubscribe(id, params) : this.#error(id, 2, "Params required");
      case "update_subscription":
        return params ? this.#update(id, params) : this.#error(id, 2, "Params required");
      case "list_subscriptions":
        return this.#reply({
          id,
          type: "ok",
          msg: [...this.#subs.values()].map((s) => ({ channel: s.channel, sid: s.sid })),
        });
      default:
        return this.#error(id, 5, "Unknown command");
    }
  }

  /** Frames `m` for every matching subscription (ticker frames carry no seq, as Kalshi's). */
  deliver(m: ReplayMessage): void {
    if (m.type === REPLAY_GAP_TYPE) {
      // Every subscribed client hears of every gap: the capture's gaps are its record, whatever
      // channels this client follows (it decides what a gap of another channel means).
      if (this.#subs.size > 0) this.send(JSON.stringify({ type: m.type, msg: m.msg }));
      return;
    }
    let text: string | null = null;
    for (const s of this.#subs.values()) {
      if (s.channel !== m.channel) continue;
      if (s.markets && (m.marketTicker === null || !s.markets.has(m.marketTicker))) continue;
      if (s.channel === ORDERBOOK_CHANNEL && !bookOpen(s, m)) continue;
      text ??= JSON.stringify(m.msg);
      const type = JSON.stringify(m.type);
      this.send(
        m.type === "ticker"
          ? `{"type":${type},"sid":${s.sid},"msg":${text}}`
          : `{"type":${type},"sid":${s.sid},"seq":${++s.seq},"msg":${text}}`,
      );
    }
  }

  /**
   * Sends the book of `ticker` rebuilt at `atMs` (`msg`, Kalshi's `orderbook_snapshot` body) on
   * subscription `sid`, unless it has ended or dropped the market; its stored deltas up to `atMs`
   * are then skipped (they are in the book). `msg` null: nothing stored yet, nothing sent.
   */
  sendBook(
    sid: number,
    ticker: string,
    book: { msg: Record<string, unknown> | null; atMs: number },
  ) {
    const s = this.#subs.get(sid);
    if (!s || book.msg === null || (s.markets && !s.markets.has(ticker))) return;
    s.books.set(ticker, book.atMs);
    const msg = JSON.stringify(book.msg);
    this.send(`{"type":"orderbook_snapshot","sid":${sid},"seq":${++s.seq},"msg":${msg}}`);
  }

  #reply(body: Record<string, unknown>): void {
    this.send(JSON.stringify(body));
  }

  #error(id: number | undefined, code: number, msg: string): void {
    this.#reply({ ...(id === undefined ? {} : { id }), type: "error", msg: { code, msg } });
  }

  #subscribe(id: number | undefined, params: Params): void {
    const channels = params.channels;
    if (!channels || channels.length === 0) return this.#error(id, 3, "Channels required");
    if (channels.some((ch) => !REPLAY_CHANNELS.includes(ch) && !SILENT_CHANNELS.has(ch))) {
      return this.#error(id, 8, "Unknown channel name");
    }
    const markets = marketList(params);
    if (channels.includes(ORDERBOOK_CHANNEL) && (!markets || markets.length === 0)) {
      return this.#error(id, 14, "Market ticker required");
    }
    const subs = [...this.#subs.values()];
    if (subs.some((s) => channels.includes(s.channel) && overCap(s.markets, markets))) {
      return this.#error(id, 11, "Invalid parameter");
    }
    for (const channel of channels) {
      const existing = [...this.#subs.values()].find((s) => s.channel === channel);
      if (existing) {
        // A second subscribe merges its markets into the channel's subscription, as Kalshi does.
        if (!markets) existing.markets = null;
        else if (existing.markets && !UNFILTERED.has(channel)) {
          for (const t of markets) existing.markets.add(t);
        }
        this.#reply({ id, type: "subscribed", msg: { channel, sid: existing.sid } });
        if (channel === ORDERBOOK_CHANNEL) this.#wantBooks(existing, markets!);
        continue;
      }
      const sid = this.#nextSid++;
      const filter = markets && !UNFILTERED.has(channel) ? new Set(markets) : null;
      const sub = { sid, channel, markets: filter, seq: 0, books: new Map<string, number>() };
      this.#subs.set(sid, sub);
      this.#reply({ id, type: "subscribed", msg: { channel, sid } });
      if (channel === ORDERBOOK_CHANNEL) this.#wantBooks(sub, markets!);
    }
  }

  #unsubscribe(id: number | undefined, params: Params): void {
    const sids = sidList(params);
    if (sids.length === 0) return this.#error(id, 4, "Subscription IDs required");
    for (const sid of sids) {
      const s = this.#subs.get(sid);
      if (!s) {
        this.#error(id, 7, "Unknown subscription ID");
        continue;
      }
      this.#subs.delete(sid);
      this.#reply({ id, sid, seq: ++s.seq, type: "unsubscribed" });
    }
  }

  #update(id: number | undefined, params: Params): void {
    const sids = sidList(params);
    if (sids.length !== 1) return this.#error(id, 12, "Exactly one subscription ID is required");
    const s = this.#subs.get(sids[0]);
    if (!s) return this.#error(id, 7, "Unknown subscription ID");
    if (params.action === undefined) return this.#error(id, 15, "Action required");
    const adding = params.action === "add_markets";
    const snapshot = params.action === "get_snapshot";
    if (!adding && !snapshot && params.action !== "delete_markets") {
      return this.#error(id, 13, "Unsupported action");
    }
    const markets = marketList(params);
    if (!markets || markets.length === 0) return this.#error(id, 14, "Market ticker required");
    if (UNFILTERED.has(s.channel) || (!adding && !s.markets)) {
      return this.#error(id, 13, "Unsupported action");
    }
    if (snapshot) {
      // Kalshi answers get_snapshot with the snapshots alone.
      if (s.channel !== ORDERBOOK_CHANNEL) return this.#error(id, 13, "Unsupported action");
      return this.options.onBooks?.(s.sid, markets.filter((t) => s.markets?.has(t)));
    }
    if (adding && overCap(s.markets, markets)) return this.#error(id, 11, "Invalid parameter");
    const added = markets.filter((t) => !s.markets?.has(t));
    for (const t of markets) adding ? s.markets?.add(t) : s.markets?.delete(t);
    if (!adding) { for (const t of markets) s.books.delete(t); }
    this.#reply({
      id,
      sid: s.sid,
      seq: ++s.seq,
      type: "ok",
      msg: { market_tickers: s.markets ? [...s.markets] : [] },
    });
    if (adding && s.channel === ORDERBOOK_CHANNEL) this.#wantBooks(s, added);
  }

  /** Asks for the books of `markets` the subscription has no book of yet. */
  #wantBooks(s: Subscription, markets: readonly string[]): void {
    const wanted = [...new Set(markets)].filter((t) => !s.books.has(t));
    if (wanted.length > 0) this.options.onBooks?.(s.sid, wanted);
  }
}

/**
 * Whether an order-book message goes to `s`: a delta once the client has the market's book and
 * is past the instant it was rebuilt at; a stored `resync` snapshot always; a stored `subscribe`
 * snapshot only when the client has no book of the market yet.
 */
function bookOpen(s: Subscription, m: ReplayMessage): boolean {
  const ticker = m.marketTicker!;
  if (m.type === "orderbook_snapshot") {
    if (m.bookKind === "subscribe" && s.books.has(ticker)) return false;
    s.books.set(ticker, -Infinity);
    return true;
  }
  const after = s.books.get(ticker);
  return after !== undefined && m.timeMs > after;
}

/** Whether adding `markets` takes a subscription past TICKERS_MAX (a connection stays bounded). */
function overCap(have: Set<string> | null, markets: readonly string[] | null): boolean {
  if (!have || !markets) return false;
  let added = 0;
  for (const t of new Set(markets)) if (!have.has(t)) added++;
  return have.size + added > TICKERS_MAX;
}

function marketList(params: Params): string[] | null {
  if (params.market_ticker !== undefined) return [params.market_ticker];
  return params.market_tickers ?? null;
}

function sidList(params: Params): number[] {
  if (params.sid !== undefined) return [params.sid];
  return params.sids ?? [];
}
