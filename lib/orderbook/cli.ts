/**
 * `kalshi book TICKER --at ISO-8601 [--json]`: prints a stored order book rebuilt at an instant,
 * as a table or in Kalshi's REST shape. Reads `DATABASE_URL`; writes nothing.
 * @module
 */
import { z } from "zod";
import {
  ConfigError,
  type ConfigOf,
  defineCommand,
  parseCommandLine,
  setting,
  switchValue,
} from "../config/mod.ts";
import { databaseUrl, POSTGRES_LIBRARY_ENV } from "../commands/mod.ts";
import { createPool } from "../db/mod.ts";
import { countUnitsToFixedPoint, priceUnitsToDollars } from "../kalshi/mod.ts";
import { type OrderBook, orderbookJson } from "./book.ts";
import { bookAt } from "./rebuild.ts";

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const TICKER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const AT_EXPECTED = "an ISO 8601 date-time with a zone, e.g. 2026-03-01T15:04:05Z";

/** An ISO 8601 instant with an explicit zone (a local time would be ambiguous). */
export const instantValue: z.ZodType<Date, string> = z.string().transform((text, ctx) => {
  const ms = ISO_INSTANT.test(text) ? Date.parse(text) : NaN;
  // Date.parse rolls Feb 30 into March: the day must survive; PostgreSQL starts at year 1.
  const day = text.slice(0, 10);
  const dayMs = Date.parse(`${day}T00:00:00Z`);
  const real = !Number.isNaN(dayMs) && new Date(dayMs).toISOString().startsWith(day);
  if (Number.isNaN(ms) || !real || new Date(ms).getUTCFullYear() < 1) {
    ctx.addIssue({ code: "custom", message: AT_EXPECTED });
    return z.NEVER;
  }
  return new Date(ms);
});

/** `kalshi book`. */
const bookCommand = defineCommand({
  name: "kalshi book",
  usage: "--at <ISO-8601> [--json] <market ticker>",
  summary: "Prints the stored order book of a market at an instant: the nearest snapshot or " +
    "checkpoint at or before it plus every delta since, in order. --json prints Kalshi's REST " +
    'shape {"orderbook_fp":{"yes_dollars":[[price,size],…],"no_dollars":[…]}}, ascending (best ' +
    "last). Exit 0 printed, 1 no such market or no book at that time, 2 usage error.",
  settings: {
    databaseUrl,
    at: setting({
      env: "KALSHI_BOOK_AT",
      flag: "at",
      schema: instantValue,
      help: "the instant (ISO 8601 with a zone)",
      expected: AT_EXPECTED,
    }),
    json: setting({
      env: "KALSHI_BOOK_JSON",
      flag: "json",
      type: "boolean",
      schema: switchValue(),
      help: "print Kalshi's REST order-book JSON instead of the table",
    }),
  },
  extraEnv: POSTGRES_LIBRARY_ENV,
});

/** Where the command reads and writes (injected by tests). */
export interface BookIo {
  /** Writes the command's output. */
  stdout(text: string): void;
  /** Writes errors. */
  stderr(text: string): void;
  /** Environment lookup; variables without permission read as unset. */
  env(name: string): string | undefined;
}

/** The book as a table: each side best first, then the top of book. */
export function bookTable(book: OrderBook): string {
  const lines: string[] = [];
  for (const side of ["yes", "no"] as const) {
    const levels = book.levels(side).reverse();
    lines.push(`${side.toUpperCase()} bids (${levels.length} levels, best first)`);
    for (const [p, s] of levels) {
      lines.push(`  ${priceUnitsToDollars(p)}  ${countUnitsToFixedPoint(s).padStart(14)}`);
    }
  }
  const bid = book.bestBid("yes");
  const ask = book.bestAsk("yes");
  const show = (l: { price: number; size: number } | null) =>
    l === null ? "none" : `${priceUnitsToDollars(l.price)} × ${countUnitsToFixedPoint(l.size)}`;
  lines.push(`YES bid ${show(bid)}, YES ask ${show(ask)}${book.crossed() ? " (CROSSED)" : ""}`);
  return lines.join("\n");
}

async function printBook(
  config: ConfigOf<typeof bookCommand>,
  ticker: string,
  io: BookIo,
): Promise<number> {
  const sql = createPool(config.databaseUrl.href, { max: 1, connectTimeoutSeconds: 10 });
  try {
    const at = config.at.toISOString();
    const result = await bookAt(sql, ticker, config.at);
    if (result.status === "unknown_market") {
      io.stderr(
        `kalshi book: no order book of market ${ticker} is stored (check the ticker, ` +
          `and that order books are captured for it).`,
      );
      return 1;
    }
    if (result.status === "no_data") {
      io.stderr(
        `kalshi book: no order-book snapshot of ${ticker} at or before ${at}: ` +
          `give a later --at.`,
      );
      return 1;
    }
    for (const r of result.refused) {
      io.stderr(
        `kalshi book: warning: stored delta ${r.delta} at ${r.side} ` +
          `${priceUnitsToDollars(r.price)} (${new Date(r.tsMs).toISOString()}) would leave a ` +
          `negative size (${r.size} resting); skipped.`,
      );
    }
    if (config.json) io.stdout(JSON.stringify(orderbookJson(result.book)));
    else {
      const from = new Date(result.snapshot.tsMs).toISOString();
      io.stdout(
        `${ticker} at ${at} (${result.snapshot.kind} snapshot of ${from} + ` +
          `${result.deltas} deltas)\n${bookTable(result.book)}`,
      );
    }
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Runs `kalshi book`; resolves to the exit code (0 printed, 1 nothing to print or failure, 2 usage). */
export async function runBookCli(args: readonly string[], io: BookIo): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(bookCommand, { args, env: io.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`kalshi book: ${error.message}\nRun 'kalshi book --help' for its options.`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(parsed.text);
    return 0;
  }
  const [ticker, ...extra] = parsed.positionals;
  if (ticker === undefined || extra.length > 0 || !TICKER.test(ticker)) {
    io.stderr(
      `kalshi book: give exactly one market ticker (letters, digits, '-', '.', '_'; ` +
        `got ${JSON.stringify(parsed.positionals.join(" "))}). Run 'kalshi book --help'.`,
    );
    return 2;
  }
  try {
    return await printBook(parsed.config, ticker, io);
  } catch (error) {
    io.stderr(`kalshi book: ${(error as Error).message}`);
    return 1;
  }
}
