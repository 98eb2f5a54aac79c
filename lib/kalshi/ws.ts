/**
 * Kalshi WebSocket v2 client on the native WebSocket: signed handshake, subscribe / unsubscribe /
 * update_subscription with market tickers chunked per command, a typed async stream, automatic
 * reconnect with jittered backoff and re-subscription of everything subscribed, per-sid sequence
 * gap detection, explicit disconnect markers (start and end time), refused handshakes (401/403)
 * as `refused` items, and malformed frames surfaced as `invalid` items — the stream never stops
 * on bad input.
 *
 * The stream's buffer is bounded. A native WebSocket cannot be paused, so a consumer that falls
 * `maxBufferedMessages` behind costs the connection instead of memory: the client closes the
 * socket, keeps what it buffered, waits until the consumer has read half of it, then reconnects
 * and re-subscribes, and the outage appears in the stream as a `disconnect` marker with reason
 * `buffer_overflow` (from the first frame it could not keep to the reconnect).
 *
 * This module wires the parts, each a module of its own: the stream buffer (`ws_stream.ts`),
 * frame decoding (`ws_frame.ts`), the handshake (`ws_socket.ts`), commands and their replies
 * (`ws_commands.ts`), subscriptions (`ws_subscriptions.ts`), sequences (`ws_sequences.ts`) and
 * the reconnect policy (`ws_reconnect.ts`).
 */
import { authHeaders, type KalshiCredentials } from "./auth.ts";
import type { BackoffOptions } from "./backoff.ts";
import { type Clock, type Random, systemClock } from "./clock.ts";
import type { WsMessage } from "./schemas/ws.ts";
import { WsCommands } from "./ws_commands.ts";
import { decodeWsFrame, frameSequence } from "./ws_frame.ts";
import { CLIENT_CLOSED_REASON, LivenessWatch, WsReconnectPolicy } from "./ws_reconnect.ts";
import { WsSequences } from "./ws_sequences.ts";
import { openWsSocket, type WsConnect, WsHandshakeRefusedError } from "./ws_socket.ts";
import { BUFFER_OVERFLOW_REASON, WsStreamBuffer, type WsStreamItem } from "./ws_stream.ts";
import {
  endsSubscription,
  type SubscribeOptions,
  type SubscriptionState,
  WsSubscriptions,
} from "./ws_subscriptions.ts";

export {
  BUFFER_OVERFLOW_REASON,
  DEFAULT_MAX_BUFFERED_MESSAGES,
  type WsDisconnectItem,
  type WsGapItem,
  type WsRefusedItem,
  type WsStreamItem,
} from "./ws_stream.ts";
export type { SubscribeOptions, SubscriptionState } from "./ws_subscriptions.ts";

/** Production WebSocket URL. */
export const PRODUCTION_WS_URL = "wss://external-api-ws.kalshi.com/trade-api/ws/v2";
/** Demo WebSocket URL. */
export const DEMO_WS_URL = "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2";

/** WebSocket client settings. */
export interface WsClientOptions {
  /** WebSocket URL (production by default; the simulator's in tests). */
  url?: string | URL;
  /** Signs the handshake; required by real Kalshi, optional for the simulator. */
  credentials?: KalshiCredentials | null;
  /** Injected clock: reconnect backoff sleeps, signature and receive timestamps. */
  clock?: Clock;
  /** Injected randomness (backoff jitter). */
  random?: Random;
  /** Reconnect backoff (default base 500 ms, max 30 s). */
  reconnect?: Omit<BackoffOptions, "random">;
  /** Reconnect when no frame arrives for this long (default 30 000 ms; 0 disables). Real timer. */
  livenessTimeoutMs?: number;
  /** A command not answered within this many ms fails (default 15 000). Real timer. */
  commandTimeoutMs?: number;
  /** Market tickers per subscribe / update_subscription command (default 500). */
  maxTickersPerCommand?: number;
  /**
   * Injected WebSocket factory (tests); default `new WebSocket(url, { headers })`. Whatever it
   * returns, a handshake refused with 401/403 still becomes a `refused` item.
   */
  connect?: (url: URL, headers: Record<string, string>) => WebSocket;
  /**
   * Items the stream buffers for a consumer that has not read them (default 10 000). One more
   * frame drops the connection (see BUFFER_OVERFLOW_REASON); the reconnect waits until the
   * consumer has read half of them. Markers (`disconnect`, `refused`) may exceed it.
   */
  maxBufferedMessages?: number;
}

/** The WebSocket client. */
export interface KalshiWsClient extends AsyncIterable<WsStreamItem> {
  /** Subscribes a channel (or adds markets to it); resolves when the server confirmed. */
  subscribe(channel: string, options?: SubscribeOptions): Promise<void>;
  /** Adds markets to a subscribed channel (update_subscription add_markets). */
  addMarkets(channel: string, marketTickers: readonly string[]): Promise<void>;
  /** Removes markets from a channel (update_subscription delete_markets). */
  removeMarkets(channel: string, marketTickers: readonly string[]): Promise<void>;
  /** Unsubscribes a channel. */
  unsubscribe(channel: string): Promise<void>;
  /**
   * Asks for fresh `orderbook_snapshot`s of `marketTickers` on `channel` (update_subscription
   * `get_snapshot`); the snapshots arrive in the stream, no reply is awaited. False when the
   * channel is not established now (its re-subscription sends snapshots anyway).
   */
  getSnapshot(channel: string, marketTickers: readonly string[]): boolean;
  /** Current desired subscriptions. */
  subscriptions(): SubscriptionState[];
  /**
   * The channel the server confirmed `sid` for on the current connection, or null if unknown
   * (sids start afresh on every connection: a `disconnect` item forgets them).
   */
  channelOf(sid: number): string | null;
  /** Whether a connection is open now. */
  readonly connected: boolean;
  /** Items received and not yet read (at most `maxBufferedMessages`, plus markers). */
  readonly buffered: number;
  /** Closes the socket and ends the stream. */
  close(): Promise<void>;
}

/**
 * Liveness and command timeouts run on real (monotonic) time whatever `clock` says: the injected
 * clock may be a simulator's, paused or stepping.
 */
const REAL_TIME: Clock = { now: () => performance.now(), sleep: systemClock.sleep };

/**
 * Creates the client and starts connecting; iterate it to receive items.
 *
 * @example
 * ```ts ignore
 * const client = createWsClient({ url: DEMO_WS_URL, credentials });
 * await client.subscribe("ticker", { marketTickers: ["KXHIGHNY-26MAY15-B65.5"] });
 * for await (const item of client) if (item.kind === "message") console.log(item.message.type);
 * ```
 */
export function createWsClient(options: WsClientOptions = {}): KalshiWsClient {
  return new WsClient(options);
}

/** The connection loop, with the parts wired to it; the public face is {@linkcode KalshiWsClient}. */
class WsClient implements KalshiWsClient {
  readonly #url: URL;
  readonly #clock: Clock;
  readonly #credentials: KalshiCredentials | null;
  readonly #connect: WsConnect | undefined;
  readonly #livenessMs: number;
  readonly #buffer: WsStreamBuffer;
  readonly #commands: WsCommands;
  readonly #sequences = new WsSequences();
  readonly #subscriptions: WsSubscriptions;
  readonly #policy: WsReconnectPolicy;
  readonly #stop = new AbortController();
  readonly #finished: Promise<void>;
  #socket: WebSocket | null = null;
  /** Number of the current connection. */
  #epoch = 0;
  #closed = false;
  #connectedWaiters: (() => void)[] = [];

  constructor(options: WsClientOptions) {
    this.#buffer = new WsStreamBuffer(options.maxBufferedMessages);
    this.#url = new URL(String(options.url ?? PRODUCTION_WS_URL));
    this.#clock = options.clock ?? systemClock;
    this.#credentials = options.credentials ?? null;
    this.#connect = options.connect;
    this.#livenessMs = options.livenessTimeoutMs ?? 30_000;
    this.#commands = new WsCommands({
      clock: REAL_TIME,
      timeoutMs: options.commandTimeoutMs ?? 15_000,
    });
    this.#subscriptions = new WsSubscriptions({
      epoch: () => this.#epoch,
      whenConnected: () => this.#whenConnected(),
      command: (name, params) => this.#command(name, params),
      post: (name, params) => this.#post(name, params),
    }, { maxTickersPerCommand: options.maxTickersPerCommand });
    this.#policy = new WsReconnectPolicy({
      clock: this.#clock,
      random: options.random,
      baseMs: options.reconnect?.baseMs,
      maxMs: options.reconnect?.maxMs,
    });
    this.#finished = this.#run();
  }

  get connected(): boolean {
    return this.#socket !== null && this.#socket.readyState === WebSocket.OPEN;
  }

  get buffered(): number {
    return this.#buffer.size;
  }

  subscribe(channel: string, options?: SubscribeOptions): Promise<void> {
    return this.#subscriptions.subscribe(channel, options);
  }

  addMarkets(channel: string, marketTickers: readonly string[]): Promise<void> {
    return this.#subscriptions.subscribe(channel, { marketTickers });
  }

  removeMarkets(channel: string, marketTickers: readonly string[]): Promise<void> {
    return this.#subscriptions.removeMarkets(channel, marketTickers);
  }

  unsubscribe(channel: string): Promise<void> {
    return this.#subscriptions.unsubscribe(channel);
  }

  getSnapshot(channel: string, marketTickers: readonly string[]): boolean {
    return this.#subscriptions.getSnapshot(channel, marketTickers);
  }

  subscriptions(): SubscriptionState[] {
    return this.#subscriptions.snapshot();
  }

  channelOf(sid: number): string | null {
    return this.#sequences.channelOf(sid) ?? null;
  }

  async close(): Promise<void> {
    if (this.#closed && this.#socket === null) return this.#finished;
    this.#closed = true;
    this.#stop.abort(new Error(CLIENT_CLOSED_REASON));
    this.#socket?.close(1000, CLIENT_CLOSED_REASON);
    this.#wakeConnectedWaiters();
    await this.#finished;
  }

  [Symbol.asyncIterator](): AsyncIterator<WsStreamItem> {
    return this.#buffer[Symbol.asyncIterator]();
  }

  #whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error("WebSocket client closed"));
    return new Promise((resolve) => this.#connectedWaiters.push(resolve));
  }

  #wakeConnectedWaiters(): void {
    const waiters = this.#connectedWaiters;
    this.#connectedWaiters = [];
    for (const wake of waiters) wake();
  }

  #command(name: string, params: Record<string, unknown>): Promise<WsMessage> {
    const socket = this.#socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error(`cannot send ${name}: not connected`));
    }
    return this.#commands.send((text) => socket.send(text), name, params);
  }

  #post(name: string, params: Record<string, unknown>): void {
    const socket = this.#socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) return;
    this.#commands.post((text) => socket.send(text), name, params);
  }

  /** Connects, serves the connection until it ends, and again, until the client closes. */
  async #run(): Promise<void> {
    while (!this.#closed) {
      let ws: WebSocket;
      try {
        const headers = this.#credentials === null ? {} : authHeaders(this.#credentials, {
          method: "GET",
          url: this.#url,
          timestampMs: this.#clock.now(),
        });
        ws = await openWsSocket(this.#url, { headers, connect: this.#connect });
      } catch (error) {
        if (await this.#backOff(error)) continue;
        break;
      }
      if (this.#closed) {
        ws.close();
        break;
      }
      const ended = await this.#serve(ws);
      if (this.#closed) break;
      if (ended === BUFFER_OVERFLOW_REASON) await this.#buffer.caughtUp(this.#stop.signal);
    }
    const marker = this.#policy.stopped();
    if (marker !== null) this.#buffer.push(marker);
    this.#closed = true;
    this.#buffer.end();
  }

  /** A connection attempt failed: reports a refused handshake, waits; false once closed. */
  async #backOff(error: unknown): Promise<boolean> {
    const delay = this.#policy.attemptFailed((error as Error).message);
    if (error instanceof WsHandshakeRefusedError) {
      this.#buffer.push(this.#policy.refused(error.status));
    }
    try {
      await this.#clock.sleep(delay, this.#stop.signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Makes `ws` the current connection until it ends; resolves with why it ended. */
  async #serve(ws: WebSocket): Promise<string> {
    this.#epoch++;
    this.#socket = ws;
    this.#sequences.reset();
    const marker = this.#policy.connected();
    if (marker !== null) this.#buffer.push(marker);
    const lost = this.#watch(ws);
    this.#wakeConnectedWaiters();
    this.#subscriptions.resubscribeAll();
    const ended = await lost;
    this.#socket = null;
    this.#policy.connectionLost(ended.reason, ended.atMs);
    this.#commands.rejectAll(ended.reason);
    this.#subscriptions.connectionLost();
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    return ended.reason;
  }

  /** Resolves with why the connection ended and when (overflow: the first frame not kept). */
  #watch(ws: WebSocket): Promise<{ reason: string; atMs: number }> {
    return new Promise((resolve) => {
      const done = new AbortController();
      const onStop = () => finish(CLIENT_CLOSED_REASON);
      const finish = (reason: string, atMs = this.#clock.now()) => {
        if (done.signal.aborted) return;
        done.abort();
        this.#stop.signal.removeEventListener("abort", onStop);
        resolve({ reason, atMs });
      };
      if (this.#stop.signal.aborted) onStop();
      this.#stop.signal.addEventListener("abort", onStop, { once: true });
      const liveness = this.#livenessMs > 0 ? new LivenessWatch(REAL_TIME, this.#livenessMs) : null;
      liveness?.expired(done.signal).then((expired) => {
        if (!expired) return;
        ws.close(4000, "liveness timeout");
        finish(`no frame for ${this.#livenessMs} ms`);
      });
      ws.onmessage = (event) => {
        if (done.signal.aborted) return; // frames in flight after we let go of the connection
        if (this.#buffer.full) {
          // The consumer is a full buffer behind: this frame and the rest of the connection's
          // are lost, and the stream says so instead of growing without bound.
          const atMs = this.#clock.now();
          ws.close(4001, "client buffer overflow");
          finish(BUFFER_OVERFLOW_REASON, atMs);
          return;
        }
        liveness?.frame();
        this.#receive(event.data);
      };
      ws.onerror = (event) => finish((event as ErrorEvent).message || "WebSocket error");
      ws.onclose = (event) =>
        finish(`closed ${event.code}${event.reason ? ` ${event.reason}` : ""}`);
    });
  }

  /** One frame: its gap if it skipped ahead, the command it answers, then the item itself. */
  #receive(data: unknown): void {
    const item = decodeWsFrame(data, this.#clock.now());
    if (item.kind === "message" && item.message.type === "subscribed") {
      this.#sequences.bind(item.message.sid, item.message.channel);
    }
    const sequence = frameSequence(item);
    const gap = sequence === null ? null : this.#sequences.observe(sequence, item.receivedAtMs);
    if (gap !== null) this.#buffer.push(gap);
    if (item.kind === "message" && !this.#commands.settle(item.message)) {
      const message = item.message;
      const channel = message.sid === null ? undefined : this.#sequences.channelOf(message.sid);
      if (endsSubscription(message) && channel !== undefined) {
        this.#subscriptions.reestablish(channel);
      }
    }
    this.#buffer.push(item);
  }
}
