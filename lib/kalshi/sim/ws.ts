/**
 * The simulator's WebSocket side at `/trade-api/ws/v2`: Kalshi's commands (subscribe, unsubscribe,
 * list_subscriptions, update_subscription with get_snapshot), control replies and error codes,
 * per-subscription sid/seq framing, and switchable socket faults. Every subscriber to a channel
 * receives the same messages; `orderbook_delta` subscribers first get one `orderbook_snapshot` per
 * market, taken at the instant the engine has emitted up to, so snapshot + deltas = the book.
 */
import { bookAt, snapshotMsg } from "./book.ts";
import type { BookEmission, Emission } from "./engine.ts";
import type { FaultConfig } from "./faults.ts";
import type { GroundTruth } from "./ground_truth.ts";
import type { MarketView } from "./objects.ts";
import { hash32, mulberry32 } from "./prng.ts";
import { stepsDone } from "./market_path.ts";
import { marketExists } from "./world.ts";

/** Channels the simulator serves data on. */
export const DATA_CHANNELS = [
  "ticker",
  "trade",
  "market_lifecycle_v2",
  "multivariate_market_lifecycle",
  "orderbook_delta",
];
/** Channels Kalshi has that the simulator accepts but never sends data on. */
const SILENT_CHANNELS = [
  "fill",
  "market_positions",
  "user_orders",
  "order_group_updates",
  "communications",
];
const PRIVATE_CHANNELS = new Set([
  "orderbook_delta",
  "fill",
  "market_positions",
  "user_orders",
  "order_group_updates",
  "communications",
]);

interface Subscription {
  sid: number;
  channel: string;
  /** null = all markets. */
  markets: Set<string> | null;
  seq: number;
}

/** A socket-like target (WebSocket in production; a fake in unit tests). */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  readonly readyState: number;
}

interface Conn {
  id: number;
  socket: SocketLike;
  subs: Map<number, Subscription>;
  nextSid: number;
  rng: () => number;
  frames: number;
  authed: boolean;
  closed: boolean;
}

type Json = Record<string, unknown>;

const ORDERBOOK = "orderbook_delta";

/** Fans emissions out to connections and answers commands. */
export class WsHub {
  #conns = new Map<number, Conn>();
  #nextConn = 1;
  #faults: FaultConfig = {};
  #dropDeltasLeft = 0;
  #bookMarkets: Set<number> | null = null;
  /**
   * @param bookTime the instant the engine has emitted everything up to (order-book snapshots are
   *   taken there, so the next deltas continue them exactly); default `now`.
   */
  constructor(
    private view: MarketView,
    private groundTruth: GroundTruth,
    private now: () => number,
    private seed: number,
    private bookTime: () => number = now,
  ) {}

  /** Current fault switches; setting them restarts a "drop the next N deltas" count. */
  get faults(): FaultConfig {
    return this.#faults;
  }
  set faults(config: FaultConfig) {
    this.#faults = config;
    this.#dropDeltasLeft = config.dropOrderbookDeltas?.next ?? 0;
  }

  /** Markets some `orderbook_delta` subscription watches (the engine computes books for these). */
  bookMarkets(): ReadonlySet<number> {
    if (this.#bookMarkets) return this.#bookMarkets;
    const out = new Set<number>();
    const byTicker = this.view.world.marketByTicker;
    for (const c of this.#conns.values()) {
      for (const s of c.subs.values()) {
        if (s.channel !== ORDERBOOK || !s.markets) continue;
        for (const t of s.markets) {
          const m = byTicker.get(t);
          if (m !== undefined) out.add(m);
        }
      }
    }
    this.#bookMarkets = out;
    return out;
  }

  /** Number of open connections. */
  get connections(): number {
    return this.#conns.size;
  }

  /** Registers an accepted socket; returns its connection id. */
  open(socket: SocketLike, authed: boolean): number {
    const id = this.#nextConn++;
    this.#conns.set(id, {
      id,
      socket,
      subs: new Map(),
      nextSid: 1,
      rng: mulberry32(hash32(this.seed, 90, id)),
      frames: 0,
      authed,
      closed: false,
    });
    this.#record({ kind: "ws_open", conn: id, time_ms: this.now() });
    return id;
  }

  /** Forgets a connection (socket closed by either side). */
  close(id: number, reason: string): void {
    const c = this.#conns.get(id);
    if (!c) return;
    c.closed = true;
    this.#conns.delete(id);
    this.#bookMarkets = null;
    this.#record({ kind: "ws_close", conn: id, time_ms: this.now(), reason });
  }

  /** Closes every connection. */
  closeAll(): void {
    for (const c of [...this.#conns.values()]) {
      try {
        c.socket.close(1001, "simulator shutting down");
      } catch { /* already closed */ }
      this.close(c.id, "shutdown");
    }
  }

  /** Drops every connection now (as a fault), e.g. to test reconnects deterministically. */
  dropAll(): void {
    for (const c of [...this.#conns.values()]) this.#drop(c);
  }

  #record(rec: Parameters<GroundTruth["record"]>[0]): void {
    if (this.groundTruth.enabled) this.groundTruth.record(rec);
  }

  #sendRaw(c: Conn, frame: string, extra: Json = {}): void {
    if (c.closed) return;
    try {
      c.socket.send(frame);
    } catch {
      this.close(c.id, "send failed");
      return;
    }
    this.#record({ kind: "ws_send", conn: c.id, time_ms: this.now(), frame, ...extra });
  }

  #reply(c: Conn, body: Json): void {
    this.#sendRaw(c, JSON.stringify(body));
  }

  #drop(c: Conn): void {
    if (c.closed) return;
    this.#record({ kind: "ws_fault", conn: c.id, time_ms: this.now(), fault: "drop" });
    try {
      c.socket.close(1011, "simulated drop");
    } catch { /* ignore */ }
    this.close(c.id, "dropped");
  }

  /** Sends emissions to every matching subscription, applying socket faults. */
  broadcast(emissions: Array<Emission | BookEmission>): void {
    if (this.#conns.size === 0 || this.faults.silentSockets) return;
    for (const em of emissions) {
      const channel = em.channel;
      let text: string | null = null;
      for (const c of this.#conns.values()) {
        for (const s of c.subs.values()) {
          if (c.closed) break;
          if (s.channel !== channel) continue;
          if (s.markets && (em.market_ticker === null || !s.markets.has(em.market_ticker))) {
            continue;
          }
          text ??= JSON.stringify(em.msg);
          let frame: string;
          let seq: number | undefined;
          if (em.type === "ticker") {
            frame = `{"type":"ticker","sid":${s.sid},"msg":${text}}`;
          } else {
            seq = ++s.seq;
            frame = `{"type":${JSON.stringify(em.type)},"sid":${s.sid},"seq":${seq},"msg":${text}}`;
          }
          if (em.kind === "book" && this.#dropDelta(c)) {
            this.#record({
              kind: "ws_fault",
              conn: c.id,
              time_ms: this.now(),
              fault: "drop_delta",
              sid: s.sid,
              seq,
            });
            continue;
          }
          this.#faultsBefore(c, s);
          const n = em.kind === "emit" ? { n: em.n } : {};
          this.#sendRaw(c, frame, { ...n, sid: s.sid, ...(seq !== undefined ? { seq } : {}) });
          this.#faultsAfter(c);
        }
      }
    }
  }

  /** Whether the drop fault swallows this order-book delta (its seq stays used: a gap). */
  #dropDelta(c: Conn): boolean {
    const d = this.#faults.dropOrderbookDeltas;
    if (!d) return false;
    if (this.#dropDeltasLeft > 0) {
      this.#dropDeltasLeft--;
      return true;
    }
    return d.probability !== undefined && c.rng() < d.probability;
  }

  #faultsBefore(c: Conn, s: Subscription): void {
    const f = this.faults;
    if (f.malformedMessages && c.rng() < f.malformedMessages.probability) {
      const variants = [
        `{"type":"ticker","sid":${s.sid},"msg":{"market_ticker":`,
        "\u0000not json at all",
        `{"type":"trade","sid":${s.sid},"seq":"x","msg":{"trade_id":42,"count_fp":null}}`,
        `[1,2,3]`,
      ];
      const frame = variants[Math.floor(c.rng() * variants.length)];
      this.#sendFault(c, frame, "malformed");
    }
    if (f.unknownTypeMessages && c.rng() < f.unknownTypeMessages.probability) {
      const frame = JSON.stringify({
        type: "sim_unannounced_type",
        sid: s.sid,
        msg: { note: "a message type the client does not know" },
      });
      this.#sendFault(c, frame, "unknown_type");
    }
  }

  #sendFault(c: Conn, frame: string, fault: string): void {
    if (c.closed) return;
    try {
      c.socket.send(frame);
    } catch {
      this.close(c.id, "send failed");
      return;
    }
    this.#record({ kind: "ws_fault", conn: c.id, time_ms: this.now(), fault, frame });
  }

  #faultsAfter(c: Conn): void {
    c.frames++;
    const d = this.faults.dropSockets;
    if (!d) return;
    const every = d.everyFrames ?? 0;
    if ((every > 0 && c.frames % every === 0) || (d.probability && c.rng() < d.probability)) {
      this.#drop(c);
    }
  }

  /** Handles one client text frame. */
  command(id: number, data: string): void {
    const c = this.#conns.get(id);
    if (!c) return;
    this.#record({ kind: "ws_recv", conn: id, time_ms: this.now(), frame: data });
    let cmd: Json;
    try {
      cmd = JSON.parse(data);
      if (typeof cmd !== "object" || cmd === null || Array.isArray(cmd)) {
        throw new Error("not an object");
      }
    } catch {
      return this.#error(c, undefined, 1, "Unable to process message");
    }
    const cid = typeof cmd.id === "number" ? cmd.id : undefined;
    const params =
      (typeof cmd.params === "object" && cmd.params !== null ? cmd.params : undefined) as
        | Json
        | undefined;
    switch (cmd.cmd) {
      case "subscribe":
        return this.#subscribe(c, cid, params);
      case "unsubscribe":
        return this.#unsubscribe(c, cid, params);
      case "list_subscriptions":
        return this.#reply(c, {
          id: cid,
          type: "ok",
          msg: [...c.subs.values()].map((s) => ({ channel: s.channel, sid: s.sid })),
        });
      case "update_subscription":
        return this.#update(c, cid, params);
      default:
        return this.#error(c, cid, 5, "Unknown command");
    }
  }

  #error(c: Conn, id: number | undefined, code: number, msg: string, extra: Json = {}): void {
    const body: Json = { type: "error", msg: { code, msg, ...extra } };
    if (id !== undefined) body.id = id;
    this.#reply(c, body);
  }

  #marketList(params: Json): string[] | null | "invalid" {
    if (typeof params.market_ticker === "string") return [params.market_ticker];
    if (Array.isArray(params.market_tickers)) {
      if (!params.market_tickers.every((t) => typeof t === "string")) return "invalid";
      return params.market_tickers as string[];
    }
    if (params.market_ticker !== undefined || params.market_tickers !== undefined) return "invalid";
    return null;
  }

  #subscribe(c: Conn, id: number | undefined, params: Json | undefined): void {
    if (!params) return this.#error(c, id, 2, "Params required");
    const channels = params.channels;
    if (!Array.isArray(channels) || channels.length === 0) {
      return this.#error(c, id, 3, "Channels required");
    }
    const markets = this.#marketList(params);
    if (markets === "invalid") return this.#error(c, id, 11, "Invalid parameter");
    if (channels.includes(ORDERBOOK) && (!markets || markets.length === 0)) {
      return this.#error(c, id, 14, "Market ticker required");
    }
    for (const ch of channels) {
      if (
        typeof ch !== "string" || (!DATA_CHANNELS.includes(ch) && !SILENT_CHANNELS.includes(ch))
      ) {
        return this.#error(c, id, 8, "Unknown channel name");
      }
      if (PRIVATE_CHANNELS.has(ch) && !c.authed) {
        return this.#error(c, id, 9, "Authentication required");
      }
    }
    for (const ch of channels as string[]) {
      // Subscribing again to a channel merges markets into the existing subscription (idempotent).
      const existing = [...c.subs.values()].find((s) => s.channel === ch);
      const lifecycle = ch === "market_lifecycle_v2" || ch === "multivariate_market_lifecycle";
      if (existing) {
        const added = markets?.filter((t) => !existing.markets?.has(t)) ?? [];
        if (existing.markets && markets && !lifecycle) {
          for (const t of markets) existing.markets.add(t);
        } else if (!markets) existing.markets = null;
        this.#bookMarkets = null;
        this.#reply(c, { id, type: "subscribed", msg: { channel: ch, sid: existing.sid } });
        if (ch === ORDERBOOK) this.#bookSnapshots(c, existing, added);
        continue;
      }
      const sub: Subscription = {
        sid: c.nextSid++,
        channel: ch,
        markets: markets && !lifecycle ? new Set(markets) : null,
        seq: 0,
      };
      c.subs.set(sub.sid, sub);
      this.#bookMarkets = null;
      this.#reply(c, { id, type: "subscribed", msg: { channel: ch, sid: sub.sid } });
      if (ch === "ticker" && params.send_initial_snapshot === true && markets) {
        this.#snapshot(c, sub, markets);
      }
      if (ch === ORDERBOOK && markets) this.#bookSnapshots(c, sub, markets);
    }
  }

  #snapshot(c: Conn, sub: Subscription, markets: string[]): void {
    const w = this.view.world;
    const now = this.now();
    for (const t of markets) {
      const m = w.marketByTicker.get(t);
      if (m === undefined || !marketExists(w, m, now)) continue;
      const n = stepsDone(w, m, now);
      const msg = this.view.tickerMsg(m, n, now, this.view.totals(m, now));
      this.#sendRaw(c, JSON.stringify({ type: "ticker", sid: sub.sid, msg }), { sid: sub.sid });
    }
  }

  /** One `orderbook_snapshot` per existing market, at the engine's emitted-up-to instant. */
  #bookSnapshots(c: Conn, sub: Subscription, markets: readonly string[]): void {
    const w = this.view.world;
    const at = this.bookTime();
    for (const t of new Set(markets)) {
      const m = w.marketByTicker.get(t);
      if (m === undefined || !marketExists(w, m, at)) continue;
      const msg = JSON.stringify(snapshotMsg(w, m, bookAt(w, m, at)));
      const seq = ++sub.seq;
      const frame = `{"type":"orderbook_snapshot","sid":${sub.sid},"seq":${seq},"msg":${msg}}`;
      this.#sendRaw(c, frame, { sid: sub.sid, seq });
    }
  }

  #sids(params: Json | undefined): number[] | null {
    if (!params) return null;
    if (typeof params.sid === "number") return [params.sid];
    if (Array.isArray(params.sids) && params.sids.every((x) => typeof x === "number")) {
      return params.sids as number[];
    }
    return null;
  }

  #unsubscribe(c: Conn, id: number | undefined, params: Json | undefined): void {
    if (!params) return this.#error(c, id, 2, "Params required");
    const sids = this.#sids(params);
    if (!sids || sids.length === 0) return this.#error(c, id, 4, "Subscription IDs required");
    for (const sid of sids) {
      const s = c.subs.get(sid);
      if (!s) {
        this.#error(c, id, 7, "Unknown subscription ID");
        continue;
      }
      c.subs.delete(sid);
      this.#bookMarkets = null;
      this.#reply(c, { id, sid, seq: ++s.seq, type: "unsubscribed" });
    }
  }

  #update(c: Conn, id: number | undefined, params: Json | undefined): void {
    if (!params) return this.#error(c, id, 2, "Params required");
    const sids = this.#sids(params);
    if (!sids || sids.length !== 1) {
      return this.#error(c, id, 12, "Exactly one subscription ID is required");
    }
    const s = c.subs.get(sids[0]);
    if (!s) return this.#error(c, id, 7, "Unknown subscription ID");
    const action = params.action;
    if (typeof action !== "string") return this.#error(c, id, 15, "Action required");
    if (action !== "add_markets" && action !== "delete_markets" && action !== "get_snapshot") {
      return this.#error(c, id, 13, "Unsupported action");
    }
    const markets = this.#marketList(params);
    if (markets === "invalid") return this.#error(c, id, 11, "Invalid parameter");
    if (!markets || markets.length === 0) return this.#error(c, id, 14, "Market ticker required");
    if (s.channel === "market_lifecycle_v2" || s.channel === "multivariate_market_lifecycle") {
      return this.#error(c, id, 13, "Unsupported action");
    }
    if (action === "get_snapshot") {
      if (s.channel !== ORDERBOOK) return this.#error(c, id, 13, "Unsupported action");
      return this.#bookSnapshots(c, s, markets);
    }
    const added = markets.filter((t) => !s.markets?.has(t));
    if (action === "add_markets") {
      if (s.markets) { for (const t of markets) s.markets.add(t); }
    } else {
      if (!s.markets) return this.#error(c, id, 13, "Unsupported action");
      for (const t of markets) s.markets.delete(t);
    }
    this.#bookMarkets = null;
    this.#reply(c, {
      id,
      sid: s.sid,
      seq: ++s.seq,
      type: "ok",
      msg: { market_tickers: s.markets ? [...s.markets] : [] },
    });
    if (action === "add_markets" && s.channel === ORDERBOOK) this.#bookSnapshots(c, s, added);
  }
}
