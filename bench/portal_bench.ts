/**
 * Portal throughput: requests/s and p95 latency of the market page and its candles API over a
 * database of ~1,000 markets and ~10 million candles and ticks (quick mode: 100 markets, ~100k
 * rows), beside a trivial route of the same server (a hashed static asset served from memory),
 * measured in the same run over real HTTP. Goal from issue 8: market page at least 0.3 of the
 * trivial route's rate and p95 under 50 ms. Reports numbers; never fails on time.
 *
 * The load generator runs in the same process as the server (fair to both routes alike). The
 * headline rows are uncached (every request reaches PostgreSQL); /healthz (one `SELECT 1`) is a
 * second baseline; the chart's own candle request (a field subset) and the market page behind
 * the 5 s in-process response cache main.ts installs are extra rows, the latter with its hit
 * ratio (the bench cycles through all markets, each seen about every 1,000 requests).
 */
import type { BenchRow } from "./harness.ts";
import { createTestDatabase } from "../lib/db/testing/database.ts";
import { createLogger } from "@kalshi-data/lib/log";
import { createPortalApp } from "../portal/app.ts";
import { createReaderPool } from "../portal/db.ts";
import { CHART_FIELDS, chartCandlesQuery } from "../portal/islands/candle_chart.tsx";
import { responseCache } from "../portal/response_cache.ts";
import { testAssets } from "../portal/testing/portal.ts";

/** Data and load sizes of one run. */
export interface Scale {
  markets: number;
  minuteCandles: number;
  hourCandles: number;
  dayCandles: number;
  ticks: number;
  requests: number;
  concurrency: number;
}

/** ~1,000 markets and ~10 million candles and ticks, as issue 8 asks. */
export const FULL: Scale = {
  markets: 1000,
  minuteCandles: 5000,
  hourCandles: 720,
  dayCandles: 30,
  ticks: 4000,
  requests: 3000,
  concurrency: 8,
};
/** A smaller run for quick checks. */
export const QUICK: Scale = {
  markets: 100,
  minuteCandles: 500,
  hourCandles: 200,
  dayCandles: 30,
  ticks: 300,
  requests: 300,
  concurrency: 8,
};

/** Seeds the benchmark's markets, candles and ticks (ticks over the day before `now`). */
export async function seed(sql: ReturnType<typeof createReaderPool>, s: Scale, now: Date) {
  const lastMinute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  await sql`INSERT INTO series (ticker, title, category, raw)
    VALUES ('KXBENCH', 'Benchmark series', 'Testing', '{}')`;
  await sql`INSERT INTO events (event_ticker, series_ticker, title, category, raw)
    SELECT 'KXBENCH-E' || (g / 10), 'KXBENCH', 'Benchmark event ' || (g / 10), 'Testing', '{}'
    FROM generate_series(0, ${s.markets - 1}) g WHERE g % 10 = 0`;
  await sql`INSERT INTO markets (ticker, event_ticker, series_ticker, status, title, open_time,
      close_time, last_price, yes_bid, yes_ask, volume, open_interest, rules_primary, raw)
    SELECT 'KXBENCH-M' || lpad(g::text, 5, '0'), 'KXBENCH-E' || (g / 10), 'KXBENCH', 'active',
      'Benchmark market ' || g, ${now}::timestamptz - interval '40 days',
      ${now}::timestamptz + interval '1 day', 0.5500, 0.5400, 0.5600, 1000.00, 500.00,
      'Resolves Yes if the benchmark says so.',
      jsonb_build_object('ticker', 'KXBENCH-M' || lpad(g::text, 5, '0'), 'note', repeat('x', 400))
    FROM generate_series(0, ${s.markets - 1}) g`;
  for (const [period, n] of [[1, s.minuteCandles], [60, s.hourCandles], [1440, s.dayCandles]]) {
    await sql`INSERT INTO candles (market_ticker, period_minutes, end_period_ts, yes_bid_open,
        yes_bid_low, yes_bid_high, yes_bid_close, yes_ask_open, yes_ask_low, yes_ask_high,
        yes_ask_close, price_open, price_low, price_high, price_close, price_mean, volume,
        open_interest, source)
      SELECT 'KXBENCH-M' || lpad(m::text, 5, '0'), ${period},
        ${lastMinute}::timestamptz - make_interval(mins => i * ${period}),
        0.40, 0.38, 0.45, 0.41, 0.42, 0.40, 0.47, 0.43, 0.41, 0.39, 0.46, 0.42, 0.42,
        (i % 50)::numeric, 1000 + i, 'live'
      FROM generate_series(0, ${s.markets - 1}) m, generate_series(0, ${n - 1}) i`;
  }
  // Ticks spread over the last day, so they land in the daily partitions the migration created.
  await sql`INSERT INTO ticks (market_ticker, ts, price, yes_bid, yes_ask, volume, open_interest)
    SELECT 'KXBENCH-M' || lpad(m::text, 5, '0'),
      ${now}::timestamptz - make_interval(secs => i * (86000.0 / ${s.ticks})),
      0.55, 0.54, 0.56, (1000 + i)::numeric, 500.00
    FROM generate_series(0, ${s.markets - 1}) m, generate_series(1, ${s.ticks}) i`;
  await sql`ANALYZE`;
}

/** Requests/s and p95 latency (ms) of `paths` at the scale's concurrency, after a warm-up. */
export async function measure(
  base: string,
  paths: () => string,
  s: Scale,
): Promise<{ rate: number; p95: number }> {
  // Warm-up: connections, prepared statements, JIT.
  for (let i = 0; i < 20; i++) await (await fetch(base + paths())).arrayBuffer();
  const latencies: number[] = [];
  let issued = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: s.concurrency }, async () => {
    while (issued < s.requests) {
      issued++;
      const t = performance.now();
      const res = await fetch(base + paths());
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${res.url} answered ${res.status}`);
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rate: latencies.length / seconds,
    p95: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.95))],
  };
}

type Measured = { rate: number; p95: number };

/** The benchmark's rows: each figure beside the same-run baseline it is read against. */
function benchRows(
  label: string,
  baseline: Measured,
  m: Record<"page" | "health" | "candles" | "chart" | "pageCached", Measured>,
  extra: { hourCandles: number; hitRatio: number },
): BenchRow[] {
  const { page, health, candles, chart, pageCached } = m;
  const hitRatio = extra.hitRatio;
  const trivialName = "static asset (trivial route, same server)";
  const healthName = "/healthz (one SELECT 1, same server)";
  return [
    {
      name: `market page, ${label}`,
      unit: "req/s",
      value: page.rate,
      baselineName: trivialName,
      baseline: baseline.rate,
    },
    {
      name: "market page",
      unit: "req/s",
      value: page.rate,
      baselineName: healthName,
      baseline: health.rate,
    },
    {
      name: "market page p95",
      unit: "ms",
      value: page.p95,
      baselineName: trivialName,
      baseline: baseline.p95,
    },
    {
      name: `candles API period=60 (${extra.hourCandles} candles)`,
      unit: "req/s",
      value: candles.rate,
      baselineName: trivialName,
      baseline: baseline.rate,
    },
    {
      name: "candles API p95",
      unit: "ms",
      value: candles.p95,
      baselineName: trivialName,
      baseline: baseline.p95,
    },
    {
      name: `chart's candles request (period=60, ${CHART_FIELDS.length} of 18 fields as rows)`,
      unit: "req/s",
      value: chart.rate,
      baselineName: trivialName,
      baseline: baseline.rate,
    },
    {
      name: "chart's candles request p95",
      unit: "ms",
      value: chart.p95,
      baselineName: trivialName,
      baseline: baseline.p95,
    },
    {
      name: `market page, 5 s response cache (${hitRatio}% hits)`,
      unit: "req/s",
      value: pageCached.rate,
      baselineName: trivialName,
      baseline: baseline.rate,
    },
    {
      name: "market page, 5 s response cache, p95",
      unit: "ms",
      value: pageCached.p95,
      baselineName: trivialName,
      baseline: baseline.p95,
    },
  ];
}

/** Runs the portal benchmark. */
export default async function portalBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const s = quick ? QUICK : FULL;
  const db = await createTestDatabase({ max: 4 });
  const now = new Date();
  const reader = createReaderPool(db.url, { max: 10 });
  try {
    const t0 = performance.now();
    await seed(db.sql, s, now);
    const rows = s.markets * (s.minuteCandles + s.hourCandles + s.dayCandles + s.ticks);
    console.error(
      `portal bench: seeded ${s.markets} markets, ${rows} candles+ticks in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s`,
    );
    const assets = await testAssets();
    const logger = createLogger("portal", { level: "error" });
    // The headline figures are uncached: every request reaches PostgreSQL. The cached app (as
    // main.ts runs it) is measured last, on the same server, with its hit ratio in the name.
    const uncached = createPortalApp(reader, { assets, logger });
    const cache = responseCache({ ttlMs: 5_000, maxBytes: 64 * 1024 * 1024 });
    const cached = createPortalApp(reader, { assets, logger, responseCache: cache });
    let app = uncached;
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen: () => {} },
      (request) => app.fetch(request),
    );
    try {
      const base = `http://127.0.0.1:${server.addr.port}`;
      let n = 0;
      const market = () => `KXBENCH-M${String((n++ * 7919) % s.markets).padStart(5, "0")}`;
      const trivial = await measure(base, () => assets.url("styles.css"), s);
      const page = await measure(base, () => `/markets/${market()}`, s);
      const candles = await measure(base, () => `/api/markets/${market()}/candles?period=60`, s);
      const chartQuery = chartCandlesQuery(60);
      const chart = await measure(base, () => `/api/markets/${market()}/candles?${chartQuery}`, s);
      const health = await measure(base, () => "/healthz", s);
      const trivialAgain = await measure(base, () => assets.url("styles.css"), s);
      app = cached;
      const pageCached = await measure(base, () => `/markets/${market()}`, s);
      const { hits, misses } = cache.stats();
      const hitRatio = Math.round((100 * hits) / Math.max(1, hits + misses));
      const baseline = {
        rate: (trivial.rate + trivialAgain.rate) / 2,
        p95: (trivial.p95 + trivialAgain.p95) / 2,
      };
      const label = `${s.markets} markets, ${(rows / 1e6).toFixed(2)}M candles+ticks`;
      return benchRows(label, baseline, { page, health, candles, chart, pageCached }, {
        hourCandles: s.hourCandles,
        hitRatio,
      });
    } finally {
      await server.shutdown();
    }
  } finally {
    await reader.end({ timeout: 5 });
    await db.drop();
  }
}

if (import.meta.main) {
  const { renderTable } = await import("./harness.ts");
  const rows = await portalBench({ quick: Deno.args.includes("--quick") });
  console.log(renderTable(rows.map((r) => ({ ...r, file: "portal_bench.ts" }))));
}
