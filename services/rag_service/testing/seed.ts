/**
 * Deterministic test data for rag_service, written with plain SQL through a {@linkcode SqlRunner}
 * (so PostgreSQL and PGlite get the same rows): series, events, markets (most settled), hourly
 * candles and lifecycle messages. Three kinds of market with different base rates make retrieval
 * informative; prices drift towards the outcome so the market price is informative too.
 * @module
 */
import type { SqlRunner } from "../sql_runner.ts";

const HOUR = 3_600_000;

/** A seeded market, as the tests need to know it. */
export interface SeededMarket {
  ticker: string;
  kind: number;
  openTime: Date;
  closeTime: Date;
  /** Settlement time; null for markets still open at the end of the world. */
  settledAt: Date | null;
  result: "yes" | "no" | null;
}

/** Options of {@linkcode seedWorld}. */
export interface SeedOptions {
  /** Markets to create, one listed per `spacingHours`. */
  markets: number;
  /** Listing time of the first market. */
  start: Date;
  /** Hours between listings; default 2. */
  spacingHours?: number;
  /** Hours a market trades; default 48. */
  lifeHours?: number;
  /** Markets (the last ones) left open, unsettled; default 3. */
  open?: number;
  /** PRNG seed; default 7. */
  seed?: number;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = [
  {
    series: "KXRAIN",
    title: "Rain in Seattle",
    category: "Climate and Weather",
    rate: 0.8,
    market: (i: number) => `Will it rain in Seattle on day ${i}?`,
    rules: "Resolves Yes if measurable precipitation is recorded at SEA airport.",
  },
  {
    series: "KXBTC",
    title: "Bitcoin price range",
    category: "Crypto",
    rate: 0.25,
    market: (i: number) => `Will Bitcoin close above $${100 + (i % 7)}k on day ${i}?`,
    rules: "Resolves Yes if the CF Benchmarks BRTI closes above the strike.",
  },
  {
    series: "KXFED",
    title: "Fed funds rate decision",
    category: "Economics",
    rate: 0.5,
    market: (i: number) => `Will the Fed cut interest rates at meeting ${i}?`,
    rules: "Resolves Yes if the FOMC lowers the target federal funds rate.",
  },
];

function cents(c: number): string {
  const v = Math.max(1, Math.min(99, Math.round(c)));
  return `0.${String(v).padStart(2, "0")}00`;
}

async function insertRows(
  db: SqlRunner,
  table: string,
  columns: string[],
  rows: unknown[][],
  casts: string[] = [],
): Promise<void> {
  for (let s = 0; s < rows.length; s += 200) {
    const params: unknown[] = [];
    const values = rows.slice(s, s + 200).map((row) =>
      `(${
        row.map((v, j) => {
          params.push(v);
          return `$${params.length}${casts[j] ?? ""}`;
        }).join(", ")
      })`
    );
    await db.query(
      `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values.join(", ")}`,
      params,
    );
  }
}

/** Writes the world and returns its markets in listing order. */
export async function seedWorld(db: SqlRunner, options: SeedOptions): Promise<SeededMarket[]> {
  const random = prng(options.seed ?? 7);
  const spacing = (options.spacingHours ?? 2) * HOUR;
  const life = (options.lifeHours ?? 48) * HOUR;
  const open = options.open ?? 3;
  const t0 = options.start.getTime();
  await insertRows(
    db,
    "series",
    ["ticker", "title", "category", "tags", "raw"],
    KINDS.map((k) => [k.series, k.title, k.category, `{${k.category.split(" ")[0]}}`, "{}"]),
    ["", "", "", "::text[]", "::jsonb"],
  );
  const markets: SeededMarket[] = [];
  const events: unknown[][] = [];
  const marketRows: unknown[][] = [];
  const candles: unknown[][] = [];
  const lifecycle: unknown[][] = [];
  for (let i = 0; i < options.markets; i++) {
    const kindIndex = i % KINDS.length;
    const kind = KINDS[kindIndex];
    const openTime = new Date(t0 + i * spacing);
    const closeTime = new Date(openTime.getTime() + life);
    const settled = i < options.markets - open;
    const yes = random() < kind.rate;
    const result = settled ? (yes ? "yes" : "no") : null;
    const settledAt = settled ? new Date(closeTime.getTime() + HOUR) : null;
    const eventTicker = `${kind.series}-E${i}`;
    const ticker = `${eventTicker}-M`;
    markets.push({ ticker, kind: kindIndex, openTime, closeTime, settledAt, result });
    events.push([eventTicker, kind.series, `${kind.title} #${i}`, kind.category, "{}"]);
    // Price path: starts near the kind's base rate, drifts towards the (latent) outcome.
    const prior = kind.rate * 100 + (random() - 0.5) * 20;
    const target = yes ? 100 : 0;
    let last = prior;
    for (let h = 6; h <= life / HOUR; h += 6) {
      const w = 0.7 * (h / (life / HOUR));
      const mid = (1 - w) * prior + w * target + (random() - 0.5) * 10;
      last = mid;
      const end = new Date(openTime.getTime() + h * HOUR);
      if (!settled && end.getTime() > t0 + options.markets * spacing) break;
      candles.push([
        ticker,
        60,
        end.toISOString(),
        cents(mid - 1),
        cents(mid + 1),
        cents(mid),
        String(10 + Math.floor(random() * 90)),
        "live",
      ]);
    }
    marketRows.push([
      ticker,
      eventTicker,
      kind.series,
      settled ? "finalized" : "active",
      kind.market(i),
      kind.rules,
      result,
      settled ? cents(last) : null,
      openTime.toISOString(),
      openTime.toISOString(),
      closeTime.toISOString(),
      settled ? new Date(closeTime.getTime() + HOUR / 2).toISOString() : null,
      settledAt?.toISOString() ?? null,
      "{}",
    ]);
    lifecycle.push(["market_lifecycle_v2", "created", ticker, openTime.toISOString()]);
    if (settled) {
      const determined = new Date(closeTime.getTime() + HOUR / 2).toISOString();
      lifecycle.push(["market_lifecycle_v2", "determined", ticker, determined]);
      lifecycle.push(["market_lifecycle_v2", "settled", ticker, settledAt!.toISOString()]);
    }
  }
  await insertRows(
    db,
    "events",
    ["event_ticker", "series_ticker", "title", "category", "raw"],
    events,
    [
      "",
      "",
      "",
      "",
      "::jsonb",
    ],
  );
  await insertRows(
    db,
    "markets",
    [
      "ticker",
      "event_ticker",
      "series_ticker",
      "status",
      "title",
      "rules_primary",
      "result",
      "last_price",
      "created_time",
      "open_time",
      "close_time",
      "determination_ts",
      "settlement_ts",
      "raw",
    ],
    marketRows,
    [
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      "::numeric",
      "::timestamptz",
      "::timestamptz",
      "::timestamptz",
      "::timestamptz",
      "::timestamptz",
      "::jsonb",
    ],
  );
  await insertRows(
    db,
    "candles",
    [
      "market_ticker",
      "period_minutes",
      "end_period_ts",
      "yes_bid_close",
      "yes_ask_close",
      "price_close",
      "volume",
      "source",
    ],
    candles,
    ["", "::smallint", "::timestamptz", "::numeric", "::numeric", "::numeric", "::numeric", ""],
  );
  await insertRows(
    db,
    "market_lifecycle",
    ["message_type", "event_type", "market_ticker", "event_ts", "received_at", "raw"],
    lifecycle.map(([type, event, ticker, at]) => [type, event, ticker, at, at, "{}"]),
    ["", "", "", "::timestamptz", "::timestamptz", "::jsonb"],
  );
  return markets;
}
