/**
 * The ws_service run loop: subscribes the watched markets' ticker and trade channels and the
 * lifecycle channels, turns every stream item into rows for the capture pipeline (messages,
 * dead letters, gaps), keeps the market set current with update_subscription, watches each
 * channel for silence, and stops by flushing (or spooling) within a deadline.
 */
import {
  createCapturePipeline,
  type GapRow,
  GapTracker,
  lifecycleRow,
  openSpool,
  tickRow,
  tradeRow,
} from "../../lib/capture/mod.ts";
import {
  ensureTickPartitions,
  getIngestState,
  setIngestState,
  type Sql,
} from "../../lib/db/mod.ts";
import {
  type Clock,
  createWsClient,
  type KalshiCredentials,
  type KalshiRestClient,
  type KalshiWsClient,
  systemClock,
  type WsStreamItem,
} from "../../lib/kalshi/mod.ts";
import type { Logger } from "../../lib/log/mod.ts";
import type { Metrics, Readiness } from "../../lib/runtime/mod.ts";
import type { Scope } from "../../lib/scope/mod.ts";
import { isOpenAt, loadWatchEntries, type WatchEntry } from "./watch.ts";
import { addWsReadiness } from "./readiness.ts";
import { createNewMarketScheduler, type NewMarketScheduler } from "./new_markets.ts";

/** The handshake was refused (401/403) repeatedly: a credentials problem, not a network one. */
export class WsAuthError extends Error {
  /** HTTP status of the last refused handshake. */
  readonly status: number;
  /** Refused handshakes in a row. */
  readonly attempts: number;
  constructor(status: number, attempts: number, url: string) {
    super(
      `Kalshi refused the WebSocket handshake to ${url} with HTTP ${status} ${attempts} times in ` +
        "a row: an authentication problem. Likely causes: KALSHI_API_KEY_ID is wrong or revoked, " +
        "KALSHI_PRIVATE_KEY_PATH is not the key of that id (or a demo key used against " +
        "production, or the reverse), or this machine's clock is skewed (the signed timestamp " +
        "must be within seconds of Kalshi's).",
    );
    this.name = "WsAuthError";
    this.status = status;
    this.attempts = attempts;
  }
}

/** Options of {@linkcode runWsCapture}. */
export interface WsCaptureOptions {
  sql: Sql;
  logger: Logger;
  metrics: Metrics;
  /** Stops the capture. */
  signal: AbortSignal;
  wsUrl: string | URL;
  credentials: KalshiCredentials | null;
  scope: Scope;
  spoolDir: string;
  /** Instance name: the `ws.session` scope (one per concurrently running ws_service). */
  instance?: string;
  /** The exchange's clock (receive times, gap bounds, the watch window); default system time. */
  clock?: Clock;
  /** Re-read the watched markets every this many ms (default 30 000). */
  refreshMs?: number;
  /** Watch markets opening within this many ms (default 1 hour). */
  leadMs?: number;
  /** The ticker channel is dead after this many ms without a message (default 120 000; 0 off). */
  tickerStaleMs?: number;
  /** No frame at all for this long reconnects (client liveness, default 30 000). */
  livenessTimeoutMs?: number;
  /** Tickers per subscribe / update_subscription command (default 500). */
  maxTickersPerCommand?: number;
  /** Rows per batch (default 5000), batch age limit (default 250 ms), memory bound (200 000 rows). */
  maxBatchRows?: number;
  flushIntervalMs?: number;
  maxBufferRows?: number;
  /** Widen gap starts by this many ms (default 1000). */
  gapSlackMs?: number;
  /** How long the stop may try to write before spooling (default 5000 ms). */
  flushBudgetMs?: number;
  /** Replaces the flush budget timer (tests end it by hand). */
  flushDeadline?: AbortSignal;
  /** Reconnect backoff (default base 500 ms, max 30 s). */
  reconnect?: { baseMs?: number; maxMs?: number };
  /** Consecutive 401/403 handshakes before giving up with {@linkcode WsAuthError} (default 3). */
  authFailureLimit?: number;
  /**
   * REST client for markets first met through a lifecycle `created` message (fetched and upserted
   * after their batch commits, then their backfill scheduled); null or absent keeps the row built
   * from the message and still schedules.
   */
  restClient?: Pick<KalshiRestClient, "getMarket"> | null;
  /** Where the "connected", "data" and "spool" readiness checks are registered. */
  readiness?: Readiness;
  /** Not ready after this many ms without data while watched markets are open (default 300 000). */
  readyMaxSilenceMs?: number;
  /** Not ready once the spool has grown this many ms without draining (default 600 000). */
  readyMaxSpoolGrowingMs?: number;
  /** Called once the subscriptions are requested (tests). */
  onReady?: (state: CaptureState) => void;
}

/** Live state, for tests and health. */
export interface CaptureState {
  sessionId: string;
  client: KalshiWsClient;
  /** Tickers currently subscribed on ticker and trade. */
  readonly watched: ReadonlySet<string>;
  /** Re-reads the watch set now, adjusts subscriptions, and retries pending new markets. */
  refresh(): Promise<void>;
  /** Markets first met through a `created` message, until fetched and scheduled. */
  readonly newMarkets: NewMarketScheduler;
  readonly pipeline: ReturnType<typeof createCapturePipeline>;
}

/** What a run did. */
export interface CaptureSummary {
  sessionId: string;
  flushed: boolean;
  spooledBatches: number;
  messages: number;
  gaps: number;
  deadLetters: number;
}

const MARKET_CHANNELS = ["ticker", "trade"] as const;
const LIFECYCLE_TYPES = new Set([
  "market_lifecycle_v2",
  "multivariate_market_lifecycle",
  "event_lifecycle",
  "event_fee_update",
]);

/** Deno's WebSocket takes handshake headers; the DOM typings do not say so. */
const HeaderWebSocket = WebSocket as unknown as new (
  url: URL,
  options: { headers: Record<string, string> },
) => WebSocket;

const iso = (ms: number) => new Date(ms).toISOString();

async function retry<T>(
  what: string,
  fn: () => Promise<T>,
  options: { logger: Logger; signal: AbortSignal },
): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (options.signal.aborted) throw error;
      options.logger.warn(`${what} failed; retrying`, { attempt, error: (error as Error).message });
      await new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** Math.min(attempt, 6))));
    }
  }
}

/** Runs live capture until `signal` aborts; throws {@linkcode WsAuthError} on refused handshakes. */
export async function runWsCapture(options: WsCaptureOptions): Promise<CaptureSummary> {
  const { sql, logger, metrics, scope } = options;
  const clock = options.clock ?? systemClock;
  const instance = options.instance ?? "default";
  const tickersPerCommand = options.maxTickersPerCommand ?? 500;
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal.reason);
  if (options.signal.aborted) onAbort();
  options.signal.addEventListener("abort", onAbort, { once: true });
  let fatal: Error | null = null;

  const messages = metrics.counter("ws_messages_total", "WebSocket messages received by type");
  const reconnects = metrics.counter("ws_reconnects_total", "WebSocket reconnections");
  const gapCount = metrics.counter("ws_capture_gaps_total", "capture gaps recorded by reason");
  const deadLetters = metrics.counter("ws_dead_letters_total", "malformed or unknown frames");
  const authFailures = metrics.counter("ws_auth_failures_total", "refused handshakes (401/403)");
  const jobsScheduled = metrics.counter(
    "ws_backfill_jobs_scheduled_total",
    "backfill jobs scheduled for markets first met through a lifecycle message",
  );

  const spool = await openSpool(options.spoolDir, {
    onCorruptLine: (segment, line, error) =>
      logger.error("unreadable spool line skipped", { segment, line, error }),
  });
  const sessionId = crypto.randomUUID();
  const newMarkets = createNewMarketScheduler({
    sql,
    client: options.restClient ?? null,
    scope,
    logger,
    now: () => clock.now(),
    signal: stop.signal,
    onScheduled: (kinds) => {
      for (const [kind, n] of Object.entries(kinds)) jobsScheduled.inc({ kind }, n);
    },
  });
  metrics.collect("ws_new_markets_pending", "new markets waiting for REST or first jobs", () => [[
    {},
    newMarkets.pending.size,
  ]]);
  const pipeline = createCapturePipeline({
    sql,
    spool,
    logger,
    instance,
    sessionId,
    maxBatchRows: options.maxBatchRows,
    flushIntervalMs: options.flushIntervalMs,
    maxBufferRows: options.maxBufferRows,
    now: () => clock.now(),
    onNewMarkets: (tickers) => newMarkets.add(tickers),
  });
  metrics.collect("ws_buffer_rows", "rows in memory not yet committed", () => [[
    {},
    pipeline.stats.bufferedRows,
  ]]);
  metrics.collect("ws_spool_bytes", "bytes waiting in the on-disk spool", () => [[
    {},
    pipeline.stats.spoolBytes,
  ]]);
  metrics.collect("ws_batch_latency_ms", "receive to commit latency of rows", () => [
    [{ quantile: "0.5" }, pipeline.latency.quantile(0.5)],
    [{ quantile: "0.99" }, pipeline.latency.quantile(0.99)],
  ]);
  metrics.collect("ws_batches_written_total", "batches committed", () => [[
    {},
    pipeline.stats.batchesWritten,
  ]]);
  const rates = new Map<string, number>();
  metrics.collect(
    "ws_messages_per_second",
    "messages per second by type (last 10 s)",
    () => [...rates].map(([type, rate]) => [{ type }, rate]),
  );

  // Watched markets with their open/close times, and the last data message: readiness reads them.
  const watchTimes = new Map<string, WatchEntry>();
  let lastDataMs: number | undefined;
  let connected = () => false;
  if (options.readiness) {
    addWsReadiness(options.readiness, {
      connected: () => connected(),
      lastDataMs: () => lastDataMs,
      openWatched: (nowMs) => [...watchTimes.values()].filter((e) => isOpenAt(e, nowMs)).length,
      spoolBytes: () => pipeline.stats.spoolBytes,
    }, {
      now: () => clock.now(),
      startedMs: clock.now(),
      maxSilenceMs: options.readyMaxSilenceMs ?? 300_000,
      maxSpoolGrowingMs: options.readyMaxSpoolGrowingMs ?? 600_000,
      metrics,
    });
  }
  const loadWatchSet = async () => {
    const entries = await loadWatchEntries(sql, scope, {
      nowMs: clock.now(),
      leadMs: options.leadMs,
    });
    watchTimes.clear();
    for (const e of entries) watchTimes.set(e.ticker, e);
    return entries.map((e) => e.ticker);
  };

  let summaryGaps = 0;
  let summaryDead = 0;
  let summaryMessages = 0;
  const recordGap = (gap: GapRow | null) => {
    if (gap === null) return;
    pipeline.gap(gap);
    gapCount.inc({ reason: gap.reason });
    summaryGaps++;
    logger.warn("capture gap", {
      channel: gap.channel,
      reason: gap.reason,
      start: iso(gap.startMs),
      end: iso(gap.endMs),
      markets: gap.marketTickers?.length ?? "all",
    });
  };

  // Replay what an earlier run spooled before reading its watermark.
  try {
    await pipeline.drained(stop.signal);
  } catch {
    const report = await pipeline.stop({
      deadline: AbortSignal.timeout(options.flushBudgetMs ?? 5000),
    });
    await newMarkets.close(AbortSignal.timeout(options.flushBudgetMs ?? 5000));
    return { sessionId, ...report, messages: 0, gaps: 0, deadLetters: 0 };
  }
  const previous = await retry(
    "reading ws.session",
    () => getIngestState(sql, "ws.session", { scope: instance }),
    { logger, signal: stop.signal },
  );
  const resumeAt = previous?.lastMessageAt ?? previous?.connectedAt;
  await retry("writing ws.session", () =>
    setIngestState(sql, {
      key: "ws.session",
      scope: instance,
      value: {
        sessionId,
        connectedAt: iso(clock.now()),
        ...(resumeAt === undefined ? {} : { lastMessageAt: resumeAt }),
        // Per-channel times outlive the session, so `deno task status` still knows them.
        ...(previous?.channels === undefined ? {} : { channels: previous.channels }),
      },
    }), { logger, signal: stop.signal });

  const topUpPartitions = () =>
    ensureTickPartitions(sql, { from: new Date(Date.now() - 86_400_000), days: 9 }).then(
      (created) => created > 0 && logger.info("tick partitions created", { created }),
      (error) => logger.warn("ensureTickPartitions failed", { error: (error as Error).message }),
    );
  await topUpPartitions();

  const gaps = new GapTracker({ slackMs: options.gapSlackMs, tickersPerCommand });
  const lifecycleChannels = scope.includeCombos
    ? ["market_lifecycle_v2", "multivariate_market_lifecycle"]
    : ["market_lifecycle_v2"];
  const watched = new Set<string>();
  const syncGapMarkets = () => {
    const map = new Map<string, readonly string[] | null>();
    for (const ch of lifecycleChannels) map.set(ch, null);
    if (watched.size > 0) { for (const ch of MARKET_CHANNELS) map.set(ch, [...watched]); }
    gaps.setMarkets(map);
  };

  // The stale-channel watchdog below closes the socket the client opened last.
  let socket: WebSocket | null = null;
  const url = new URL(String(options.wsUrl));
  const client = createWsClient({
    url,
    credentials: options.credentials,
    clock,
    livenessTimeoutMs: options.livenessTimeoutMs,
    maxTickersPerCommand: tickersPerCommand,
    reconnect: options.reconnect,
    connect(target, headers) {
      socket = new HeaderWebSocket(target, { headers });
      return socket;
    },
  });
  stop.signal.addEventListener("abort", () => void client.close(), { once: true });
  connected = () => client.connected;

  // Subscriptions: lifecycle channel-wide; ticker + trade for the watched markets.
  let applying: Promise<void> = Promise.resolve();
  const apply = (next: string[]) => {
    const wanted = new Set(next);
    const added = next.filter((t) => !watched.has(t));
    const removed = [...watched].filter((t) => !wanted.has(t));
    if (added.length === 0 && removed.length === 0) return Promise.resolve();
    const hadAny = watched.size > 0;
    for (const t of added) watched.add(t);
    for (const t of removed) watched.delete(t);
    syncGapMarkets();
    logger.info("watch set changed", {
      added: added.length,
      removed: removed.length,
      watched: watched.size,
    });
    const work: Promise<void>[] = [];
    for (const ch of MARKET_CHANNELS) {
      if (watched.size === 0) {
        // An empty market list would mean "all markets" to Kalshi: unsubscribe instead.
        work.push(client.unsubscribe(ch));
      } else if (!hadAny) {
        work.push(client.subscribe(ch, { marketTickers: [...watched] }));
      } else {
        if (added.length > 0) work.push(client.addMarkets(ch, added));
        if (removed.length > 0) work.push(client.removeMarkets(ch, removed));
      }
    }
    return Promise.all(work).then(() => {}, (error) => {
      // The client keeps the desired set and re-subscribes it after a reconnect.
      logger.warn("subscription update failed", { error: (error as Error).message });
    });
  };
  const refresh = () => {
    applying = applying.then(async () => {
      if (stop.signal.aborted) return;
      try {
        const next = await loadWatchSet();
        await apply(next);
      } catch (error) {
        logger.warn("reading the watch set failed", { error: (error as Error).message });
      }
    });
    return Promise.all([applying, newMarkets.retry()]).then(() => {});
  };

  // First watch set before subscribing, so a restart gap knows its market set.
  const initial = await retry(
    "reading the watch set",
    loadWatchSet,
    { logger, signal: stop.signal },
  ).catch(() => [] as string[]);
  for (const t of initial) watched.add(t);
  syncGapMarkets();
  if (resumeAt !== undefined) {
    gaps.resume(Date.parse(resumeAt));
    gaps.open("restart", clock.now(), { detail: { previousSessionId: previous?.sessionId } });
  }
  for (const ch of lifecycleChannels) {
    client.subscribe(ch).catch((e) =>
      logger.warn("subscribe failed", { channel: ch, error: e.message })
    );
  }
  if (watched.size > 0) {
    for (const ch of MARKET_CHANNELS) {
      client.subscribe(ch, { marketTickers: [...watched] }).catch((e) =>
        logger.warn("subscribe failed", { channel: ch, error: e.message })
      );
    }
  }
  logger.info("capturing", { sessionId, watched: watched.size, channels: lifecycleChannels });

  const timers: ReturnType<typeof setInterval>[] = [];
  timers.push(setInterval(refresh, options.refreshMs ?? 30_000));
  timers.push(setInterval(topUpPartitions, 86_400_000));
  // Per-channel staleness: an open socket whose ticker channel went silent is treated as dead.
  const lastSeen = new Map<string, number>();
  const tickerStaleMs = options.tickerStaleMs ?? 120_000;
  if (tickerStaleMs > 0) {
    timers.push(setInterval(() => {
      const seen = lastSeen.get("ticker");
      if (!client.connected || watched.size === 0 || seen === undefined) return;
      if (Date.now() - seen <= tickerStaleMs) return;
      logger.warn("ticker channel silent; reconnecting", { silentMs: Date.now() - seen });
      lastSeen.delete("ticker");
      gaps.open("stale", clock.now(), {
        channels: ["ticker"],
        detail: { silentMs: tickerStaleMs },
      });
      socket?.close(4001, "channel stale");
    }, Math.max(50, Math.min(5000, tickerStaleMs / 4))));
  }
  const counted = new Map<string, number>();
  timers.push(setInterval(() => {
    for (const [type, n] of counted) rates.set(type, n / 10);
    counted.clear();
  }, 10_000));

  options.onReady?.({
    sessionId,
    client,
    watched,
    refresh,
    newMarkets,
    pipeline,
  });

  const handle = (item: WsStreamItem) => {
    switch (item.kind) {
      case "message": {
        const m = item.message;
        summaryMessages++;
        messages.inc({ type: m.type });
        counted.set(m.type, (counted.get(m.type) ?? 0) + 1);
        if (m.type === "ticker" || m.type === "trade" || LIFECYCLE_TYPES.has(m.type)) {
          lastDataMs = item.receivedAtMs;
        }
        if (m.type === "ticker") {
          lastSeen.set("ticker", Date.now());
          gaps.seen(m.tsMs);
          pipeline.tick(tickRow(m, item.receivedAtMs));
        } else if (m.type === "trade") {
          gaps.seen(m.tsMs);
          pipeline.trade(tradeRow(m, item.receivedAtMs));
        } else if (LIFECYCLE_TYPES.has(m.type)) {
          pipeline.lifecycle(
            lifecycleRow(m as Parameters<typeof lifecycleRow>[0], item.receivedAtMs),
          );
        } else if (m.type === "subscribed") {
          lastSeen.set(m.channel, Date.now());
          recordGap(gaps.subscribed(m.channel, item.receivedAtMs));
        } else if (m.type === "ok" || m.type === "unsubscribed") {
          const channel = m.sid === null ? null : client.channelOf(m.sid);
          if (m.type === "ok" && channel !== null) {
            recordGap(gaps.acknowledged(channel, item.receivedAtMs));
          }
        } else if (m.type === "error") {
          logger.warn("Kalshi WebSocket error reply", {
            code: m.code,
            message: m.message,
            sid: m.sid,
          });
        }
        return;
      }
      case "unsupported":
        summaryDead++;
        deadLetters.inc({ reason: "unknown_type" });
        pipeline.deadLetter({
          source: `ws:${item.type}`,
          error: `unknown message type "${item.type}"`,
          payload: JSON.stringify(item.raw),
          context: { sessionId },
          receivedAtMs: item.receivedAtMs,
        });
        return;
      case "invalid":
        summaryDead++;
        deadLetters.inc({ reason: "invalid" });
        pipeline.deadLetter({
          source: "ws",
          error: item.error,
          payload: item.rawText,
          context: { sessionId },
          receivedAtMs: item.receivedAtMs,
        });
        return;
      case "gap": {
        const channel = item.channel ?? client.channelOf(item.sid) ?? "unknown";
        recordGap(gaps.instant(channel, "seq_gap", item.receivedAtMs, {
          sid: item.sid,
          expectedSeq: item.expectedSeq,
          receivedSeq: item.receivedSeq,
        }));
        return;
      }
      case "disconnect":
        reconnects.inc();
        logger.warn("WebSocket reconnected after an outage", {
          reason: item.reason,
          failedAttempts: item.failedAttempts,
          from: iso(item.startedAtMs),
        });
        gaps.open("disconnect", item.startedAtMs, {
          detail: { reason: item.reason, failedAttempts: item.failedAttempts },
        });
        return;
      case "refused": {
        // Refused handshakes in a row: a credentials problem that retrying will not fix.
        authFailures.inc();
        const error = new WsAuthError(item.status, item.attempts, url.href);
        logger.error("WebSocket handshake refused: authentication problem", {
          status: item.status,
          attempt: item.attempts,
          detail: error.message,
        });
        if (item.attempts >= (options.authFailureLimit ?? 3)) {
          fatal = error;
          stop.abort(error);
        }
        return;
      }
    }
  };

  try {
    for await (const item of client) handle(item);
  } finally {
    for (const t of timers) clearInterval(t);
    options.signal.removeEventListener("abort", onAbort);
    await client.close();
    await applying.catch(() => {});
    for (const gap of gaps.closeAll(clock.now())) recordGap(gap);
  }
  const deadline = options.flushDeadline ?? AbortSignal.timeout(options.flushBudgetMs ?? 5000);
  const report = await pipeline.stop({ deadline });
  await newMarkets.close(deadline);
  logger.info("capture stopped", { ...report, messages: summaryMessages, gaps: summaryGaps });
  if (fatal !== null) throw fatal;
  return {
    sessionId,
    ...report,
    messages: summaryMessages,
    gaps: summaryGaps,
    deadLetters: summaryDead,
  };
}
