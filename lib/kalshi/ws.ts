/**
 * Kalshi WebSocket v2 client on the native WebSocket: signed handshake, subscribe / unsubscribe /
 * update_subscription with market tickers chunked per command, a typed async stream, automatic
 * reconnect with jittered backoff and re-subscription of everything subscribed, per-sid sequence
 * gap detection, explicit disconnect markers (start and end time), and malformed frames surfaced
 * as `invalid` items — the stream never stops on bad input.
 *
 * The stream's buffer is bounded. A native WebSocket cannot be paused, so a consumer that falls
 * `maxBufferedMessages` behind costs the connection instead of memory: the client closes the
 * socket, keeps what it buffered, waits until the consumer has read half of it, then reconnects
 * and re-subscribes, and the outage appears in the stream as a `disconnect` marker with reason
 * `buffer_overflow` (from the first frame it could not keep to the reconnect).
 */
import { authHeaders, type KalshiCredentials } from "./auth.ts";
import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import { type Clock, type Random, systemClock } from "./clock.ts";
import { KalshiWsCommandError } from "./errors.ts";
import { parseWsMessage, type WsMessage } from "./schemas/ws.ts";
import { formatIssues } from "./validate.ts";

/** Production WebSocket URL. */
export const PRODUCTION_WS_URL = "wss://external-api-ws.kalshi.com/trade-api/ws/v2";
/** Demo WebSocket URL. */
export const DEMO_WS_URL = "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2";

/** `reason` of the `disconnect` marker when the client dropped a connection its consumer lagged. */
export const BUFFER_OVERFLOW_REASON = "buffer_overflow";

/** Default `maxBufferedMessages`. */
export const DEFAULT_MAX_BUFFERED_MESSAGES = 10_000;

/** One item of the stream. `receivedAtMs` is the local clock when the frame arrived. */
export type WsStreamItem =
  | { kind: "message"; receivedAtMs: number; message: WsMessage }
  | { kind: "unsupported"; receivedAtMs: number; type: string; raw: Record<string, unknown> }
  | { kind: "invalid"; receivedAtMs: number; rawText: string; error: string }
  | {
    kind: "gap";
    receivedAtMs: number;
    sid: number;
    channel: string | null;
    expectedSeq: number;
    receivedSeq: number;
  }
  | {
    kind: "disconnect";
    /**
     * When the connection was lost (or the first connect failed); for `buffer_overflow`, when
     * the first frame that did not fit arrived.
     */
    startedAtMs: number;
    /** When it was restored; null if the client closed while still disconnected. */
    endedAtMs: number | null;
    /**
     * What started the outage: a close / error description, or `buffer_overflow`
     * (BUFFER_OVERFLOW_REASON) when the consumer fell a full buffer behind.
     */
    reason: string;
    /** Failed connection attempts during the outage. */
    failedAttempts: number;
  };

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
  /** Injected WebSocket factory (tests); default `new WebSocket(url, { headers })`. */
  connect?: (url: URL, headers: Record<string, string>) => WebSocket;
  /**
   * Items the stream buffers for a consumer that has not read them (default 10 000). One more
   * frame drops the connection (see BUFFER_OVERFLOW_REASON); the reconnect waits until the
   * consumer has read half of them. Markers (`disconnect`) may exceed it by one.
   */
  maxBufferedMessages?: number;
}

/** Per-channel subscription options. */
export interface SubscribeOptions {
  /** Markets to follow; omitted = all markets (ticker, trade) or channel-wide (lifecycle). */
  marketTickers?: readonly string[];
  /** Extra subscribe params (e.g. `{ send_initial_snapshot: true }`). */
  params?: Record<string, unknown>;
}

/** What the client keeps subscribed (and re-subscribes after a reconnect). */
export interface SubscriptionState {
  channel: string;
  allMarkets: boolean;
  marketTickers: ReadonlySet<string>;
  /** Server sid on the current connection, or null while not established. */
  sid: number | null;
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
  /** Current desired subscriptions. */
  subscriptions(): SubscriptionState[];
  /** Whether a connection is open now. */
  readonly connected: boolean;
  /** Items received and not yet read by the consumer (at most `maxBufferedMessages` + 1). */
  readonly buffered: number;
  /** Closes the socket and ends the stream. */
  close(): Promise<void>;
}

interface Desired {
  channel: string;
  allMarkets: boolean;
  tickers: Set<string>;
  params: Record<string, unknown>;
  sid: number | null;
  epoch: number;
  pending: Promise<void> | null;
}

interface PendingCommand {
  name: string;
  resolve: (message: WsMessage) => void;
  reject: (error: Error) => void;
  timer: Timer;
}

/** Deno's WebSocket accepts handshake headers; the DOM typings in our lib list do not say so. */
const HeaderWebSocket = WebSocket as unknown as new (
  url: URL,
  options: { headers: Record<string, string> },
) => WebSocket;

type Timer = ReturnType<typeof setTimeout>;

const CONTROL = new Set(["subscribed", "unsubscribed", "ok", "error"]);
const TERMINAL_CHANNEL_ERRORS = new Set([10, 25]);

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Creates the client and starts connecting; iterate it to receive items. */
export function createWsClient(options: WsClientOptions = {}): KalshiWsClient {
  const url = new URL(String(options.url ?? PRODUCTION_WS_URL));
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const livenessMs = options.livenessTimeoutMs ?? 30_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 15_000;
  const perCommand = Math.max(1, options.maxTickersPerCommand ?? 500);
  const maxBuffered = options.maxBufferedMessages ?? DEFAULT_MAX_BUFFERED_MESSAGES;
  if (!Number.isInteger(maxBuffered) || maxBuffered < 1) {
    throw new RangeError(`maxBufferedMessages must be a positive integer, got ${maxBuffered}`);
  }
  // After an overflow, reconnect once the consumer is this far down (it is reading again).
  const resumeBelow = Math.floor(maxBuffered / 2);
  const credentials = options.credentials ?? null;
  const open = options.connect ??
    ((target: URL, headers: Record<string, string>) => new HeaderWebSocket(target, { headers }));

  const desired = new Map<string, Desired>();
  const pending = new Map<number, PendingCommand>();
  const lastSeq = new Map<number, number>();
  const sidChannel = new Map<number, string>();
  const queue: WsStreamItem[] = [];
  let waiter: (() => void) | null = null;
  let drained: (() => void) | null = null;
  let socket: WebSocket | null = null;
  let epoch = 0;
  let nextId = 1;
  let closed = false;
  let connectedWaiters: (() => void)[] = [];
  const stop = new AbortController();

  const push = (item: WsStreamItem) => {
    queue.push(item);
    waiter?.();
    waiter = null;
  };

  const whenConnected = (): Promise<void> => {
    if (socket !== null && socket.readyState === WebSocket.OPEN) return Promise.resolve();
    if (closed) return Promise.reject(new Error("WebSocket client closed"));
    return new Promise((resolve) => connectedWaiters.push(resolve));
  };

  function command(name: string, params?: Record<string, unknown>): Promise<WsMessage> {
    const current = socket;
    if (current === null || current.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error(`cannot send ${name}: not connected`));
    }
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(
          new Error(`Kalshi WebSocket ${name} (id ${id}) got no reply in ${commandTimeoutMs} ms`),
        );
      }, commandTimeoutMs);
      pending.set(id, { name, resolve, reject, timer });
      current.send(
        JSON.stringify(params === undefined ? { id, cmd: name } : { id, cmd: name, params }),
      );
    });
  }

  async function establish(entry: Desired): Promise<void> {
    const myEpoch = epoch;
    const tickers = [...entry.tickers];
    const groups = entry.allMarkets ? [] : chunks(tickers, perCommand);
    const params: Record<string, unknown> = { ...entry.params, channels: [entry.channel] };
    if (!entry.allMarkets && groups.length > 0) params.market_tickers = groups[0];
    const reply = await command("subscribe", params);
    if (reply.type !== "subscribed") throw new Error(`unexpected reply ${reply.type} to subscribe`);
    entry.sid = reply.sid;
    entry.epoch = myEpoch;
    sidChannel.set(reply.sid, entry.channel);
    for (const group of groups.slice(1)) {
      await command("update_subscription", {
        sid: reply.sid,
        market_tickers: group,
        action: "add_markets",
      });
    }
  }

  function ensure(entry: Desired): Promise<void> {
    if (entry.sid !== null && entry.epoch === epoch) return Promise.resolve();
    if (entry.pending !== null) return entry.pending;
    const attempt = whenConnected().then(() =>
      entry.sid !== null && entry.epoch === epoch ? undefined : establish(entry)
    );
    entry.pending = attempt.finally(() => {
      entry.pending = null;
    });
    return entry.pending;
  }

  async function update(
    entry: Desired,
    action: "add_markets" | "delete_markets",
    tickers: string[],
  ) {
    if (tickers.length === 0) return;
    await ensure(entry);
    if (entry.sid === null) return;
    for (const group of chunks(tickers, perCommand)) {
      await command("update_subscription", { sid: entry.sid, market_tickers: group, action });
    }
  }

  function handleFrame(data: unknown): void {
    const receivedAtMs = clock.now();
    const text = typeof data === "string"
      ? data
      : data instanceof ArrayBuffer
      ? new TextDecoder().decode(data)
      : String(data);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      push({
        kind: "invalid",
        receivedAtMs,
        rawText: text,
        error: `not JSON: ${(error as Error).message}`,
      });
      return;
    }
    const result = parseWsMessage(value);
    if (result.status === "invalid") {
      push({
        kind: "invalid",
        receivedAtMs,
        rawText: text,
        error: formatIssues(result.error).join("; "),
      });
      return;
    }
    const sid = result.status === "valid" ? result.message.sid : numberOrNull(result.raw.sid);
    const seq = result.status === "valid" ? result.message.seq : numberOrNull(result.raw.seq);
    const type = result.status === "valid" ? result.message.type : result.type;
    // Control replies on a sid (`ok` to update_subscription, `unsubscribed`) take a number of
    // that sid's sequence too: they count, or every update would look like a lost message.
    if (type !== "error" && sid !== null && seq !== null) {
      const previous = lastSeq.get(sid);
      if (previous !== undefined && seq !== previous + 1) {
        push({
          kind: "gap",
          receivedAtMs,
          sid,
          channel: sidChannel.get(sid) ?? null,
          expectedSeq: previous + 1,
          receivedSeq: seq,
        });
      }
      lastSeq.set(sid, seq);
    }
    if (result.status === "unsupported") {
      push({ kind: "unsupported", receivedAtMs, type: result.type, raw: result.raw });
      return;
    }
    const message = result.message;
    if (message.type === "error" || CONTROL.has(message.type)) settle(message);
    push({ kind: "message", receivedAtMs, message });
  }

  function settle(message: WsMessage): void {
    if (message.id !== null) {
      const waiting = pending.get(message.id);
      if (waiting !== undefined) {
        pending.delete(message.id);
        clearTimeout(waiting.timer);
        if (message.type === "error") {
          waiting.reject(new KalshiWsCommandError(waiting.name, message.code, message.message));
        } else waiting.resolve(message);
        return;
      }
    }
    if (
      message.type === "error" && message.sid !== null && TERMINAL_CHANNEL_ERRORS.has(message.code)
    ) {
      // Channel error / buffer overflow: the subscription is gone; establish it again.
      const channel = sidChannel.get(message.sid);
      const entry = channel === undefined ? undefined : desired.get(channel);
      if (entry !== undefined) {
        entry.sid = null;
        ensure(entry).catch(() => {});
      }
    }
  }

  function connectOnce(): Promise<WebSocket> {
    const headers = credentials === null
      ? {}
      : authHeaders(credentials, { method: "GET", url, timestampMs: clock.now() });
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = open(url, headers);
      } catch (error) {
        reject(error);
        return;
      }
      ws.binaryType = "arraybuffer";
      ws.onopen = () => resolve(ws);
      ws.onerror = (event) => reject(new Error((event as ErrorEvent).message || "WebSocket error"));
      ws.onclose = (event) =>
        reject(new Error(`closed before open (${event.code} ${event.reason})`));
    });
  }

  /** Resolves with why the connection ended and when (overflow: the first frame not kept). */
  function runConnection(ws: WebSocket): Promise<{ reason: string; atMs: number }> {
    return new Promise((resolve) => {
      let watchdog: Timer | undefined;
      const arm = () => {
        if (livenessMs <= 0) return;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          ws.close(4000, "liveness timeout");
          finish(`no frame for ${livenessMs} ms`);
        }, livenessMs);
      };
      let done = false;
      const onStop = () => finish("client closed");
      const finish = (reason: string, atMs = clock.now()) => {
        if (done) return;
        done = true;
        clearTimeout(watchdog);
        stop.signal.removeEventListener("abort", onStop);
        resolve({ reason, atMs });
      };
      if (stop.signal.aborted) onStop();
      stop.signal.addEventListener("abort", onStop, { once: true });
      ws.onmessage = (event) => {
        if (done) return; // frames already in flight after we let go of the connection
        if (queue.length >= maxBuffered) {
          // The consumer is a full buffer behind: this frame and the rest of the connection's
          // are lost, and the stream says so instead of growing without bound.
          const atMs = clock.now();
          ws.close(4001, "client buffer overflow");
          finish(BUFFER_OVERFLOW_REASON, atMs);
          return;
        }
        arm();
        handleFrame(event.data);
      };
      ws.onerror = (event) => finish((event as ErrorEvent).message || "WebSocket error");
      ws.onclose = (event) =>
        finish(`closed ${event.code}${event.reason ? ` ${event.reason}` : ""}`);
      arm();
    });
  }

  async function run(): Promise<void> {
    let failedAttempts = 0;
    let downSince: number | null = null;
    let reason = "";
    while (!closed) {
      let ws: WebSocket;
      try {
        ws = await connectOnce();
      } catch (error) {
        // The marker names what started the outage; failed attempts during it are counted.
        if (downSince === null) {
          downSince = clock.now();
          reason = (error as Error).message;
        }
        const delay = backoffDelay(failedAttempts, {
          baseMs: options.reconnect?.baseMs ?? 500,
          maxMs: options.reconnect?.maxMs ?? 30_000,
          random,
        });
        failedAttempts++;
        try {
          await clock.sleep(delay, stop.signal);
        } catch {
          break;
        }
        continue;
      }
      if (closed) {
        ws.close();
        break;
      }
      epoch++;
      socket = ws;
      lastSeq.clear();
      sidChannel.clear();
      if (downSince !== null) {
        push({
          kind: "disconnect",
          startedAtMs: downSince,
          endedAtMs: clock.now(),
          reason,
          failedAttempts,
        });
      }
      failedAttempts = 0;
      downSince = null;
      const lost = runConnection(ws);
      const waiters = connectedWaiters;
      connectedWaiters = [];
      for (const w of waiters) w();
      for (const entry of desired.values()) ensure(entry).catch(() => {});
      const ended = await lost;
      reason = ended.reason;
      socket = null;
      downSince = ended.atMs;
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`connection lost before reply to ${p.name}: ${reason}`));
        pending.delete(id);
      }
      for (const entry of desired.values()) entry.sid = null;
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      if (closed) break;
      if (reason === BUFFER_OVERFLOW_REASON) await consumerCaughtUp();
    }
    if (downSince !== null && reason !== "client closed") {
      push({ kind: "disconnect", startedAtMs: downSince, endedAtMs: null, reason, failedAttempts });
    }
    closed = true;
    waiter?.();
    waiter = null;
  }

  /** Resolves once the consumer has read the buffer down to `resumeBelow` (or on close). */
  function consumerCaughtUp(): Promise<void> {
    if (queue.length <= resumeBelow || closed) return Promise.resolve();
    return new Promise((resolve) => {
      const onStop = () => done();
      const done = () => {
        drained = null;
        stop.signal.removeEventListener("abort", onStop);
        resolve();
      };
      drained = done;
      stop.signal.addEventListener("abort", onStop, { once: true });
    });
  }

  const finished = run();

  return {
    get connected() {
      return socket !== null && socket.readyState === WebSocket.OPEN;
    },
    get buffered() {
      return queue.length;
    },
    subscribe(channel, subscribeOptions = {}) {
      const existing = desired.get(channel);
      const tickers = subscribeOptions.marketTickers;
      if (existing !== undefined) {
        if (tickers === undefined) return ensure(existing);
        const added = tickers.filter((t) => !existing.tickers.has(t));
        for (const t of added) existing.tickers.add(t);
        return existing.allMarkets ? ensure(existing) : update(existing, "add_markets", added);
      }
      const entry: Desired = {
        channel,
        allMarkets: tickers === undefined,
        tickers: new Set(tickers ?? []),
        params: subscribeOptions.params ?? {},
        sid: null,
        epoch: -1,
        pending: null,
      };
      desired.set(channel, entry);
      return ensure(entry);
    },
    addMarkets(channel, marketTickers) {
      return this.subscribe(channel, { marketTickers });
    },
    async removeMarkets(channel, marketTickers) {
      const entry = desired.get(channel);
      if (entry === undefined) return;
      const removed = marketTickers.filter((t) => entry.tickers.delete(t));
      await update(entry, "delete_markets", removed);
    },
    async unsubscribe(channel) {
      const entry = desired.get(channel);
      if (entry === undefined) return;
      desired.delete(channel);
      if (entry.sid !== null && entry.epoch === epoch && socket !== null) {
        await command("unsubscribe", { sids: [entry.sid] });
      }
    },
    subscriptions() {
      return [...desired.values()].map((d) => ({
        channel: d.channel,
        allMarkets: d.allMarkets,
        marketTickers: new Set(d.tickers),
        sid: d.epoch === epoch ? d.sid : null,
      }));
    },
    async close() {
      if (closed && socket === null) return finished;
      closed = true;
      stop.abort(new Error("client closed"));
      socket?.close(1000, "client closed");
      for (const w of connectedWaiters) w();
      connectedWaiters = [];
      await finished;
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length > 0) {
          const item = queue.shift() as WsStreamItem;
          if (drained !== null && queue.length <= resumeBelow) drained();
          yield item;
          continue;
        }
        if (closed) return;
        await new Promise<void>((resolve) => (waiter = resolve));
      }
    },
  };
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}
