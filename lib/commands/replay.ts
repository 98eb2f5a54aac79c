/** The replay's command line: `deno task replay --port P --from TIME --to TIME [--speed X] …`. */
import { z } from "zod";
import {
  choiceValue,
  type Command,
  defineCommand,
  intValue,
  ipAddressValue,
  listValue,
  portValue,
  type Setting,
  setting,
} from "../config/mod.ts";
import type { LogLevel } from "../log/mod.ts";
import { archiveDir, DUCKDB_FFI_FLAG } from "./archive.ts";
import { databaseUrl, logLevel, POSTGRES_LIBRARY_ENV } from "./shared.ts";

/** `YYYY-MM-DD` as the calendar reads it back (a day that does not exist comes back different). */
function realDay(day: string): string | null {
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString().slice(0, 10);
}

/** An RFC 3339 instant, as Unix ms. */
function instantValue(): z.ZodType<number> {
  const expected = "an RFC 3339 time such as 2026-11-25T12:00:00Z";
  return z.string({ message: expected }).transform((text, ctx) => {
    const ms = Date.parse(text);
    // Date.parse rolls a day that does not exist (Feb 30) into the next month: refuse it.
    const day = text.slice(0, 10);
    if (
      !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text) || !(ms >= 0) ||
      realDay(day) !== day
    ) {
      ctx.addIssue({ code: "custom", message: expected });
      return z.NEVER;
    }
    return ms;
  });
}

/** A replay speed: 0 (as fast as the client reads) or a factor up to 1,000,000. */
function speedValue(): z.ZodType<number> {
  const expected = "0 (as fast as the client reads) or a factor such as 1 or 60, up to 1000000";
  return z.string({ message: expected }).transform((text, ctx) => {
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(n >= 0 && n <= 1_000_000)) {
      ctx.addIssue({ code: "custom", message: expected });
      return z.NEVER;
    }
    return n;
  });
}

/** `replay`: stored history served back as Kalshi's WebSocket. */
export const replayCommand: Command<{
  databaseUrl: Setting<URL>;
  port: Setting<number>;
  hostname: Setting<string>;
  from: Setting<number | undefined>;
  to: Setting<number | undefined>;
  speed: Setting<number>;
  markets: Setting<string[] | undefined>;
  source: Setting<"db" | "archive">;
  archiveDir: Setting<string>;
  maxClients: Setting<number>;
  quietMs: Setting<number>;
  logLevel: Setting<LogLevel>;
}> = defineCommand({
  name: "replay",
  summary: "Serves a stored window of captured history as Kalshi's own WebSocket at " +
    "/trade-api/ws/v2: subscribe / update_subscription / unsubscribe / list_subscriptions with " +
    "Kalshi's replies and sid/seq, then the window's ticker, trade, lifecycle and order-book messages in " +
    "exchange-time order, and a documented replay_gap message where the capture recorded a gap. " +
    "Each connection's replay time starts once its commands have been quiet for --quiet-ms.",
  settings: {
    databaseUrl,
    port: setting({
      env: "REPLAY_PORT",
      flag: "port",
      schema: portValue(),
      default: "8766",
      help: "port to listen on (0 = a free port; the URL is logged)",
      access: "listen",
    }),
    hostname: setting({
      env: "REPLAY_HOSTNAME",
      flag: "hostname",
      schema: ipAddressValue(),
      default: "127.0.0.1",
      help: "address to listen on",
      access: "host",
    }),
    from: setting({
      env: "REPLAY_FROM",
      flag: "from",
      schema: instantValue().optional(),
      help: "window start (RFC 3339), inclusive; required",
    }),
    to: setting({
      env: "REPLAY_TO",
      flag: "to",
      schema: instantValue().optional(),
      help: "window end (RFC 3339), exclusive; required",
    }),
    speed: setting({
      env: "REPLAY_SPEED",
      flag: "speed",
      schema: speedValue(),
      default: "1",
      help: "replay seconds per real second: 1 real time, 0 as fast as the client reads",
    }),
    markets: setting({
      env: "REPLAY_MARKETS",
      flag: "markets",
      schema: listValue().optional(),
      help: "only these market tickers (comma-separated); default every market",
    }),
    source: setting({
      env: "REPLAY_SOURCE",
      flag: "source",
      schema: choiceValue(["db", "archive"]),
      default: "db",
      // Only an archive replay loads DuckDB's addon (the grant names only that folder).
      grants: (value) => value === "archive" ? { flags: [DUCKDB_FFI_FLAG] } : {},
      help: "where messages are read: db (the live database) or archive (the Parquet archive in " +
        "ARCHIVE_DIR, so days dropped by retention still replay; it holds no capture gaps). The " +
        "REST side reads the database's catalog either way",
    }),
    archiveDir: {
      ...archiveDir,
      access: "read" as const,
      help: "the archive folder read with --source archive",
    },
    maxClients: setting({
      env: "REPLAY_MAX_CLIENTS",
      flag: "max-clients",
      schema: intValue(1, 16),
      default: "6",
      help: "most WebSocket clients at once; one more is refused with 503 and Retry-After. The " +
        "replay's database pool holds 6 connections per client (a cursor per stored channel and " +
        "one for order-book rebuilds) plus 4",
      expected: "a whole number from 1 to 16",
    }),
    quietMs: setting({
      env: "REPLAY_QUIET_MS",
      flag: "quiet-ms",
      schema: intValue(10, 60_000),
      default: "500",
      help: "a connection's replay starts once its commands have been quiet this long, ms",
      expected: "milliseconds from 10 to 60000",
    }),
    logLevel,
  },
  extraEnv: POSTGRES_LIBRARY_ENV,
  database: true,
});
