/** The simulator's command line: `deno task sim --port N --markets N --seed N …` (settings, `--help`). */
import { z } from "zod";
import { type FaultConfig, FaultConfigSchema } from "./faults.ts";
import {
  choiceValue,
  type Command,
  defineCommand,
  intValue,
  portValue,
  positiveNumberValue,
  type Setting,
  setting,
  switchValue,
} from "../../config/mod.ts";
import type { LogLevel } from "../../log/mod.ts";

const faultsValue = z.string().transform((text, ctx) => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: "custom", message: "JSON fault switches" });
    return z.NEVER;
  }
  const r = FaultConfigSchema.safeParse(value);
  if (!r.success) {
    ctx.addIssue({ code: "custom", message: `fault switches: ${r.error.issues[0]?.message}` });
    return z.NEVER;
  }
  return r.data;
});

const rfc3339Value = z.string().transform((text, ctx) => {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\dT/.test(text) || Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: "an RFC 3339 time such as 2026-11-25T12:00:00Z" });
    return z.NEVER;
  }
  return ms;
});

const shareValue = z.string().transform((text, ctx) => {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(n >= 0 && n <= 0.9)) {
    ctx.addIssue({ code: "custom", message: "a fraction from 0 to 0.9" });
    return z.NEVER;
  }
  return n;
});

/** `sim`: a faithful, seeded Kalshi exchange (REST + WebSocket) on one port. */
export const simCommand: Command<{
  port: Setting<number>;
  hostname: Setting<string>;
  markets: Setting<number>;
  seed: Setting<number>;
  speed: Setting<number>;
  pauseClock: Setting<boolean>;
  startTime: Setting<number | undefined>;
  historyDays: Setting<number>;
  futureDays: Setting<number>;
  cutoffLagDays: Setting<number>;
  comboShare: Setting<number>;
  rateLimit: Setting<number | undefined>;
  authPublicKey: Setting<string | undefined>;
  authRequireRest: Setting<boolean>;
  groundTruthDir: Setting<string | undefined>;
  groundTruthMemory: Setting<boolean>;
  faults: Setting<FaultConfig | undefined>;
  logLevel: Setting<LogLevel>;
}> = defineCommand({
  name: "sim",
  summary: "Serves a deterministic simulated Kalshi exchange: REST under /trade-api/v2 and the " +
    "WebSocket at /trade-api/ws/v2 on one port, with a seeded world of series, events and markets " +
    "whose prices move, trade and settle; control routes under /_sim/ (ground-truth, faults, clock).",
  settings: {
    port: setting({
      env: "SIM_PORT",
      flag: "port",
      schema: portValue(),
      default: "8765",
      help: "port to listen on (0 = a free port; the URL is logged)",
      access: "listen",
    }),
    hostname: setting({
      env: "SIM_HOSTNAME",
      flag: "hostname",
      schema: z.string().min(1),
      default: "127.0.0.1",
      help: "address to listen on",
    }),
    markets: setting({
      env: "SIM_MARKETS",
      flag: "markets",
      schema: intValue(1, 2_000_000),
      default: "200",
      help: "number of markets in the world",
    }),
    seed: setting({
      env: "SIM_SEED",
      flag: "seed",
      schema: intValue(0, 4_294_967_295),
      default: "1",
      help: "seed of the world and of fault injection",
    }),
    speed: setting({
      env: "SIM_SPEED",
      flag: "speed",
      schema: positiveNumberValue(1_000_000),
      default: "1",
      help: "simulated seconds per real second",
    }),
    pauseClock: setting({
      env: "SIM_PAUSE_CLOCK",
      flag: "pause-clock",
      type: "boolean",
      schema: switchValue(),
      help: "freeze the clock: nothing changes (idempotency tests); POST /_sim/clock advances it",
    }),
    startTime: setting({
      env: "SIM_START_TIME",
      flag: "start-time",
      schema: rfc3339Value.optional(),
      help: "simulated start time (RFC 3339); default: the real time now",
    }),
    historyDays: setting({
      env: "SIM_HISTORY_DAYS",
      flag: "history-days",
      schema: intValue(1, 3650),
      default: "14",
      help: "how far back settled history reaches, days",
    }),
    futureDays: setting({
      env: "SIM_FUTURE_DAYS",
      flag: "future-days",
      schema: intValue(1, 365),
      default: "2",
      help: "how far ahead future markets open, days",
    }),
    cutoffLagDays: setting({
      env: "SIM_CUTOFF_LAG_DAYS",
      flag: "cutoff-lag-days",
      schema: intValue(0, 3650),
      default: "7",
      help: "historical cutoff lag behind the clock, days",
    }),
    comboShare: setting({
      env: "SIM_COMBO_SHARE",
      flag: "combo-share",
      schema: shareValue,
      default: "0",
      help: "fraction (0..0.9) of events served as multivariate combo (KXMVE…) events",
    }),
    rateLimit: setting({
      env: "SIM_RATE_LIMIT",
      flag: "rate-limit",
      schema: positiveNumberValue(1_000_000).optional(),
      help: "enforce this many REST requests per second (429 beyond); off when unset",
    }),
    authPublicKey: setting({
      env: "SIM_AUTH_PUBLIC_KEY_FILE",
      flag: "auth-public-key",
      schema: z.string().min(1).optional(),
      help:
        "PEM public key file: check KALSHI-ACCESS-* signatures (WebSocket always, REST when signed)",
      access: "read",
    }),
    authRequireRest: setting({
      env: "SIM_AUTH_REQUIRE_REST",
      flag: "auth-require-rest",
      type: "boolean",
      schema: switchValue(),
      help: "with --auth-public-key: refuse unsigned REST requests too",
    }),
    groundTruthDir: setting({
      env: "SIM_GROUND_TRUTH_DIR",
      flag: "ground-truth-dir",
      schema: z.string().min(1).optional(),
      help: "write emitted.ndjson, ws.ndjson and rest.ndjson into this folder",
      access: "write",
    }),
    groundTruthMemory: setting({
      env: "SIM_GROUND_TRUTH_MEMORY",
      flag: "ground-truth-memory",
      type: "boolean",
      schema: switchValue(),
      help: "keep the ground truth in memory and serve it at GET /_sim/ground-truth",
    }),
    faults: setting({
      env: "SIM_FAULTS",
      flag: "faults",
      schema: faultsValue.optional(),
      help: 'initial fault switches as JSON, e.g. {"serverErrors":{"probability":0.01,"burst":3}}',
    }),
    logLevel: setting({
      env: "LOG_LEVEL",
      flag: "log-level",
      schema: choiceValue(["debug", "info", "warn", "error"]),
      default: "info",
      help: "lowest level written to the JSON log on stderr",
    }),
  },
});
