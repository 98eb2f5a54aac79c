/**
 * ws_service's readiness: connected, data flowing while watched markets are open, and a spool
 * that drains. Each check reads live state through small accessors, so the rules are tested
 * without a socket; the same numbers go to /metrics for the alert rules.
 * @module
 */
import { formatDuration, type Metrics, type Readiness } from "@kalshi-data/lib/runtime";

/** The live state the checks read. */
export interface WsHealthState {
  /** Whether the WebSocket is open. */
  connected(): boolean;
  /** Receive time (the capture clock, ms) of the last data message; undefined before the first. */
  lastDataMs(): number | undefined;
  /** Watched markets open at `nowMs`. */
  openWatched(nowMs: number): number;
  /** Bytes waiting in the on-disk spool. */
  spoolBytes(): number;
  /** When rows were last dropped (database and disk both refused, memory full), or null. */
  lastDropMs?(): number | null;
  /** The order-book channel, when order books are captured. */
  orderbook?(): OrderbookHealth;
}

/** The order-book channel's state. */
export interface OrderbookHealth {
  /** Markets in the order-book scope. */
  markets: number;
  /** Books maintained now (snapshot received, no gap since). */
  maintained: number;
  /** Receive time (capture clock) of the last order-book message, or null. */
  lastMessageMs: number | null;
  /** Order-book gaps recorded so far, and those still waiting for their resync. */
  gaps: number;
  openGaps: number;
}

/** Limits and clock of {@linkcode addWsReadiness}. */
export interface WsReadinessOptions {
  /** The capture clock (ms). */
  now: () => number;
  /** When the capture started (counts as the last data before the first message). */
  startedMs: number;
  /** Not ready after this long without a data message while watched markets are open. */
  maxSilenceMs: number;
  /** Not ready once the spool has grown (never drained) for this long. */
  maxSpoolGrowingMs: number;
  /** Receives ws_connected, ws_last_frame_timestamp_seconds, ws_subscribed_open_markets, ws_spool_growing_seconds. */
  metrics?: Metrics;
}

/**
 * Tracks since when a size has been growing: starts when it is first seen above zero and not
 * smaller than before, resets when it shrinks (draining) or reaches zero.
 */
export function createGrowthTracker(): (bytes: number, nowMs: number) => number | undefined {
  let previous = 0;
  let since: number | undefined;
  return (bytes, nowMs) => {
    if (bytes === 0 || bytes < previous) since = undefined;
    else if (since === undefined && bytes > previous) since = nowMs;
    previous = bytes;
    return since;
  };
}

/** Registers the "connected", "data", "buffer" and "spool" checks (and their metrics). */
export function addWsReadiness(
  readiness: Readiness,
  state: WsHealthState,
  options: WsReadinessOptions,
): void {
  const growth = createGrowthTracker();
  const growingMs = () => {
    const now = options.now();
    const since = growth(state.spoolBytes(), now);
    return since === undefined ? 0 : now - since;
  };
  registerMetrics(state, options, growingMs);
  readiness.add(
    "connected",
    () =>
      state.connected()
        ? { ok: true }
        : { ok: false, reason: "the Kalshi WebSocket is not connected (reconnecting)" },
  );
  readiness.add("data", () => {
    const now = options.now();
    const open = state.openWatched(now);
    const last = state.lastDataMs();
    const silentMs = now - (last ?? options.startedMs);
    const detail = { open_watched: open, silent_ms: silentMs, limit_ms: options.maxSilenceMs };
    if (open === 0 || silentMs <= options.maxSilenceMs) return { ok: true, detail };
    const since = last === undefined ? "since start, " : "";
    return {
      ok: false,
      reason: `no data message ${since}for ${formatDuration(silentMs)} while ${open} watched ` +
        `market(s) are open (limit ${formatDuration(options.maxSilenceMs)})`,
      detail,
    };
  });
  readiness.add("buffer", () => {
    const last = state.lastDropMs?.() ?? null;
    const ago = last === null ? null : options.now() - last;
    if (ago === null || ago > options.maxSpoolGrowingMs) return { ok: true };
    return {
      ok: false,
      reason: `rows were dropped ${formatDuration(ago)} ago: neither the database nor the disk ` +
        "took the batches and memory is full (a capture gap is recorded once the database is back)",
      detail: { last_drop_ms: last },
    };
  });
  if (state.orderbook) addOrderbookCheck(readiness, state.orderbook, options);
  readiness.add("spool", () => {
    const ms = growingMs();
    const detail = { spool_bytes: state.spoolBytes(), growing_ms: ms };
    if (ms <= options.maxSpoolGrowingMs) return { ok: true, detail };
    return {
      ok: false,
      reason: `the spool has grown for ${formatDuration(ms)} without draining ` +
        `(${state.spoolBytes()} bytes; limit ${formatDuration(options.maxSpoolGrowingMs)}): ` +
        "the database is not taking the batches",
      detail,
    };
  });
}

/**
 * The "orderbook" check: not ready when markets are in the order-book scope and no order-book
 * message came for `maxSilenceMs`; its detail says how many books are maintained and the gaps.
 */
function addOrderbookCheck(
  readiness: Readiness,
  orderbook: () => OrderbookHealth,
  options: WsReadinessOptions,
): void {
  readiness.add("orderbook", () => {
    const h = orderbook();
    const now = options.now();
    const ageMs = now - (h.lastMessageMs ?? options.startedMs);
    const detail = {
      markets: h.markets,
      books_maintained: h.maintained,
      last_message_age_ms: h.lastMessageMs === null ? null : ageMs,
      gaps: h.gaps,
      open_gaps: h.openGaps,
    };
    if (h.markets === 0 || ageMs <= options.maxSilenceMs) return { ok: true, detail };
    return {
      ok: false,
      reason: `no order-book message for ${formatDuration(ageMs)} while ${h.markets} market(s) ` +
        `are subscribed (limit ${formatDuration(options.maxSilenceMs)})`,
      detail,
    };
  });
  options.metrics?.collect(
    "ws_orderbook_books",
    "order books: markets in scope, books maintained, gaps waiting for their resync",
    () => {
      const h = orderbook();
      return [[{ state: "scope" }, h.markets], [{ state: "maintained" }, h.maintained], [{
        state: "resyncing",
      }, h.openGaps]];
    },
  );
}

function registerMetrics(
  state: WsHealthState,
  options: WsReadinessOptions,
  growingMs: () => number,
): void {
  const m = options.metrics;
  if (!m) return;
  m.collect("ws_connected", "1 while the Kalshi WebSocket is open", () => [[
    {},
    state.connected() ? 1 : 0,
  ]]);
  m.collect(
    "ws_last_frame_timestamp_seconds",
    "when the last data message arrived (Unix seconds, capture clock; 0 before the first)",
    () => [[{}, Math.floor((state.lastDataMs() ?? 0) / 1000)]],
  );
  m.collect("ws_subscribed_open_markets", "watched markets that are open now", () => [[
    {},
    state.openWatched(options.now()),
  ]]);
  m.collect(
    "ws_spool_growing_seconds",
    "how long the spool has been growing without draining (0 when empty or draining)",
    () => [[{}, Math.floor(growingMs() / 1000)]],
  );
}
