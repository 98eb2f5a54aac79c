/** ws_service's command line: Kalshi WebSocket, database, scope, spool folder, capture tuning. */
import { z } from "zod";
import {
  choiceValue,
  type Command,
  defineCommand,
  intValue,
  type Setting,
  setting,
  switchValue,
} from "../config/mod.ts";
import type { LogLevel } from "../log/mod.ts";
import {
  kalshiApiKeyId,
  kalshiClock,
  kalshiPrivateKeyPath,
  kalshiReadsPerSecond,
  kalshiRestUrl,
  kalshiWsUrl,
} from "../kalshi/mod.ts";
import { scopeSettings } from "../scope/mod.ts";
import {
  ORDERBOOK_SCOPE_EXPECTED,
  type OrderbookScope,
  parseOrderbookScope,
} from "../capture/mod.ts";
import {
  databaseUrl,
  logLevel,
  metricsHost,
  metricsPort,
  POSTGRES_LIBRARY_ENV,
  shutdownMs,
} from "./shared.ts";

/** `WS_ORDERBOOK_SCOPE` text → the order-book scope (see {@linkcode parseOrderbookScope}). */
function orderbookScopeValue(): z.ZodType<OrderbookScope> {
  return z.string().trim().transform((text, ctx) => {
    try {
      return parseOrderbookScope(text);
    } catch (error) {
      ctx.addIssue({ code: "custom", input: text, message: (error as Error).message });
      return z.NEVER;
    }
  });
}

/** `WS_SPOOL_DIR`: ws_service's on-disk spool (also measured by `status`, read-only there). */
export const wsSpoolDir: Setting<string> = setting({
  env: "WS_SPOOL_DIR",
  flag: "spool-dir",
  schema: z.string().min(1),
  default: ".spool/ws",
  help: "folder of the on-disk spool (batches waiting for the database)",
  expected: "a writable folder path",
  access: "write",
});

/** `ws_service`: live capture of ticker, trade, order-book and lifecycle messages into PostgreSQL. */
export const wsServiceCommand: Command<
  typeof scopeSettings & {
    databaseUrl: Setting<URL>;
    kalshiWsUrl: Setting<URL>;
    kalshiRestUrl: Setting<URL>;
    kalshiReadsPerSecond: Setting<number>;
    kalshiApiKeyId: Setting<string | undefined>;
    kalshiPrivateKeyPath: Setting<string | undefined>;
    kalshiClock: Setting<"system" | "server">;
    logLevel: Setting<LogLevel>;
    metricsPort: Setting<number | undefined>;
    metricsHost: Setting<string>;
    shutdownMs: Setting<number>;
    spoolDir: Setting<string>;
    spoolFsync: Setting<"on" | "off">;
    instance: Setting<string>;
    allowUnsigned: Setting<boolean>;
    refreshMs: Setting<number>;
    tickerStaleMs: Setting<number>;
    readyMaxSilenceSeconds: Setting<number>;
    readyMaxSpoolGrowingSeconds: Setting<number>;
    orderbookScope: Setting<OrderbookScope>;
    orderbookCheckpointSeconds: Setting<number>;
    maxBatchRows: Setting<number>;
    flushIntervalMs: Setting<number>;
    maxBufferRows: Setting<number>;
  }
> = defineCommand({
  name: "ws_service",
  summary: "Subscribes Kalshi's WebSocket for the open and about-to-open markets in scope " +
    "(ticker, trade, and orderbook_delta for those in WS_ORDERBOOK_SCOPE) and every lifecycle " +
    "message, and writes them to PostgreSQL in batches, " +
    "exactly once, spooling to disk while the database is unreachable and recording every " +
    "span in which messages may have been missed in capture_gaps. Markets first met through a " +
    "lifecycle message are fetched from REST and get their backfill jobs scheduled.",
  settings: {
    databaseUrl,
    kalshiWsUrl,
    kalshiRestUrl,
    kalshiReadsPerSecond,
    kalshiApiKeyId,
    kalshiPrivateKeyPath,
    kalshiClock,
    ...scopeSettings,
    logLevel,
    metricsPort,
    metricsHost,
    shutdownMs,
    spoolDir: wsSpoolDir,
    spoolFsync: setting({
      env: "WS_SPOOL_FSYNC",
      flag: "spool-fsync",
      schema: choiceValue(["on", "off"]),
      default: "on",
      help: "flush every spool append to disk with fsync (off: faster on slow shared " +
        "filesystems, but a machine crash may lose the last spooled batches)",
    }),
    instance: setting({
      env: "WS_INSTANCE",
      flag: "instance",
      schema: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
      default: "default",
      help: "name of this capture instance (its resume point in ingest_state ws.session)",
      expected: "letters, digits, '_', '.', '-' (at most 64)",
    }),
    allowUnsigned: setting({
      env: "KALSHI_WS_ALLOW_UNSIGNED",
      flag: "allow-unsigned",
      type: "boolean",
      schema: switchValue(),
      help: "connect without credentials to a non-loopback host (a simulator elsewhere); " +
        "real Kalshi always refuses unsigned handshakes",
    }),
    refreshMs: setting({
      env: "WS_REFRESH_MS",
      flag: "refresh-ms",
      schema: intValue(100, 3_600_000),
      default: "30000",
      help: "how often the watched market set is re-read from the database",
      expected: "milliseconds from 100 to 3600000",
    }),
    tickerStaleMs: setting({
      env: "WS_TICKER_STALE_MS",
      flag: "ticker-stale-ms",
      schema: intValue(0, 3_600_000),
      default: "120000",
      help: "reconnect when the ticker channel is silent this long while markets are watched " +
        "(0 disables)",
      expected: "milliseconds from 0 to 3600000",
    }),
    readyMaxSilenceSeconds: setting({
      env: "WS_READY_MAX_SILENCE_SECONDS",
      flag: "ready-max-silence",
      schema: intValue(10, 86_400),
      default: "300",
      help: "/readyz answers 503 after this many seconds without a data message while watched " +
        "markets are open",
    }),
    readyMaxSpoolGrowingSeconds: setting({
      env: "WS_READY_MAX_SPOOL_GROWING_SECONDS",
      flag: "ready-max-spool-growing",
      schema: intValue(10, 7 * 86_400),
      default: "600",
      help:
        "/readyz answers 503 once the on-disk spool has grown this many seconds without draining",
    }),
    orderbookScope: setting({
      env: "WS_ORDERBOOK_SCOPE",
      flag: "orderbook-scope",
      schema: orderbookScopeValue(),
      default: "top:200",
      help: "watched markets whose order book is captured (orderbook_delta): all, none, " +
        "series:A,B, or top:N (the N with the highest 24-hour volume)",
      expected: ORDERBOOK_SCOPE_EXPECTED,
    }),
    orderbookCheckpointSeconds: setting({
      env: "WS_ORDERBOOK_CHECKPOINT_SECONDS",
      flag: "orderbook-checkpoint",
      schema: intValue(10, 86_400),
      default: "300",
      help: "every this many seconds, each order book that changed is stored whole (a " +
        "checkpoint: a rebuild starts from the nearest one)",
      expected: "seconds from 10 to 86400",
    }),
    maxBatchRows: setting({
      env: "WS_BATCH_ROWS",
      flag: "batch-rows",
      schema: intValue(1, 100_000),
      default: "5000",
      help: "rows per database batch",
      expected: "an integer from 1 to 100000",
    }),
    flushIntervalMs: setting({
      env: "WS_FLUSH_MS",
      flag: "flush-ms",
      schema: intValue(10, 60_000),
      default: "250",
      help: "a batch is written after at most this many ms",
      expected: "milliseconds from 10 to 60000",
    }),
    maxBufferRows: setting({
      env: "WS_BUFFER_ROWS",
      flag: "buffer-rows",
      schema: intValue(1000, 10_000_000),
      default: "200000",
      help: "rows kept in memory while the database lags; beyond, batches go to the spool",
      expected: "an integer from 1000 to 10000000",
    }),
  },
  extraEnv: POSTGRES_LIBRARY_ENV,
  database: true,
});
