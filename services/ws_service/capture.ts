/**
 * The ws_service run loop, as wiring of named steps: replay what an earlier run spooled, resume
 * the session (./session.ts), subscribe the watched markets (./watch_set.ts), route every stream
 * item (./route.ts) to the pipeline, the gap tracker and the metrics (./capture_metrics.ts),
 * watch the ticker channel for silence (./silence_watch.ts), report readiness (./readiness.ts),
 * and stop by flushing (or spooling) within a deadline.
 * @module
 */
import {
  type CapturePipeline,
  createCapturePipeline,
  type GapRow,
  GapTracker,
  openSpool,
  type OrderbookScope,
  type Spool,
} from "@kalshi-data/lib/capture";
import { ensureTickPartitions, type Sql } from "@kalshi-data/lib/db";
import {
  type Clock,
  createWsClient,
  type KalshiCredentials,
  type KalshiRestClient,
  type KalshiWsClient,
  systemClock,
} from "@kalshi-data/lib/kalshi";
import type { Logger } from "@kalshi-data/lib/log";
import type { Metrics, Readiness } from "@kalshi-data/lib/runtime";
import type { Scope } from "@kalshi-data/lib/scope";
import { addWsReadiness } from "./readiness.ts";
import { createNewMarketScheduler, type NewMarketScheduler } from "./new_markets.ts";
import { type CaptureCounters, captureCounters, captureGauges } from "./capture_metrics.ts";
import { ORDERBOOK_CHANNEL, OrderbookCapture } from "./orderbook.ts";
import { type Effect, routeItem } from "./route.ts";
import { type Resume, retryUntilStopped, startSession } from "./session.ts";
import { SilenceWatch } from "./silence_watch.ts";
import { MARKET_CHANNELS, WatchSet } from "./watch_set.ts";

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
  /** Flush every spool append with fsync (default true). */
  spoolFsync?: boolean;
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
  /** Watched markets whose order book is captured (default none; the setting's is top:200). */
  orderbookScope?: OrderbookScope;
  /** Store a checkpoint of every changed order book this often (default 300 000 ms). */
  orderbookCheckpointMs?: number;
  /** Resync order books on a `seq` gap (default true; false for a recorded, cut stream). */
  orderbookSeqCheck?: boolean;
  /** Called once the subscriptions are requested (tests). */
  onReady?: (state: CaptureState) => void;
}

/** Live state, for tests and health. */
export interface CaptureState {
  sessionId: string;
  client: KalshiWsClient;
  /** Tickers currently subscribed on ticker and trade. */
  readonly watched: ReadonlySet<string>;
  /** The maintained order books. */
  readonly orderbook: OrderbookCapture;
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

/** Deno's WebSocket takes handshake headers; the DOM typings do not say so. */
const HeaderWebSocket = WebSocket as unknown as new (
  url: URL,
  options: { headers: Record<string, string> },
) => WebSocket;

const iso = (ms: number) => new Date(ms).toISOString();

/** What every step of a run shares. */
interface Run {
  options: WsCaptureOptions;
  clock: Clock;
  /** Fires when the run must stop (the caller's signal, or a fatal refusal). */
  stop: AbortController;
  sessionId: string;
  spool: Spool;
  pipeline: CapturePipeline;
  newMarkets: NewMarketScheduler;
  counters: CaptureCounters;
  summary: { messages: number; gaps: number; deadLetters: number };
  fatal: Error | null;
}

/** The live part of a run: socket, subscriptions, gaps and watches. */
interface Live {
  client: KalshiWsClient;
  gaps: GapTracker;
  watch: WatchSet;
  books: OrderbookCapture;
  silence: SilenceWatch;
  /** The socket the client opened last (the silence watch closes it). */
  socket: { current: WebSocket | null };
  lastDataMs: number | undefined;
  timers: ReturnType<typeof setInterval>[];
}

/** Runs live capture until `signal` aborts; throws {@linkcode WsAuthError} on refused handshakes. */
export async function runWsCapture(options: WsCaptureOptions): Promise<CaptureSummary> {
  const run = await openRun(options);
  const onAbort = () => run.stop.abort(options.signal.reason);
  if (options.signal.aborted) onAbort();
  options.signal.addEventListener("abort", onAbort, { once: true });
  try {
    // Replay what an earlier run spooled before reading its watermark.
    await run.pipeline.drained(run.stop.signal);
  } catch {
    options.signal.removeEventListener("abort", onAbort);
    return await finish(run, AbortSignal.timeout(options.flushBudgetMs ?? 5000));
  }
  const resume = await startSession(options.sql, {
    instance: options.instance ?? "default",
    sessionId: run.sessionId,
    nowMs: run.clock.now(),
  }, { logger: options.logger, signal: run.stop.signal });
  await topUpPartitions(options);
  const live = await startLive(run, resume);
  try {
    for await (const item of live.client) {
      const context = {
        sessionId: run.sessionId,
        channelOf: (sid: number) => live.client.channelOf(sid),
      };
      for (const effect of routeItem(item, context)) {
        applyEffect(effect, run, live);
      }
    }
  } finally {
    for (const t of live.timers) clearInterval(t);
    live.silence.close();
    options.signal.removeEventListener("abort", onAbort);
    await live.client.close();
    await live.watch.settled();
    live.books.close(run.clock.now());
    for (const gap of live.gaps.closeAll(run.clock.now())) recordGap(run, gap);
  }
  const summary = await finish(
    run,
    options.flushDeadline ?? AbortSignal.timeout(options.flushBudgetMs ?? 5000),
  );
  if (run.fatal !== null) throw run.fatal;
  return summary;
}

/** Opens the spool and builds the pipeline, the new-market scheduler and the metrics. */
async function openRun(options: WsCaptureOptions): Promise<Run> {
  const { sql, logger, metrics } = options;
  const clock = options.clock ?? systemClock;
  const stop = new AbortController();
  const counters = captureCounters(metrics);
  const spool = await openSpool(options.spoolDir, {
    fsync: options.spoolFsync,
    onCorruptLine: (segment, line, error) =>
      logger.error("unreadable spool line skipped", { segment, line, error }),
  });
  const sessionId = crypto.randomUUID();
  const newMarkets = createNewMarketScheduler({
    sql,
    client: options.restClient ?? null,
    scope: options.scope,
    logger,
    now: () => clock.now(),
    signal: stop.signal,
    onScheduled: (kinds) => {
      for (const [kind, n] of Object.entries(kinds)) counters.jobsScheduled.inc({ kind }, n);
    },
  });
  const pipeline = createCapturePipeline({
    sql,
    spool,
    logger,
    instance: options.instance ?? "default",
    sessionId,
    maxBatchRows: options.maxBatchRows,
    flushIntervalMs: options.flushIntervalMs,
    maxBufferRows: options.maxBufferRows,
    now: () => clock.now(),
    onNewMarkets: (tickers) => newMarkets.add(tickers),
  });
  captureGauges(metrics, { pipeline, newMarkets });
  return {
    options,
    clock,
    stop,
    sessionId,
    spool,
    pipeline,
    newMarkets,
    counters,
    summary: { messages: 0, gaps: 0, deadLetters: 0 },
    fatal: null,
  };
}

/** Ensures the coming days' tick partitions (daily, and now). */
function topUpPartitions(options: WsCaptureOptions): Promise<unknown> {
  return ensureTickPartitions(options.sql, { from: new Date(Date.now() - 86_400_000), days: 9 })
    .then(
      (created) => created > 0 && options.logger.info("tick partitions created", { created }),
      (error) =>
        options.logger.warn("ensureTickPartitions failed", { error: (error as Error).message }),
    );
}

/** Connects, takes the first watch set, subscribes, and starts the timers and watches. */
async function startLive(run: Run, resume: Resume): Promise<Live> {
  const { options, clock } = run;
  const tickersPerCommand = options.maxTickersPerCommand ?? 500;
  const gaps = new GapTracker({ slackMs: options.gapSlackMs, tickersPerCommand });
  const socket: Live["socket"] = { current: null };
  const client = createWsClient({
    url: new URL(String(options.wsUrl)),
    credentials: options.credentials,
    clock,
    livenessTimeoutMs: options.livenessTimeoutMs,
    maxTickersPerCommand: tickersPerCommand,
    reconnect: options.reconnect,
    connect(target, headers) {
      return socket.current = new HeaderWebSocket(target, { headers });
    },
  });
  run.stop.signal.addEventListener("abort", () => void client.close(), { once: true });
  const books = orderbookCapture(run, client);
  const watch = new WatchSet({
    sql: options.sql,
    scope: options.scope,
    client,
    gaps,
    logger: options.logger,
    now: () => clock.now(),
    leadMs: options.leadMs,
    orderbookScope: options.orderbookScope,
    onOrderbookMarkets: (tickers) => books.setMarkets(tickers),
  });
  const silence = silenceWatch(run, { client, gaps, watch, socket });
  const live: Live = {
    client,
    gaps,
    watch,
    books,
    silence,
    socket,
    lastDataMs: undefined,
    timers: [],
  };
  watchReadiness(run, live);
  // First watch set before subscribing, so a restart gap knows its market set.
  const initial = await retryWatchSet(run, live.watch);
  live.watch.start(initial);
  if (resume.resumeAt !== undefined) openRestartGap(run, live, resume.resumeAt, resume);
  live.watch.subscribeAll();
  options.logger.info("capturing", {
    sessionId: run.sessionId,
    watched: live.watch.watched.size,
    channels: live.watch.lifecycleChannels,
  });
  const refresh = () =>
    Promise.all([live.watch.refresh(run.stop.signal), run.newMarkets.retry()]).then(() => {});
  live.timers.push(setInterval(refresh, options.refreshMs ?? 30_000));
  live.timers.push(setInterval(() => topUpPartitions(options), 86_400_000));
  const checkpointMs = options.orderbookCheckpointMs ?? 300_000;
  live.timers.push(setInterval(() => books.checkpoint(clock.now()), checkpointMs));
  options.onReady?.({
    sessionId: run.sessionId,
    client: live.client,
    watched: live.watch.watched,
    orderbook: books,
    refresh,
    newMarkets: run.newMarkets,
    pipeline: run.pipeline,
  });
  return live;
}

/**
 * The gap of the downtime before this start, on every channel. It names no markets (every
 * market in scope open during the span): the previous run watched markets that closed while it
 * was down, which the new watch set no longer lists. With nothing to subscribe on the market
 * channels no confirmation will close their gap, so it ends now.
 */
function openRestartGap(run: Run, live: Live, resumeAt: string, resume: Resume): void {
  const now = run.clock.now();
  const detail = { previousSessionId: resume.previous?.sessionId };
  live.gaps.resume(Date.parse(resumeAt));
  live.gaps.open("restart", now, { detail, allMarkets: true });
  if (live.watch.watched.size === 0) {
    for (const ch of MARKET_CHANNELS) {
      recordGap(run, { ...live.gaps.instant(ch, "restart", now, detail), marketTickers: null });
    }
  }
  live.books.restarted(Date.parse(resumeAt), now);
}

/** The order-book capture of a run: rows and gaps into the pipeline, resyncs through `client`. */
function orderbookCapture(run: Run, client: KalshiWsClient): OrderbookCapture {
  return new OrderbookCapture({
    sink: {
      orderbookSnapshot: (row) => run.pipeline.orderbookSnapshot(row),
      orderbookDelta: (row) => run.pipeline.orderbookDelta(row),
      gap: (row) => recordGap(run, row),
      deadLetter: (row) => {
        run.summary.deadLetters++;
        run.counters.deadLetters.inc({ reason: "unwritable" });
        run.pipeline.deadLetter(row);
      },
    },
    requestSnapshots: (tickers) => client.getSnapshot(ORDERBOOK_CHANNEL, tickers),
    logger: run.options.logger,
    sessionId: run.sessionId,
    slackMs: run.options.gapSlackMs,
    seqCheck: run.options.orderbookSeqCheck,
  });
}

function retryWatchSet(run: Run, watch: WatchSet): Promise<string[]> {
  return retryUntilStopped("reading the watch set", () => watch.load(), {
    logger: run.options.logger,
    signal: run.stop.signal,
  }).catch(() => [] as string[]);
}

/** The ticker silence watch: a silent channel on an open socket is a stale gap and a reconnect. */
function silenceWatch(
  run: Run,
  live: Pick<Live, "client" | "gaps" | "watch" | "socket">,
): SilenceWatch {
  const staleMs = run.options.tickerStaleMs ?? 120_000;
  return new SilenceWatch({
    staleMs,
    connected: () => live.client.connected,
    watched: () => live.watch.watched.size,
    onStale: (silentMs) => {
      run.options.logger.warn("ticker channel silent; reconnecting", { silentMs });
      live.gaps.open("stale", run.clock.now(), {
        channels: ["ticker"],
        detail: { silentMs: staleMs },
      });
      live.socket.current?.close(4001, "channel stale");
    },
  });
}

/** Registers the readiness checks over the live state. */
function watchReadiness(run: Run, live: Live): void {
  const { options, clock } = run;
  if (!options.readiness) return;
  addWsReadiness(options.readiness, {
    connected: () => live.client.connected,
    lastDataMs: () => live.lastDataMs,
    openWatched: (nowMs) => live.watch.openAt(nowMs),
    spoolBytes: () => run.pipeline.stats.spoolBytes,
    lastDropMs: () => run.pipeline.stats.lastDropMs,
    orderbook: () => ({
      markets: live.books.markets.size,
      maintained: live.books.booksMaintained,
      lastMessageMs: live.books.stats.lastMessageMs,
      gaps: live.books.stats.gaps,
      openGaps: live.books.openGaps,
    }),
  }, {
    now: () => clock.now(),
    startedMs: clock.now(),
    maxSilenceMs: options.readyMaxSilenceMs ?? 300_000,
    maxSpoolGrowingMs: options.readyMaxSpoolGrowingMs ?? 600_000,
    metrics: options.metrics,
  });
}

/** Applies one routed effect. */
function applyEffect(effect: Effect, run: Run, live: Live): void {
  const { pipeline, counters, options } = run;
  switch (effect.kind) {
    case "data":
      run.summary.messages++;
      counters.message(effect.type);
      live.lastDataMs = effect.atMs;
      if (effect.channel === "ticker") live.silence.seen("ticker");
      if (effect.exchangeMs !== null) live.gaps.seen(effect.exchangeMs);
      return;
    case "control":
      run.summary.messages++;
      counters.message(effect.type);
      return;
    case "tick":
      return pipeline.tick(effect.row);
    case "trade":
      return pipeline.trade(effect.row);
    case "lifecycle":
      return pipeline.lifecycle(effect.row);
    case "orderbook_snapshot":
      return live.books.snapshot(effect.message, effect.atMs);
    case "orderbook_delta":
      return live.books.delta(effect.message, effect.atMs);
    case "dead_letter":
      run.summary.deadLetters++;
      counters.deadLetters.inc({ reason: effect.reason });
      return pipeline.deadLetter(effect.row);
    case "subscribed":
      live.silence.seen(effect.channel);
      return recordGap(run, live.gaps.subscribed(effect.channel, effect.atMs));
    case "acknowledged":
      return recordGap(run, live.gaps.acknowledged(effect.channel, effect.atMs));
    case "replayed_gap":
      return recordGap(run, effect.row);
    case "seq_gap":
      if (effect.channel === ORDERBOOK_CHANNEL) {
        return live.books.seqGap(effect.atMs, effect.detail);
      }
      return recordGap(
        run,
        live.gaps.instant(effect.channel, "seq_gap", effect.atMs, effect.detail),
      );
    case "error_reply":
      options.logger.warn("Kalshi WebSocket error reply", {
        code: effect.code,
        message: effect.message,
        sid: effect.sid,
      });
      return;
    case "disconnected":
      counters.reconnects.inc();
      options.logger.warn("WebSocket reconnected after an outage", {
        reason: effect.reason,
        failedAttempts: effect.failedAttempts,
        from: iso(effect.fromMs),
      });
      live.gaps.open("disconnect", effect.fromMs, {
        detail: { reason: effect.reason, failedAttempts: effect.failedAttempts },
      });
      live.books.disconnected(effect.fromMs, { reason: effect.reason });
      return;
    case "refused":
      return refused(run, effect);
  }
}

/** Refused handshakes in a row: a credentials problem that retrying will not fix. */
function refused(run: Run, effect: { status: number; attempts: number }): void {
  run.counters.authFailures.inc();
  const error = new WsAuthError(effect.status, effect.attempts, String(run.options.wsUrl));
  run.options.logger.error("WebSocket handshake refused: authentication problem", {
    status: effect.status,
    attempt: effect.attempts,
    detail: error.message,
  });
  if (effect.attempts >= (run.options.authFailureLimit ?? 3)) {
    run.fatal = error;
    run.stop.abort(error);
  }
}

/** Hands a gap to the pipeline, counts and logs it. */
function recordGap(run: Run, gap: GapRow | null): void {
  if (gap === null) return;
  run.pipeline.gap(gap);
  run.counters.gaps.inc({ reason: gap.reason });
  run.summary.gaps++;
  run.options.logger.warn("capture gap", {
    channel: gap.channel,
    reason: gap.reason,
    start: iso(gap.startMs),
    end: iso(gap.endMs),
    markets: gap.marketTickers?.length ?? "all",
  });
}

/** Stops the pipeline (flush or spool) and the new-market scheduler within `deadline`. */
async function finish(run: Run, deadline: AbortSignal): Promise<CaptureSummary> {
  const report = await run.pipeline.stop({ deadline });
  await run.spool.close();
  await run.newMarkets.close(deadline);
  run.counters.close();
  run.options.logger.info("capture stopped", {
    ...report,
    messages: run.summary.messages,
    gaps: run.summary.gaps,
  });
  return { sessionId: run.sessionId, ...report, ...run.summary };
}
