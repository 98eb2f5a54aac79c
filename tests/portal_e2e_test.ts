/**
 * Issue 8's end-to-end acceptance: the portal over data written by the real services. A paused
 * simulator of ~50 markets is discovered by `rest_service --once` and backfilled by
 * `worker_service --until-empty` (both subprocesses started through the launch plan), then the
 * portal app, reading through the SELECT-only role, must show exactly what they stored; and the
 * real portal process, started through the launch plan, serves that database with its derived
 * permission flags.
 */
import { createTestDatabase, type TestDatabase } from "../lib/db/testing/database.ts";
import type { Sql } from "@kalshi-data/lib/db";
import { serveSimulator } from "@kalshi-data/lib/kalshi/sim";
import { createLogger } from "@kalshi-data/lib/log";
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { createPortalApp } from "../portal/app.ts";
import { type Assets, loadAssets } from "../portal/assets.ts";
import { buildAssets } from "../portal/build.ts";
import { createReaderPool } from "../portal/db.ts";
import { finish, pausedSimNow, spawnLaunched, spawnService } from "./testing/e2e.ts";
import { until } from "../lib/testing/wait.ts";
import { CANDLE_COLUMNS } from "../portal/data/candles.ts";

const MARKETS = 50;

type StoredCandle = Record<(typeof CANDLE_COLUMNS)[number], string | null>;

/** The stored candles of one market and period, read as the owner, numerics as PostgreSQL's text. */
async function storedCandles(sql: Sql, ticker: string, period: number): Promise<StoredCandle[]> {
  const rows = await sql<Record<string, unknown>[]>`
    SELECT end_period_ts, price_open::text, price_high::text, price_low::text,
           price_close::text, price_mean::text, price_previous::text, yes_bid_open::text,
           yes_bid_high::text, yes_bid_low::text, yes_bid_close::text, yes_ask_open::text,
           yes_ask_high::text, yes_ask_low::text, yes_ask_close::text, volume::text,
           open_interest::text, source
    FROM candles WHERE market_ticker = ${ticker} AND period_minutes = ${period}
    ORDER BY end_period_ts`;
  return rows.map((r) =>
    Object.fromEntries(
      CANDLE_COLUMNS.map((c) => [
        c,
        r[c] instanceof Date ? (r[c] as Date).toISOString() : (r[c] as string | null),
      ]),
    ) as StoredCandle
  );
}

/** Text as Preact renders it inside an element. */
function html(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** The market with the most hourly candles among those that also have daily candles. */
async function richestMarket(sql: Sql) {
  const [row] = await sql<
    { ticker: string; event_ticker: string; title: string; status: string }[]
  >`
    SELECT m.ticker, m.event_ticker, m.title, m.status FROM markets m
    WHERE EXISTS (SELECT 1 FROM candles c
                  WHERE c.market_ticker = m.ticker AND c.period_minutes = 1440
                    AND c.price_close IS NOT NULL)
    ORDER BY (SELECT count(*) FROM candles c
              WHERE c.market_ticker = m.ticker AND c.period_minutes = 60) DESC, m.ticker
    LIMIT 1`;
  assertOk(row, "a market with hourly and daily candles (with trades) was stored");
  return row;
}

interface World {
  db: TestDatabase;
  reader: Sql;
  app: ReturnType<typeof createPortalApp>;
}

async function withWorld(fn: (world: World, assets: Assets) => Promise<void>): Promise<void> {
  const served = serveSimulator({
    seed: 23,
    markets: MARKETS,
    startMs: pausedSimNow(),
    paused: true,
    historyDays: 3,
    futureDays: 1,
    cutoffLagDays: 1,
    pumpIntervalMs: 0,
    pingSeconds: 0,
    groundTruth: { memory: false },
  });
  const db = await createTestDatabase();
  let reader: Sql | undefined;
  try {
    const rest = await finish(spawnService("rest_service", { db, served, args: ["--once"] }));
    assertEquals(rest.code, 0, rest.stderr.slice(-3000));
    const worker = await finish(
      spawnService("worker_service", { db, served, args: ["--until-empty", "--fail-on-dead"] }),
    );
    assertEquals(worker.code, 0, worker.stderr.slice(-3000));
    assertOk(worker.stdout.includes("0 dead job(s)"), worker.stdout);
    // The real portal serves the built bundle; build it as `deno task portal` does.
    await buildAssets({ ifStale: true });
    const assets = await loadAssets();
    reader = createReaderPool(db.url, { max: 4 });
    const app = createPortalApp(reader, {
      assets,
      logger: createLogger("portal", { sink: () => {}, level: "error" }),
    });
    await fn({ db, reader, app }, assets);
  } finally {
    await reader?.end({ timeout: 5 });
    await db.drop();
    await served.close();
  }
}

async function getJson(app: World["app"], path: string) {
  const res = await app.request(path);
  assertEquals(res.status, 200, `${path} answered ${res.status}: ${await res.clone().text()}`);
  return await res.json();
}

async function getHtml(app: World["app"], path: string): Promise<string> {
  const res = await app.request(path);
  const body = await res.text();
  assertEquals(res.status, 200, `${path} answered ${res.status}: ${body.slice(0, 400)}`);
  assertOk(body.startsWith("<!doctype html>"), path);
  return body;
}

Deno.test("the portal shows exactly what discovery and backfill stored, and runs with its launch permissions", async (t) => {
  await withWorld(async ({ db, app }) => {
    const [counts] = await db.sql<
      { series: number; events: number; markets: number; candles: number }[]
    >`
      SELECT (SELECT count(*)::int FROM series) AS series,
             (SELECT count(*)::int FROM events) AS events,
             (SELECT count(*)::int FROM markets) AS markets,
             (SELECT count(*)::int FROM candles) AS candles`;
    assertOk(counts.markets >= MARKETS / 2, `only ${counts.markets} markets were discovered`);
    assertOk(counts.candles > 1000, `only ${counts.candles} candles were stored`);
    const market = await richestMarket(db.sql);

    await t.step("the overview counts equal the database's", async () => {
      const o = await getJson(app, "/api/overview");
      assertEquals(
        [o.counts.series, o.counts.events, o.counts.markets],
        [counts.series, counts.events, counts.markets],
      );
      const byStatus = await db.sql<{ status: string; count: number }[]>`
        SELECT status, count(*)::int AS count FROM markets GROUP BY status ORDER BY status`;
      assertEquals(o.counts.marketsByStatus, [...byStatus]);
      const page = await getHtml(app, "/");
      assertOk(page.includes(`data-testid="market-count">${counts.markets}<`), "market count");
    });

    await t.step("browse search by a real ticker prefix finds the market", async () => {
      const prefix = market.ticker.slice(0, market.ticker.lastIndexOf("-") + 1).toLowerCase();
      const found = await getJson(app, `/api/browse?q=${encodeURIComponent(prefix)}&limit=200`);
      const tickers = found.items.map((m: { ticker: string }) => m.ticker);
      assertOk(tickers.includes(market.ticker), `${prefix} found ${tickers.join(", ")}`);
      const prefixed = await db.sql<{ ticker: string }[]>`
        SELECT ticker FROM markets WHERE ticker LIKE ${prefix.toUpperCase() + "%"}`;
      assertOk(prefixed.length > 1, `${prefix} is shared by several markets`);
      for (const { ticker } of prefixed) assertOk(tickers.includes(ticker), `${ticker} listed`);
      const exact = await getJson(app, `/api/browse?q=${market.ticker.toLowerCase()}`);
      assertEquals(exact.exact, { kind: "market", ticker: market.ticker });
      const pasted = await app.request(`/browse?q=${encodeURIComponent(market.ticker)}`);
      assertEquals(pasted.status, 302);
      assertEquals(pasted.headers.get("location"), `/markets/${market.ticker}`);
    });

    await t.step("the market page renders its title and status", async () => {
      const body = await getHtml(app, `/markets/${encodeURIComponent(market.ticker)}`);
      assertOk(body.includes(`<h1>${html(market.title)}</h1>`), `title ${market.title}`);
      assertOk(
        body.includes(`<span class="status status-${market.status}">${market.status}</span>`),
        `status ${market.status}`,
      );
      assertOk(body.includes(`data-testid="market-ticker">${market.ticker}<`));
      assertOk(body.includes('data-island="CandleChart"'));
    });

    await t.step("the candles API returns exactly the stored candles of each period", async () => {
      for (const period of [60, 1440, 1]) {
        const stored = await storedCandles(db.sql, market.ticker, period);
        assertOk(stored.length > 0, `${market.ticker} has ${period}-minute candles`);
        const res = await getJson(
          app,
          `/api/markets/${encodeURIComponent(market.ticker)}/candles?period=${period}`,
        );
        assertEquals([res.period, res.truncated], [period, false]);
        assertEquals(res.candles.length, stored.length, `period ${period}: count`);
        assertEquals(res.candles[0], stored[0], `period ${period}: first candle`);
        assertEquals(res.candles.at(-1), stored.at(-1), `period ${period}: last candle`);
        assertEquals(res.candles, stored, `period ${period}: every candle`);
      }
      // Exact decimal strings, not floats: at least one stored value has trailing zeros.
      const daily = await storedCandles(db.sql, market.ticker, 1440);
      assertOk(daily.some((c) => /^\d+\.\d{4}$/.test(c.yes_bid_close ?? "")), "4-place prices");
    });

    await t.step("the candles CSV has one row per stored candle", async () => {
      for (const period of [60, 1440]) {
        const stored = await storedCandles(db.sql, market.ticker, period);
        const res = await app.request(
          `/api/markets/${encodeURIComponent(market.ticker)}/candles?period=${period}&format=csv`,
        );
        assertEquals(res.status, 200);
        assertEquals(res.headers.get("content-type"), "text/csv; charset=utf-8");
        const lines = (await res.text()).trimEnd().split("\n");
        assertEquals(lines.length, 1 + stored.length, `period ${period}: rows`);
        assertEquals(lines[0], CANDLE_COLUMNS.join(","));
        assertEquals(
          lines.slice(1),
          stored.map((c) => CANDLE_COLUMNS.map((k) => c[k] ?? "").join(",")),
          `period ${period}: every row`,
        );
      }
    });

    await t.step("the event page lists its markets", async () => {
      const rows = await db.sql<{ ticker: string }[]>`
        SELECT ticker FROM markets WHERE event_ticker = ${market.event_ticker} ORDER BY ticker`;
      const tickers = rows.map((r) => r.ticker);
      const body = await getHtml(app, `/events/${encodeURIComponent(market.event_ticker)}`);
      for (const ticker of tickers) {
        assertOk(body.includes(`href="/markets/${encodeURIComponent(ticker)}"`), ticker);
      }
      const api = await getJson(app, `/api/events/${encodeURIComponent(market.event_ticker)}`);
      assertEquals(api.markets.map((m: { ticker: string }) => m.ticker), tickers);
    });

    await t.step(
      "the real portal process serves this database with its launch permissions",
      async () => {
        const portal = spawnLaunched("portal", {
          args: [],
          env: { DATABASE_URL: db.url, PORT: "0", PORTAL_HOSTNAME: "127.0.0.1", LOG_LEVEL: "info" },
        });
        let exited = false;
        const status = portal.child.status.then((s) => {
          exited = true;
          return s;
        });
        try {
          let url = "";
          await until(
            () => {
              const line = portal.sofar.stderr.split("\n").find((l) => l.includes('"listening"'));
              if (line) url = JSON.parse(line).url;
              if (exited && !url) throw new Error(`portal exited: ${portal.sofar.stderr}`);
              return Promise.resolve(url !== "");
            },
            "the portal to listen",
            { limitMs: 300_000 },
          );
          const health = await fetch(new URL("/healthz", url));
          assertEquals([health.status, await health.json()], [200, { status: "ok" }]);
          const page = await fetch(new URL(`/markets/${encodeURIComponent(market.ticker)}`, url));
          const body = await page.text();
          assertEquals(page.status, 200, body.slice(0, 400));
          assertOk(body.includes(`<h1>${html(market.title)}</h1>`), "market title");
          const asset = body.match(/src="(\/static\/build\/client-[0-9a-f]{12}\.js)"/);
          assertOk(asset, "the page loads the built client bundle");
          const script = await fetch(new URL(asset[1], url));
          assertEquals(script.status, 200);
          await script.body?.cancel();
        } finally {
          if (!exited) portal.child.kill("SIGTERM");
          await status;
        }
        const done = await finish(portal);
        assertEquals(done.code, 0, done.stderr.slice(-3000));
        assertOk(!done.stderr.includes('"level":"error"'), done.stderr.slice(-3000));
      },
    );
  });
});
