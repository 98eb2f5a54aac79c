/**
 * Deterministic test data for the portal: series, events, markets in every interesting state,
 * candles at all three periods, ticks, lifecycle messages, capture gaps, dead letters, backfill
 * jobs, resume points and predictions. Written with a privileged pool (tests seed, the portal
 * only reads). Prices are decimal strings, never floats.
 * @module
 */
import type { Sql } from "@kalshi-data/lib/db";

/** The clock the seeded data is relative to (inject it as the portal's `now`). */
export const SEED_NOW = new Date("2026-01-12T12:00:00Z");

/** Tickers the tests refer to. */
export const SEED = {
  /** Active, with 1m/1h/1d candles, ticks, lifecycle and a filled gap. */
  activeMarket: "KXBTC-26JAN12-B100000",
  /** Finalized with result yes; hourly and daily candles. */
  settledMarket: "KXBTC-26JAN05-B100000",
  /** Initialized, nothing else stored. */
  bareMarket: "KXRAIN-26JAN06-T2",
  event: "KXBTC-26JAN12",
  series: "KXBTC",
  bulkEvent: "KXBULK-26JAN",
  /** Candles of the active market per period. */
  activeCandles: { 1: 600, 60: 168, 1440: 7 } as Record<1 | 60 | 1440, number>,
  /** Ticks of the active market (one a minute, the last 300 minutes before SEED_NOW). */
  activeTicks: 300,
  /** Trades of the active market (two per 7-minute step, sharing its time). */
  activeTrades: 230,
} as const;

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** A price in dollars with four decimals from an integer of 1/10000 dollars. */
function dollars(units: number): string {
  return `${Math.floor(units / 10000)}.${String(units % 10000).padStart(4, "0")}`;
}

/** Deterministic price path: 1/10000-dollar units between 0.30 and 0.70. */
function priceUnits(i: number, salt: number): number {
  return 3000 + ((i * 37 + salt * 101) % 400) * 10;
}

/** A previous price near `last` (a change of −0.03 to +0.03), within [0, 1]. */
function previousUnits(last: number, index: number): number {
  return Math.min(10000, Math.max(0, last + ((index * 5) % 7 - 3) * 100));
}

/**
 * SEED.activeTrades trades of the active market, one every 7 minutes before SEED_NOW, some sharing
 * a timestamp (pages must break ties on trade_id), from all three sources.
 */
function seedTrades(sql: Sql) {
  const sources = ["ws", "rest", "historical"];
  return Array.from({ length: SEED.activeTrades }, (_, i) => {
    const yes = priceUnits(i, 11);
    const row = {
      trade_id: `seed-trade-${String(i).padStart(4, "0")}`,
      market_ticker: SEED.activeMarket,
      created_time: new Date(SEED_NOW.getTime() - Math.floor(i / 2) * 7 * 60_000 - 123),
      yes_price: dollars(yes),
      no_price: dollars(10000 - yes),
      count: `${1 + (i * 7) % 40}.00`,
      taker_side: i % 3 === 0 ? "no" : "yes",
      source: sources[i % 3],
    };
    return { ...row, raw: sql.json({ ...row, created_time: row.created_time.toISOString() }) };
  });
}

interface MarketSeed {
  ticker: string;
  event: string;
  series: string;
  title: string;
  status: string;
  result?: string;
  open: Date;
  close: Date;
  last: number;
}

/** Options of {@linkcode seedPortalData}. */
export interface SeedOptions {
  /** Extra markets under SEED.bulkEvent, for pagination; default 60. */
  bulkMarkets?: number;
}

/** Inserts the portal's test data into a migrated database. */
export async function seedPortalData(sql: Sql, options: SeedOptions = {}): Promise<void> {
  const now = SEED_NOW.getTime();
  const series = [
    { ticker: "KXBTC", title: "Bitcoin price", category: "Crypto", frequency: "daily" },
    {
      ticker: "KXFED",
      title: "Fed funds rate decision",
      category: "Economics",
      frequency: "monthly",
    },
    { ticker: "KXRAIN", title: "Rain in New York City", category: "Climate", frequency: "daily" },
    {
      ticker: "KXBULK",
      title: "Bulk listing for pagination",
      category: "Testing",
      frequency: "daily",
    },
  ];
  await sql`INSERT INTO series ${
    sql(
      series.map((s) => ({ ...s, raw: sql.json(s) })),
      "ticker",
      "title",
      "category",
      "frequency",
      "raw",
    )
  }`;
  const events = [
    {
      event_ticker: "KXBTC-26JAN05",
      series_ticker: "KXBTC",
      title: "Bitcoin price on Jan 5, 2026",
      category: "Crypto",
    },
    {
      event_ticker: "KXBTC-26JAN12",
      series_ticker: "KXBTC",
      title: "Bitcoin price on Jan 12, 2026",
      category: "Crypto",
    },
    {
      event_ticker: "KXFED-26JAN",
      series_ticker: "KXFED",
      title: "Fed decision in January 2026",
      category: "Economics",
    },
    {
      event_ticker: "KXRAIN-26JAN06",
      series_ticker: "KXRAIN",
      title: "Rain in NYC on Jan 6",
      category: "Climate",
    },
    {
      event_ticker: SEED.bulkEvent,
      series_ticker: "KXBULK",
      title: "Bulk event",
      category: "Testing",
    },
  ];
  await sql`INSERT INTO events ${
    sql(
      events.map((e) => ({ ...e, mutually_exclusive: true, raw: sql.json(e) })),
      "event_ticker",
      "series_ticker",
      "title",
      "category",
      "mutually_exclusive",
      "raw",
    )
  }`;
  const markets: MarketSeed[] = [
    {
      ticker: SEED.settledMarket,
      event: "KXBTC-26JAN05",
      series: "KXBTC",
      title: "Bitcoin above $100,000 on Jan 5?",
      status: "finalized",
      result: "yes",
      open: new Date(now - 9 * DAY),
      close: new Date(now - 7 * DAY),
      last: 9900,
    },
    {
      ticker: "KXBTC-26JAN05-B105000",
      event: "KXBTC-26JAN05",
      series: "KXBTC",
      title: "Bitcoin above $105,000 on Jan 5?",
      status: "finalized",
      result: "no",
      open: new Date(now - 9 * DAY),
      close: new Date(now - 7 * DAY),
      last: 100,
    },
    {
      ticker: SEED.activeMarket,
      event: SEED.event,
      series: "KXBTC",
      title: "Bitcoin above $100,000 on Jan 12?",
      status: "active",
      open: new Date(now - 7 * DAY),
      close: new Date(now + 12 * HOUR),
      last: 5600,
    },
    {
      ticker: "KXBTC-26JAN12-B110000",
      event: SEED.event,
      series: "KXBTC",
      title: "Bitcoin above $110,000 on Jan 12?",
      status: "active",
      open: new Date(now - 7 * DAY),
      close: new Date(now + 12 * HOUR),
      last: 1200,
    },
    {
      ticker: "KXFED-26JAN-H0",
      event: "KXFED-26JAN",
      series: "KXFED",
      title: "Fed holds rates in January",
      status: "active",
      open: new Date(now - 30 * DAY),
      close: new Date(now + 16 * DAY),
      last: 8100,
    },
    {
      ticker: "KXFED-26JAN-C25",
      event: "KXFED-26JAN",
      series: "KXFED",
      title: "Fed cuts 25bp in January",
      status: "closed",
      open: new Date(now - 30 * DAY),
      close: new Date(now - DAY),
      last: 1500,
    },
    {
      ticker: "KXRAIN-26JAN06-T1",
      event: "KXRAIN-26JAN06",
      series: "KXRAIN",
      title: "Rain in Central Park on Jan 6",
      status: "determined",
      result: "yes",
      open: new Date(now - 10 * DAY),
      close: new Date(now - 6 * DAY),
      last: 9700,
    },
    {
      ticker: SEED.bareMarket,
      event: "KXRAIN-26JAN06",
      series: "KXRAIN",
      title: "Heavy rain in Central Park on Jan 6",
      status: "initialized",
      open: new Date(now + DAY),
      close: new Date(now + 2 * DAY),
      last: 0,
    },
  ];
  for (let i = 0; i < (options.bulkMarkets ?? 60); i++) {
    markets.push({
      ticker: `${SEED.bulkEvent}-M${String(i).padStart(3, "0")}`,
      event: SEED.bulkEvent,
      series: "KXBULK",
      title: `Bulk market number ${i}`,
      status: i % 3 === 0 ? "closed" : "active",
      open: new Date(now - 3 * DAY),
      close: new Date(now + (i - 30) * HOUR),
      last: 1000 + i * 100,
    });
  }
  const marketRows = markets.map((m, index) => {
    const raw = {
      ticker: m.ticker,
      event_ticker: m.event,
      title: m.title,
      status: m.status,
      result: m.result ?? "",
      last_price_dollars: dollars(m.last),
      open_time: m.open.toISOString(),
      close_time: m.close.toISOString(),
      rules_primary: `If ${m.title.replace(/\?$/, "")}, the market resolves to Yes.`,
    };
    return {
      ticker: m.ticker,
      event_ticker: m.event,
      series_ticker: m.series,
      status: m.status,
      market_type: "binary",
      title: m.title,
      yes_sub_title: null,
      result: m.result ?? null,
      open_time: m.open,
      close_time: m.close,
      last_price: dollars(m.last),
      yes_bid: dollars(Math.max(0, m.last - 100)),
      yes_ask: dollars(Math.min(10000, m.last + 100)),
      volume: `${(m.last * 3) % 100000}.00`,
      open_interest: `${(m.last * 2) % 50000}.00`,
      // Every fourth market lacks a previous price and a 24h volume (sorts list NULLs last).
      previous_price: index % 4 === 3 ? null : dollars(previousUnits(m.last, index)),
      volume_24h: index % 4 === 3 ? null : `${(index * 37) % 500}.00`,
      yes_ask_size: "150.00",
      settlement_value: m.result === "yes" ? "1.0000" : m.result === "no" ? "0.0000" : null,
      rules_primary: raw.rules_primary,
      raw: sql.json(raw),
    };
  });
  await sql`INSERT INTO markets ${sql(marketRows)}`;

  const candles: Record<string, unknown>[] = [];
  const addCandles = (ticker: string, period: number, n: number, end: number, salt: number) => {
    for (let i = 0; i < n; i++) {
      const p = priceUnits(i, salt + period);
      const hasTrade = i % 5 !== 4; // every fifth period has quotes but no trade
      candles.push({
        market_ticker: ticker,
        period_minutes: period,
        end_period_ts: new Date(end - (n - 1 - i) * period * 60_000),
        yes_bid_open: dollars(p - 100),
        yes_bid_low: dollars(p - 200),
        yes_bid_high: dollars(p),
        yes_bid_close: dollars(p - 100),
        yes_ask_open: dollars(p + 100),
        yes_ask_low: dollars(p),
        yes_ask_high: dollars(p + 200),
        yes_ask_close: dollars(p + 100),
        price_open: hasTrade ? dollars(p - 50) : null,
        price_low: hasTrade ? dollars(p - 150) : null,
        price_high: hasTrade ? dollars(p + 150) : null,
        price_close: hasTrade ? dollars(p + 50) : null,
        price_mean: hasTrade ? dollars(p) : null,
        price_previous: dollars(p),
        volume: `${(i * 13) % 500}.00`,
        open_interest: `${1000 + i}.00`,
        source: "live",
      });
    }
  };
  const lastHour = Math.floor(now / HOUR) * HOUR;
  const lastDay = Math.floor(now / DAY) * DAY;
  addCandles(SEED.activeMarket, 1, SEED.activeCandles[1], now, 1);
  addCandles(SEED.activeMarket, 60, SEED.activeCandles[60], lastHour, 2);
  addCandles(SEED.activeMarket, 1440, SEED.activeCandles[1440], lastDay, 3);
  addCandles(SEED.settledMarket, 60, 48, now - 7 * DAY, 4);
  addCandles(SEED.settledMarket, 1440, 3, now - 7 * DAY, 5);
  addCandles("KXFED-26JAN-H0", 1440, 30, lastDay, 6);
  addCandles("KXBTC-26JAN12-B110000", 60, 72, lastHour, 7);
  for (let i = 0; i < candles.length; i += 500) {
    await sql`INSERT INTO candles ${sql(candles.slice(i, i + 500))}`;
  }

  const ticks: Record<string, unknown>[] = [];
  for (let i = 0; i < SEED.activeTicks; i++) {
    const p = priceUnits(i, 9);
    ticks.push({
      market_ticker: SEED.activeMarket,
      ts: new Date(now - (SEED.activeTicks - i) * 60_000 + 1000),
      price: dollars(p),
      yes_bid: dollars(p - 100),
      yes_ask: dollars(p + 100),
      volume: `${10000 + i * 5}.00`,
      open_interest: `${5000 + i}.00`,
      yes_bid_size: "100.00",
      yes_ask_size: "120.00",
    });
  }
  for (let i = 0; i < 30; i++) {
    ticks.push({
      market_ticker: "KXFED-26JAN-H0",
      ts: new Date(now - (30 - i) * 120_000 + 500),
      price: "0.8100",
      yes_bid: "0.8000",
      yes_ask: "0.8200",
      volume: `${20000 + i}.00`,
      open_interest: "9000.00",
      yes_bid_size: "50.00",
      yes_ask_size: "60.00",
    });
  }
  await sql`INSERT INTO ticks ${sql(ticks)}`;
  await sql`INSERT INTO trades ${sql(seedTrades(sql))}`;

  const lifecycle = [
    [SEED.activeMarket, "created", now - 7 * DAY - HOUR],
    [SEED.activeMarket, "activated", now - 7 * DAY],
    [SEED.settledMarket, "created", now - 9 * DAY - HOUR],
    [SEED.settledMarket, "activated", now - 9 * DAY],
    [SEED.settledMarket, "determined", now - 7 * DAY + HOUR],
    [SEED.settledMarket, "settled", now - 7 * DAY + 2 * HOUR],
  ].map(([ticker, type, at]) => ({
    message_type: "market_lifecycle_v2",
    event_type: type,
    market_ticker: ticker,
    event_ts: new Date(at as number),
    received_at: new Date((at as number) + 150),
    raw: sql.json({
      type: "market_lifecycle_v2",
      msg: { market_ticker: ticker, event_type: type },
    }),
  }));
  await sql`INSERT INTO market_lifecycle ${sql(lifecycle)}`;

  await sql`INSERT INTO capture_gaps ${
    sql([
      {
        channel: "ticker",
        market_tickers: null,
        gap_start: new Date(now - 3 * HOUR),
        gap_end: new Date(now - 3 * HOUR + 45_000),
        reason: "disconnect",
        filled_at: null,
      },
      {
        channel: "ticker",
        market_tickers: sql.array([SEED.activeMarket]),
        gap_start: new Date(now - 2 * DAY),
        gap_end: new Date(now - 2 * DAY + 600_000),
        reason: "crash",
        filled_at: new Date(now - 2 * DAY + HOUR),
      },
    ])
  }`;
  await sql`INSERT INTO dead_letters ${
    sql([
      {
        source: "ws:ticker",
        error: "price: expected a decimal string",
        payload: '{"type":"ticker","msg":{"price":"abc"}}',
        received_at: new Date(now - HOUR),
      },
      {
        source: "rest:/markets",
        error: "not JSON",
        payload: "<html>bad gateway</html>",
        received_at: new Date(now - 3 * DAY),
      },
    ])
  }`;
  await sql`INSERT INTO backfill_jobs ${
    sql([
      {
        kind: "candles",
        job_key: "candles:KXFED-26JAN-H0:1",
        state: "pending",
        created_at: new Date(now - 5 * HOUR),
        run_after: new Date(now - 5 * HOUR),
      },
      {
        kind: "candles",
        job_key: "candles:KXFED-26JAN-H0:60",
        state: "pending",
        created_at: new Date(now - 4 * HOUR),
        run_after: new Date(now - 4 * HOUR),
      },
      {
        kind: "trades",
        job_key: "trades:KXFED-26JAN-H0",
        state: "succeeded",
        created_at: new Date(now - 6 * HOUR),
        run_after: new Date(now - 6 * HOUR),
      },
    ])
  }`;
  await sql`INSERT INTO backfill_jobs (kind, job_key, state, attempts, last_error, lease_owner, lease_expires_at)
    VALUES ('candles', 'candles:KXBTC-26JAN12-B110000:1', 'running', 1, NULL, 'worker-1', ${new Date(
    now + 60_000,
  )}),
           ('candles', 'candles:KXBAD:1', 'dead', 8, 'HTTP 404 from /markets/KXBAD/candlesticks', NULL, NULL)`;
  await sql`INSERT INTO ingest_state (key, scope, value, updated_at) VALUES
    ('discovery.markets_synced', '', ${
    sql.json({ at: new Date(now - 10 * 60_000).toISOString() })
  }, ${new Date(now - 10 * 60_000)}),
    ('ws.session', 'ws-1', ${
    sql.json({
      sessionId: "s-1",
      connectedAt: new Date(now - 2 * HOUR).toISOString(),
      lastMessageAt: new Date(now - 30_000).toISOString(),
    })
  }, ${new Date(now - 30_000)})`;

  const predictions = [
    [SEED.settledMarket, "baseline-v1", now - 8 * DAY, "0.8000", "0.7500", null],
    ["KXBTC-26JAN05-B105000", "baseline-v1", now - 8 * DAY, "0.3000", "0.2000", null],
    ["KXRAIN-26JAN06-T1", "baseline-v1", now - 7 * DAY, "0.6000", "0.5500", "1"],
    [SEED.activeMarket, "baseline-v1", now - DAY, "0.5500", "0.5600", null],
    [SEED.settledMarket, "llm-v0", now - 8 * DAY, "0.9000", "0.7500", null],
  ].map(([market, model, at, probability, price, outcome]) => ({
    market_ticker: market,
    model,
    predicted_at: new Date(at as number),
    probability,
    market_price: price,
    outcome,
    rationale: "seeded",
  }));
  await sql`INSERT INTO predictions ${sql(predictions)}`;
  await sql`ANALYZE`;
}
