/**
 * The `kalshi` command line: `validate` recorded payloads, and `markets`, `events`, `candles`
 * reads that print JSON. Logic only; `services/kalshi_cli/main.ts` wires it to the process.
 */
import { z } from "zod";
import {
  choiceValue,
  type Command,
  ConfigError,
  type ConfigOf,
  defineCommand,
  intValue,
  listValue,
  parseCommandLine,
  setting,
  switchValue,
} from "../config/mod.ts";
import { createRateLimiter } from "./rate_limit.ts";
import { createRestClient, type KalshiRestClient, type MarketCandles } from "./rest.ts";
import { credentialsFromSettings, kalshiSettings } from "./settings.ts";
import { type LineOutcome, PAYLOAD_TYPES, validateText } from "./validate.ts";

/** Where the CLI reads and writes (injected by tests). */
export interface CliIo {
  /** Writes the command's output. */
  stdout(text: string): void;
  /** Writes errors. */
  stderr(text: string): void;
  /** Reads a file (payloads to validate). */
  readTextFile(path: string): Promise<string>;
  /** Environment lookup; variables without permission read as unset. */
  env(name: string): string | undefined;
  /** REST client factory (tests inject one bound to a local server). */
  restClient?: (config: KalshiRestSettings) => Promise<KalshiRestClient>;
}

/** The shared Kalshi settings a REST client is built from (every reading command has them). */
export interface KalshiRestSettings {
  /** REST base URL including /trade-api/v2. */
  kalshiRestUrl: URL;
  /** API key id; requests are signed when it and the key path are set. */
  kalshiApiKeyId?: string;
  /** PEM private key file of the API key. */
  kalshiPrivateKeyPath?: string;
  /** Read budget, requests per second. */
  kalshiReadsPerSecond: number;
  /** Read bucket capacity, in seconds of the read budget. */
  kalshiReadBurstSeconds: number;
}

/** `kalshi validate`. */
export const validateCommand = defineCommand({
  name: "kalshi validate",
  usage: "[--type <type>] <file> [<file>...]",
  summary: "Validates recorded Kalshi payloads: a JSON response or message, or NDJSON/JSONL of " +
    "many (recorder envelopes {recv_ms,event} and {fetched_at_ms,response} are unwrapped). The " +
    "type is detected unless --type is given. Payloads are held to the bounds live capture " +
    "applies (times within 2000-2200, exact integers and units, text PostgreSQL can store). " +
    "Exit 0 when every payload is valid or a well-formed message of a channel we do not " +
    "consume; 1 when any is invalid or not JSON; 2 on usage errors.",
  settings: {
    type: setting({
      env: "KALSHI_PAYLOAD_TYPE",
      flag: "type",
      schema: z.enum(PAYLOAD_TYPES as [string, ...string[]]).optional(),
      help: `payload type instead of detection: ${PAYLOAD_TYPES.join(", ")}`,
      expected: `one of ${PAYLOAD_TYPES.join(", ")}`,
    }),
  },
});

const limit = (max: number, def: number) =>
  setting({
    env: "KALSHI_CLI_LIMIT",
    flag: "limit",
    schema: intValue(1, max),
    default: String(def),
    help: `page size (1-${max})`,
  });

const maxPages = setting({
  env: "KALSHI_CLI_MAX_PAGES",
  flag: "max-pages",
  schema: intValue(1, 1_000_000),
  default: "1",
  help: "pages to read before stopping",
});

const raw = setting({
  env: "KALSHI_CLI_RAW",
  flag: "raw",
  type: "boolean",
  schema: switchValue(),
  help: "print Kalshi's payloads as received instead of the normalised form",
});

const seriesTicker = setting({
  env: "KALSHI_CLI_SERIES_TICKER",
  flag: "series-ticker",
  schema: z.string().min(1).optional(),
  help: "series ticker filter",
});

/** `kalshi markets`. */
export const marketsCommand = defineCommand({
  name: "kalshi markets",
  summary: "Lists markets (GET /markets, or /historical/markets with --historical) as JSON.",
  settings: {
    ...kalshiSettings,
    eventTicker: setting({
      env: "KALSHI_CLI_EVENT_TICKER",
      flag: "event-ticker",
      schema: z.string().min(1).optional(),
      help: "event ticker filter",
    }),
    seriesTicker,
    tickers: setting({
      env: "KALSHI_CLI_TICKERS",
      flag: "tickers",
      schema: listValue().optional(),
      help: "comma-separated market tickers",
    }),
    status: setting({
      env: "KALSHI_CLI_STATUS",
      flag: "status",
      schema: choiceValue(["unopened", "open", "paused", "closed", "settled"]).optional(),
      help: "market status filter",
    }),
    mveFilter: setting({
      env: "KALSHI_CLI_MVE_FILTER",
      flag: "mve-filter",
      schema: choiceValue(["only", "exclude"]).optional(),
      help: "multivariate (combo) markets: only or exclude",
    }),
    historical: setting({
      env: "KALSHI_CLI_HISTORICAL",
      flag: "historical",
      type: "boolean",
      schema: switchValue(),
      help: "read the historical tier (markets settled before the cutoff)",
    }),
    limit: limit(1000, 100),
    maxPages,
    raw,
  },
});

/** `kalshi events`. */
export const eventsCommand = defineCommand({
  name: "kalshi events",
  usage: "[options] [<event ticker>]",
  summary: "Lists events (GET /events) as JSON, or prints one event with its markets when an " +
    "event ticker is given.",
  settings: {
    ...kalshiSettings,
    seriesTicker,
    status: setting({
      env: "KALSHI_CLI_STATUS",
      flag: "status",
      schema: choiceValue(["unopened", "open", "closed", "settled"]).optional(),
      help: "event status filter (matches events with any such market)",
    }),
    withNestedMarkets: setting({
      env: "KALSHI_CLI_WITH_NESTED_MARKETS",
      flag: "with-nested-markets",
      type: "boolean",
      schema: switchValue(),
      help: "include each event's markets",
    }),
    limit: limit(200, 200),
    maxPages,
    raw,
  },
});

const timeValue = z.string().transform((text, ctx) => {
  if (/^\d+$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: "Unix seconds or an RFC 3339 date-time" });
    return z.NEVER;
  }
  return Math.floor(ms / 1000);
});

/** `kalshi candles`. */
export const candlesCommand = defineCommand({
  name: "kalshi candles",
  usage: "--start <time> --end <time> [options] <market ticker> [<market ticker>...]",
  summary: "Prints candlesticks as JSON: one market via /series/{s}/markets/{t}/candlesticks " +
    "(series looked up when --series-ticker is absent), several via the batch endpoint, or the " +
    "historical tier with --historical.",
  settings: {
    ...kalshiSettings,
    seriesTicker,
    start: setting({
      env: "KALSHI_CLI_START",
      flag: "start",
      schema: timeValue,
      help: "window start (Unix seconds or RFC 3339)",
      expected: "Unix seconds or an RFC 3339 date-time",
    }),
    end: setting({
      env: "KALSHI_CLI_END",
      flag: "end",
      schema: timeValue,
      help: "window end, inclusive (Unix seconds or RFC 3339)",
      expected: "Unix seconds or an RFC 3339 date-time",
    }),
    period: setting({
      env: "KALSHI_CLI_PERIOD",
      flag: "period",
      schema: choiceValue(["1", "60", "1440"]),
      default: "60",
      help: "candle period in minutes",
    }),
    historical: setting({
      env: "KALSHI_CLI_HISTORICAL",
      flag: "historical",
      type: "boolean",
      schema: switchValue(),
      help: "use /historical/markets/{t}/candlesticks",
    }),
    raw,
  },
});

const SUBCOMMANDS: Record<string, Command> = {
  validate: validateCommand,
  markets: marketsCommand,
  events: eventsCommand,
  candles: candlesCommand,
};

/** Top-level help text. */
export const CLI_HELP = [
  "Usage: kalshi <command> [options]",
  "",
  "Commands:",
  "  validate <file>...   validate recorded Kalshi payloads (JSON, NDJSON, JSONL)",
  "  markets              list markets as JSON",
  "  events [<ticker>]    list events, or show one event with its markets",
  "  candles <ticker>...  print candlesticks as JSON",
  "  book <ticker> --at T the stored order book at an instant (reads DATABASE_URL)",
  "",
  "Run 'kalshi <command> --help' for a command's options.",
].join("\n");

function strip<T extends { raw: unknown }>(item: T, raw: boolean): unknown {
  if (raw) return item.raw;
  const { raw: _raw, ...rest } = item;
  return rest;
}

function summarise(file: string, outcomes: LineOutcome[], io: CliIo): boolean {
  const counts = { valid: 0, unsupported: 0, invalid: 0 };
  const skipped = new Map<string, number>();
  for (const o of outcomes) {
    counts[o.status]++;
    if (o.status === "unsupported") skipped.set(o.type, (skipped.get(o.type) ?? 0) + 1);
    if (o.status === "invalid") {
      const where = o.line === null ? file : `${file}:${o.line}`;
      for (const error of o.errors) io.stdout(`INVALID ${where} (${o.type}): ${error}`);
    }
  }
  const types = [...new Set(outcomes.filter((o) => o.status === "valid").map((o) => o.type))];
  const parts = [`${counts.valid} valid${types.length ? ` (${types.join(", ")})` : ""}`];
  if (counts.unsupported > 0) {
    const list = [...skipped].map(([t, n]) => `${t} ×${n}`).join(", ");
    parts.push(`${counts.unsupported} unsupported, skipped (${list})`);
  }
  parts.push(`${counts.invalid} invalid`);
  io.stdout(
    `${counts.invalid === 0 ? "ok" : "FAIL"} ${file}: ${outcomes.length} payload(s): ${
      parts.join(", ")
    }`,
  );
  return counts.invalid === 0;
}

async function runValidate(config: ConfigOf<typeof validateCommand>, files: string[], io: CliIo) {
  if (files.length === 0) {
    io.stderr("kalshi validate: no file given. Run 'kalshi validate --help'.");
    return 2;
  }
  let allValid = true;
  for (const file of files) {
    let text: string;
    try {
      text = await io.readTextFile(file);
    } catch (error) {
      io.stderr(`kalshi validate: cannot read ${file}: ${(error as Error).message}`);
      return 2;
    }
    allValid = summarise(file, validateText(text, { type: config.type }), io) && allValid;
  }
  return allValid ? 0 : 1;
}

async function defaultRestClient(config: KalshiRestSettings): Promise<KalshiRestClient> {
  return createRestClient({
    baseUrl: config.kalshiRestUrl,
    credentials: await credentialsFromSettings(config),
    limiter: createRateLimiter({
      ratePerSecond: config.kalshiReadsPerSecond,
      burst: config.kalshiReadsPerSecond * config.kalshiReadBurstSeconds,
    }),
  });
}

async function runMarkets(config: ConfigOf<typeof marketsCommand>, io: CliIo): Promise<number> {
  const client = await (io.restClient ?? defaultRestClient)(config);
  const query = {
    limit: config.limit,
    eventTicker: config.eventTicker,
    seriesTicker: config.seriesTicker,
    tickers: config.tickers,
  };
  const walk = config.historical
    ? client.iterateHistoricalMarkets(
      { ...query, mveFilter: config.mveFilter === "exclude" ? "exclude" : undefined },
      { maxPages: config.maxPages },
    )
    : client.iterateMarkets(
      { ...query, status: config.status, mveFilter: config.mveFilter },
      { maxPages: config.maxPages },
    );
  const out: unknown[] = [];
  for await (const market of walk) out.push(strip(market, config.raw));
  io.stdout(JSON.stringify(out, null, 2));
  return 0;
}

async function runEvents(
  config: ConfigOf<typeof eventsCommand>,
  positionals: string[],
  io: CliIo,
): Promise<number> {
  const client = await (io.restClient ?? defaultRestClient)(config);
  if (positionals.length > 0) {
    const { event, markets } = await client.getEvent(positionals[0], { withNestedMarkets: true });
    io.stdout(JSON.stringify(
      {
        event: strip({ ...event, markets: [] }, config.raw),
        markets: markets.map((m) => strip(m, config.raw)),
      },
      null,
      2,
    ));
    return 0;
  }
  const out: unknown[] = [];
  const walk = client.iterateEvents({
    limit: config.limit,
    seriesTicker: config.seriesTicker,
    status: config.status,
    withNestedMarkets: config.withNestedMarkets,
  }, { maxPages: config.maxPages });
  for await (const event of walk) {
    out.push(
      config.raw
        ? event.raw
        : { ...strip(event, false) as object, markets: event.markets.map((m) => strip(m, false)) },
    );
  }
  io.stdout(JSON.stringify(out, null, 2));
  return 0;
}

async function runCandles(
  config: ConfigOf<typeof candlesCommand>,
  tickers: string[],
  io: CliIo,
): Promise<number> {
  if (tickers.length === 0) {
    io.stderr("kalshi candles: no market ticker given. Run 'kalshi candles --help'.");
    return 2;
  }
  const client = await (io.restClient ?? defaultRestClient)(config);
  const query = {
    startTs: config.start,
    endTs: config.end,
    periodInterval: Number(config.period) as 1 | 60 | 1440,
  };
  let result: MarketCandles[];
  if (config.historical) {
    result = [];
    for (const t of tickers) result.push(await client.getHistoricalCandlesticks(t, query));
  } else if (tickers.length > 1) {
    result = await client.getBatchCandlesticks(tickers, query);
  } else {
    let series = config.seriesTicker;
    if (series === undefined) {
      const market = await client.getMarket(tickers[0]);
      series = (await client.getEvent(market.eventTicker)).event.seriesTicker;
    }
    result = [
      await client.getMarketCandlesticks({ seriesTicker: series, ticker: tickers[0] }, query),
    ];
  }
  io.stdout(JSON.stringify(
    result.map((r) => ({
      ticker: r.ticker,
      candlesticks: r.candlesticks.map((c) => strip(c, config.raw)),
    })),
    null,
    2,
  ));
  return 0;
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 invalid data / failure, 2 usage). */
export async function runKalshiCli(args: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout)(CLI_HELP);
    return name === undefined ? 2 : 0;
  }
  const command = SUBCOMMANDS[name];
  if (command === undefined) {
    io.stderr(`kalshi: unknown command "${name}".\n\n${CLI_HELP}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseCommandLine(command, { args: rest, env: io.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${command.name}: ${error.message}\nRun '${command.name} --help' for its options.`);
      return 2;
    }
    throw error;
  }
  if (parsed.help) {
    io.stdout(parsed.text);
    return 0;
  }
  try {
    switch (name) {
      case "validate":
        return await runValidate(
          parsed.config as ConfigOf<typeof validateCommand>,
          parsed.positionals,
          io,
        );
      case "markets":
        return await runMarkets(parsed.config as ConfigOf<typeof marketsCommand>, io);
      case "events":
        return await runEvents(
          parsed.config as ConfigOf<typeof eventsCommand>,
          parsed.positionals,
          io,
        );
      default:
        return await runCandles(
          parsed.config as ConfigOf<typeof candlesCommand>,
          parsed.positionals,
          io,
        );
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${command.name}: ${error.message}`);
      return 2;
    }
    io.stderr(`${command.name}: ${(error as Error).message}`);
    return 1;
  }
}

/** Reads an environment variable only when the process may (unset otherwise, never a prompt). */
export function permittedEnv(name: string): string | undefined {
  const state = Deno.permissions.querySync({ name: "env", variable: name }).state;
  return state === "granted" ? Deno.env.get(name) : undefined;
}
