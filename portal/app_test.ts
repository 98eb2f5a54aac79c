/** Route tests of every page and API route against real PostgreSQL with seeded data. */
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { brierScore } from "@kalshi-data/lib/predictions";
import { CONTENT_SECURITY_POLICY } from "./security.ts";
import { createPortalFixture, type PortalFixture } from "./testing/portal.ts";
import { SEED, SEED_NOW } from "./testing/seed.ts";

const TOTAL_MARKETS = 68; // 8 named + 60 bulk

async function get(f: PortalFixture, path: string, init?: RequestInit) {
  return await f.app.request(path, init);
}

async function json(f: PortalFixture, path: string) {
  const res = await get(f, path);
  assertEquals(res.status, 200, `${path} answered ${res.status}: ${await res.clone().text()}`);
  assertOk(res.headers.get("content-type")?.startsWith("application/json"));
  return await res.json();
}

async function html(f: PortalFixture, path: string) {
  const res = await get(f, path);
  const body = await res.text();
  assertEquals(res.status, 200, `${path} answered ${res.status}: ${body.slice(0, 400)}`);
  assertEquals(res.headers.get("content-type"), "text/html; charset=utf-8");
  assertOk(body.startsWith("<!doctype html>"));
  return body;
}

async function badRequest(f: PortalFixture, path: string, param: string) {
  const res = await get(f, path);
  assertEquals(res.status, 400, `${path} answered ${res.status}`);
  assertEquals(res.headers.get("cache-control"), "no-store");
  if (path.startsWith("/api/")) {
    const body = await res.json();
    assertEquals(body.error.param, param, `${path}: ${JSON.stringify(body)}`);
  } else {
    const body = await res.text();
    assertOk(body.includes(`invalid parameter ${param}`), `${path}: ${body.slice(0, 300)}`);
  }
}

Deno.test("portal routes over seeded data", async (t) => {
  const f = await createPortalFixture();
  try {
    await t.step(
      "the overview renders counts, tick rate, queue, gaps and dead letters",
      async () => {
        const body = await html(f, "/");
        assertOk(body.includes("Ingest health"));
        assertOk(body.includes(`data-testid="market-count">${TOTAL_MARKETS}<`));
        assertOk(body.includes("candles:KXFED-26JAN-H0:1"), "oldest pending job shown");
        assertOk(body.includes("<svg"), "tick-rate chart is server-side SVG");
        assertOk(!body.includes("<script"), "the overview ships no JavaScript");
      },
    );

    await t.step("the overview API reports the same figures as JSON", async () => {
      const o = await json(f, "/api/overview");
      assertEquals(o.counts.markets, TOTAL_MARKETS);
      assertEquals(o.counts.series, 4);
      assertEquals(o.counts.events, 5);
      assertEquals(
        o.counts.marketsByStatus.find((s: { status: string }) => s.status === "finalized").count,
        2,
      );
      assertEquals(o.tickRate.total, SEED.activeTicks + 30);
      assertEquals(o.tickRate.perMinute.length, 360);
      assertEquals(o.stored.find((s: { table: string }) => s.table === "ticks").rows, 330);
      assertEquals(o.backfill.oldestPending.job_key, "candles:KXFED-26JAN-H0:1");
      assertEquals(
        o.backfill.byState.map((s: { state: string; count: number }) => [s.state, s.count]),
        [["dead", 1], ["pending", 2], ["running", 1], ["succeeded", 1]],
      );
      assertEquals(o.websocket.sessions[0].live, true);
      assertEquals([o.gaps.open, o.gaps.total], [1, 2]);
      assertEquals([o.deadLetters.total, o.deadLetters.lastDay], [2, 1]);
      assertEquals(o.resumePoints[0].key, "discovery.markets_synced");
    });

    await t.step("a WebSocket session silent for minutes is shown as not live", async () => {
      const app = f.appWith({ now: () => new Date(SEED_NOW.getTime() + 10 * 60_000) });
      const o = await (await app.request("/api/overview")).json();
      assertEquals(o.websocket.sessions[0].live, false);
    });

    await t.step(
      "browse lists 50 markets per page and keyset pages cover all without overlap",
      async () => {
        const body = await html(f, "/browse");
        assertOk(body.includes('data-count="50"'));
        assertOk(body.includes('rel="next"'));
        const first = await json(f, "/api/browse");
        assertEquals(first.items.length, 50);
        const second = await json(f, first.next_url);
        assertEquals(second.items.length, TOTAL_MARKETS - 50);
        assertEquals(second.next, null);
        const all = [...first.items, ...second.items].map((m: { ticker: string }) => m.ticker);
        assertEquals(new Set(all).size, TOTAL_MARKETS);
        assertEquals(all, [...all].sort());
      },
    );

    await t.step("search matches title words and ticker prefixes, case-insensitively", async () => {
      const words = await json(f, "/api/browse?q=bitcoin");
      assertEquals(words.items.length, 4);
      const prefix = await json(f, "/api/browse?q=kxfed");
      assertEquals(prefix.items.map((m: { ticker: string }) => m.ticker), [
        "KXFED-26JAN-C25",
        "KXFED-26JAN-H0",
      ]);
      const events = await json(f, "/api/browse?kind=events&q=bitcoin");
      assertEquals(events.items.length, 2);
      const series = await json(f, "/api/browse?kind=series&q=rain");
      assertEquals(series.items.map((s: { ticker: string }) => s.ticker), ["KXRAIN"]);
    });

    await t.step("a pasted ticker lands on its market, event or series", async () => {
      const market = await get(f, `/browse?q=${SEED.activeMarket.toLowerCase()}`);
      assertEquals(market.status, 302);
      assertEquals(market.headers.get("location"), `/markets/${SEED.activeMarket}`);
      const event = await get(f, `/browse?q=${SEED.event}`);
      assertEquals(event.headers.get("location"), `/events/${SEED.event}`);
      const series = await get(f, "/browse?q=KXBTC");
      assertEquals(series.headers.get("location"), "/browse?kind=events&series=KXBTC");
      const api = await json(f, `/api/browse?q=${SEED.activeMarket}`);
      assertEquals(api.exact, { kind: "market", ticker: SEED.activeMarket });
    });

    await t.step("browse filters by status, category, series, event and close date", async () => {
      assertEquals((await json(f, "/api/browse?status=finalized")).items.length, 2);
      assertEquals((await json(f, "/api/browse?category=Economics")).items.length, 2);
      assertEquals((await json(f, "/api/browse?kind=events&category=Crypto")).items.length, 2);
      assertEquals((await json(f, "/api/browse?kind=events&series=KXBTC")).items.length, 2);
      assertEquals((await json(f, `/api/browse?event=${SEED.event}`)).items.length, 2);
      assertEquals((await json(f, "/api/browse?kind=series")).items.length, 4);
      const closing = await json(
        f,
        "/api/browse?series=KXBULK&closes_after=2026-01-12T12:00:00Z&closes_before=2026-01-12T17:00:00Z",
      );
      // Bulk market i closes at SEED_NOW + (i - 30) h: i = 30..34.
      assertEquals(closing.items.length, 5);
      const filtered = await html(f, "/browse?status=closed&category=Testing");
      assertOk(filtered.includes('data-count="20"'));
    });

    await t.step("browse rejects bad parameters with 400 naming the parameter", async () => {
      await badRequest(f, "/api/browse?status=bogus", "status");
      await badRequest(f, "/api/browse?limit=0", "limit");
      await badRequest(f, "/api/browse?limit=abc", "limit");
      await badRequest(f, "/api/browse?limit=201", "limit");
      await badRequest(f, "/api/browse?kind=trades", "kind");
      await badRequest(f, "/api/browse?after=x'%20OR%201=1", "after");
      await badRequest(f, "/api/browse?closes_after=yesterday", "closes_after");
      await badRequest(f, "/api/browse?closes_after=2026-02-01&closes_before=2026-01-01", "from");
      await badRequest(f, "/api/browse?kind=events&status=active", "status");
      await badRequest(f, "/api/browse?q=a&q=b", "q");
      await badRequest(f, "/api/browse?sort=title", "sort");
      await badRequest(f, `/api/browse?q=${"x".repeat(201)}`, "q");
      await badRequest(f, "/browse?limit=-1", "limit");
    });

    await t.step(
      "SQL injection attempts are harmless: matched literally, nothing changes",
      async () => {
        const attempts = [
          "' OR 1=1; DROP TABLE markets; --",
          "%",
          "_",
          "\\",
          "KX%",
          "') OR ('1'='1",
          "1; SELECT pg_sleep(5)",
          "!!:*&|",
        ];
        for (const q of attempts) {
          const res = await json(f, `/api/browse?q=${encodeURIComponent(q)}`);
          assertEquals(res.items.length, 0, `q=${q} matched ${res.items.length}`);
          await html(f, `/browse?q=${encodeURIComponent(q)}`);
        }
        for (
          const path of [
            `/markets/${encodeURIComponent("X' OR '1'='1")}`,
            `/api/markets/${encodeURIComponent("X;DROP TABLE candles")}/candles`,
            `/events/${encodeURIComponent("E' UNION SELECT * FROM pg_shadow --")}`,
          ]
        ) {
          assertEquals((await get(f, path)).status, 400, path);
        }
        await badRequest(f, "/api/predictions?model=x&before=1%20OR%201=1", "before");
        const [count] = await f.db.sql`SELECT count(*)::int AS n FROM markets`;
        assertEquals(count.n, TOTAL_MARKETS);
      },
    );

    await t.step("the event page lists its markets; unknown events are 404", async () => {
      const body = await html(f, `/events/${SEED.event}`);
      assertOk(body.includes(SEED.activeMarket));
      assertOk(body.includes("$0.56"), "last price formatted from the decimal string");
      const api = await json(f, `/api/events/${SEED.event}`);
      assertEquals(api.markets.length, 2);
      assertEquals(api.markets[0].last_price, "0.5600");
      assertEquals(api.event.series_title, "Bitcoin price");
      const missing = await get(f, "/events/KXNOPE-1");
      assertEquals(missing.status, 404);
      assertOk((await missing.text()).includes("No event KXNOPE-1"));
      const missingApi = await get(f, "/api/events/KXNOPE-1");
      assertEquals(missingApi.status, 404);
      assertEquals((await missingApi.json()).error.status, 404);
      await badRequest(f, `/api/events/${SEED.event}?x=1`, "x");
    });

    await t.step(
      "the market page has the chart island, ticks, lifecycle, gaps, rules and raw",
      async () => {
        const body = await html(f, `/markets/${SEED.activeMarket}`);
        assertOk(body.includes('data-island="CandleChart"'));
        assertOk(
          /<script type="module" src="\/static\/build\/client-[0-9a-f]{12}\.js"><\/script>/.test(
            body,
          ),
        );
        assertOk(body.includes(`/api/markets/${SEED.activeMarket}/candles`), "CSV form");
        assertOk(body.includes("activated"), "lifecycle timeline");
        assertOk(body.includes("crash"), "capture gap of this market");
        assertOk(body.includes("disconnect"), "gap of all markets during its life");
        assertOk(body.includes("the market resolves to Yes"), "rules text");
        assertOk(body.includes("last_price_dollars"), "raw payload");
        const props = JSON.parse(
          body.match(/data-props="([^"]*)"/)![1].replaceAll("&quot;", '"').replaceAll("&amp;", "&"),
        );
        assertEquals(props, { ticker: SEED.activeMarket, period: 60, available: [1, 60, 1440] });
      },
    );

    await t.step("the market API picks the coarsest period that shows the whole life", async () => {
      const active = await json(f, `/api/markets/${SEED.activeMarket}`);
      assertEquals(active.defaultPeriod, 60);
      assertEquals(active.ticks.length, 20);
      assertEquals(active.ticks[0].ts, new Date(SEED_NOW.getTime() - 60_000 + 1000).toISOString());
      assertEquals(active.lifecycle.map((l: { event_type: string }) => l.event_type), [
        "created",
        "activated",
      ]);
      const settled = await json(f, `/api/markets/${SEED.settledMarket}`);
      assertEquals(settled.defaultPeriod, 60);
      assertEquals(settled.market.result, "yes");
      const bare = await json(f, `/api/markets/${SEED.bareMarket}`);
      assertEquals(bare.coverage.every((c: { first: null }) => c.first === null), true);
      await html(f, `/markets/${SEED.bareMarket}`);
      assertEquals((await get(f, "/markets/KXNOPE-1")).status, 404);
      assertEquals((await get(f, "/api/markets/KXNOPE-1")).status, 404);
    });

    await t.step(
      "the candles API returns each period in time order with exact decimals",
      async () => {
        const candlesOf = `/api/markets/${SEED.activeMarket}/candles`;
        for (const period of [1, 60, 1440] as const) {
          const res = await json(f, `/api/markets/${SEED.activeMarket}/candles?period=${period}`);
          assertEquals(res.period, period);
          assertEquals(res.candles.length, SEED.activeCandles[period]);
          assertEquals(res.truncated, false);
          const times = res.candles.map((c: { end_period_ts: string }) => c.end_period_ts);
          assertEquals(times, [...times].sort());
        }
        const one = await json(f, `/api/markets/${SEED.activeMarket}/candles?period=1`);
        assertEquals(typeof one.candles[0].price_open, "string");
        assertOk(/^\d\.\d{4}$/.test(one.candles[0].yes_bid_close));
        assertEquals(one.candles[4].price_open, null, "a period without trades keeps null prices");
        const byDefault = await json(f, `/api/markets/${SEED.activeMarket}/candles`);
        assertEquals(byDefault.period, 60);
        // shape=rows: the same candles as arrays in the order of `columns`.
        const fields = "volume,price_close,yes_bid_close";
        const objects = await json(f, `${candlesOf}?period=1&fields=${fields}`);
        const rows = await json(f, `${candlesOf}?period=1&fields=${fields}&shape=rows`);
        assertEquals(rows.columns, ["end_period_ts", "price_close", "yes_bid_close", "volume"]);
        assertEquals(objects.columns, undefined);
        assertEquals(
          rows.candles.map((row: (string | null)[]) =>
            Object.fromEntries(rows.columns.map((c: string, i: number) => [c, row[i]]))
          ),
          objects.candles,
        );
        assertEquals(rows.candles.length, SEED.activeCandles[1]);
      },
    );

    await t.step("the candles API honours from (inclusive) and to (exclusive)", async () => {
      const to = new Date(SEED_NOW.getTime() - 60 * 60_000).toISOString();
      const from = new Date(SEED_NOW.getTime() - 120 * 60_000).toISOString();
      const res = await json(
        f,
        `/api/markets/${SEED.activeMarket}/candles?period=1&from=${from}&to=${to}`,
      );
      assertEquals(res.candles.length, 60);
      assertEquals(res.candles[0].end_period_ts, from);
      const unix = await json(
        f,
        `/api/markets/${SEED.activeMarket}/candles?period=1&from=${Date.parse(from) / 1000}&to=${
          Date.parse(to) / 1000
        }`,
      );
      assertEquals(unix.candles.length, 60);
    });

    await t.step("candles download as CSV for any range", async () => {
      const res = await get(f, `/api/markets/${SEED.activeMarket}/candles?period=1&format=csv`);
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type"), "text/csv; charset=utf-8");
      assertOk(
        res.headers.get("content-disposition")!.includes(`${SEED.activeMarket}_candles_1m.csv`),
      );
      const lines = (await res.text()).trimEnd().split("\n");
      assertEquals(lines.length, 1 + SEED.activeCandles[1]);
      assertOk(lines[0].startsWith("end_period_ts,price_open,price_high"));
      assertOk(/^2026-01-12T02:01:00\.000Z,0\.\d{4},/.test(lines[1]), lines[1]);
    });

    await t.step(
      "ticks download as CSV (last 24 h by default) and as JSON with a limit",
      async () => {
        const csv = await get(f, `/api/markets/${SEED.activeMarket}/ticks`);
        assertEquals(csv.status, 200);
        const lines = (await csv.text()).trimEnd().split("\n");
        assertEquals(lines.length, 1 + SEED.activeTicks);
        const res = await json(f, `/api/markets/${SEED.activeMarket}/ticks?format=json&limit=10`);
        assertEquals(res.ticks.length, 10);
        assertEquals(res.truncated, true);
        assertEquals(res.ticks[9].ts, new Date(SEED_NOW.getTime() - 60_000 + 1000).toISOString());
        const early = await json(
          f,
          `/api/markets/${SEED.activeMarket}/ticks?format=json&from=2026-01-01&to=2026-01-02`,
        );
        assertEquals(early.ticks.length, 0);
      },
    );

    await t.step("candle and tick routes reject bad parameters and unknown markets", async () => {
      const base = `/api/markets/${SEED.activeMarket}`;
      await badRequest(f, `${base}/candles?period=5`, "period");
      await badRequest(f, `${base}/candles?period=60&from=soon`, "from");
      await badRequest(f, `${base}/candles?from=2026-01-10&to=2026-01-09`, "from");
      await badRequest(f, `${base}/candles?format=xml`, "format");
      await badRequest(f, `${base}/candles?shape=columns`, "shape");
      await badRequest(f, `${base}/candles?format=csv&shape=rows`, "shape");
      await badRequest(f, `${base}/candles?limit=5`, "limit");
      await badRequest(f, `${base}/ticks?limit=100000`, "limit");
      await badRequest(f, `${base}/ticks?to=99999999999999`, "to");
      assertEquals((await get(f, "/api/markets/KXNOPE/candles?period=60")).status, 404);
      assertEquals((await get(f, "/api/markets/KXNOPE/ticks")).status, 404);
      assertEquals((await get(f, "/api/markets/KXNOPE/candles?format=csv")).status, 404);
    });

    await t.step("predictions are scored with the shared scoring module", async () => {
      const body = await html(f, "/predictions");
      assertOk(body.includes('data-testid="brier">0.075<'), "Brier of the 4 resolved forecasts");
      assertOk(body.includes("calibration-chart"));
      assertOk(!body.includes("<script"));
      const all = await json(f, "/api/predictions");
      assertEquals(all.items.length, 5);
      assertEquals(all.scores.resolved, 4);
      assertEquals(
        all.scores.model.brier,
        brierScore([
          { probability: "0.9", outcome: "1" },
          { probability: "0.6", outcome: "1" },
          { probability: "0.3", outcome: "0" },
          { probability: "0.8", outcome: "1" },
        ]),
      );
      assertEquals(
        all.scores.marketPrice.brier,
        brierScore([
          { probability: "0.75", outcome: "1" },
          { probability: "0.55", outcome: "1" },
          { probability: "0.2", outcome: "0" },
          { probability: "0.75", outcome: "1" },
        ]),
      );
      const llm = await json(f, "/api/predictions?model=llm-v0");
      assertEquals(llm.scores.model.brier, 0.01);
      assertEquals(all.models.map((m: { model: string }) => m.model), ["baseline-v1", "llm-v0"]);
      const page = await json(f, "/api/predictions?limit=2");
      const next = await json(f, page.next_url);
      assertEquals(next.items.length, 2);
      assertOk(Number(next.items[0].id) < Number(page.items[1].id));
      await badRequest(f, "/api/predictions?limit=1000", "limit");
      await badRequest(f, "/predictions?market=bad'ticker", "market");
    });

    await t.step("health check, static assets and unknown routes", async () => {
      const health = await get(f, "/healthz");
      assertEquals(health.status, 200);
      assertEquals(await health.json(), { status: "ok" });
      const css = f.assets.url("styles.css");
      const asset = await get(f, css);
      assertEquals(asset.status, 200);
      assertEquals(asset.headers.get("content-type"), "text/css; charset=utf-8");
      assertEquals(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assertEquals((await get(f, "/static/build/missing-000000000000.js")).status, 404);
      assertEquals((await get(f, "/static/build/..%2F..%2Fmain.ts")).status, 404);
      const page = await get(f, "/nope");
      assertEquals(page.status, 404);
      assertOk((await page.text()).includes("Nothing lives at /nope"));
      const api = await get(f, "/api/nope");
      assertEquals(api.status, 404);
      assertEquals((await api.json()).error.status, 404);
      assertEquals((await get(f, "/", { method: "POST" })).status, 404);
    });

    await t.step(
      "every response carries strict security headers and fitting cache headers",
      async () => {
        for (
          const path of [
            "/",
            "/api/browse",
            "/nope",
            "/api/browse?limit=0",
            "/healthz",
            f.assets.url("styles.css"),
          ]
        ) {
          const res = await get(f, path);
          await res.body?.cancel();
          assertEquals(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY, path);
          assertEquals(res.headers.get("x-content-type-options"), "nosniff", path);
          assertEquals(res.headers.get("x-frame-options"), "DENY", path);
          assertEquals(res.headers.get("referrer-policy"), "strict-origin-when-cross-origin", path);
          assertEquals(res.headers.get("strict-transport-security"), null, path);
        }
        assertOk(!CONTENT_SECURITY_POLICY.includes("unsafe-inline"));
        const page = await get(f, "/browse");
        await page.body?.cancel();
        assertEquals(page.headers.get("cache-control"), "public, max-age=15");
        const https = await get(f, "/", { headers: { "x-forwarded-proto": "https" } });
        await https.body?.cancel();
        assertEquals(
          https.headers.get("strict-transport-security"),
          "max-age=31536000; includeSubDomains",
        );
      },
    );

    await t.step("the Front Door lock answers 403 without the matching X-Azure-FDID", async () => {
      const id = "3c8e9f2a-1b4d-4e6f-8a9b-0c1d2e3f4a5b";
      const app = f.appWith({ frontDoorId: id });
      const none = await app.request("/");
      assertEquals(none.status, 403);
      assertEquals(none.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
      assertEquals((await app.request("/", { headers: { "x-azure-fdid": "other" } })).status, 403);
      assertEquals(
        (await app.request("/api/overview", { headers: { "x-azure-fdid": id } })).status,
        200,
      );
      assertEquals(
        (await app.request("/", { headers: { "x-azure-fdid": id.toUpperCase() } })).status,
        200,
      );
      assertEquals((await app.request("/healthz")).status, 200, "health check exempt");
    });

    await t.step("a failing query answers 500 without details and is logged", async () => {
      await f.db.sql`ALTER TABLE dead_letters RENAME TO dead_letters_moved`;
      try {
        const app = f.appWith({});
        const res = await app.request("/api/overview");
        assertEquals(res.status, 500);
        const body = await res.json();
        assertEquals(body.error.status, 500);
        assertOk(!JSON.stringify(body).includes("dead_letters"));
        assertOk(f.logs.some((l) => l.includes("request failed") && l.includes("dead_letters")));
      } finally {
        await f.db.sql`ALTER TABLE dead_letters_moved RENAME TO dead_letters`;
      }
    });
  } finally {
    await f.close();
  }
});

Deno.test("every page renders on an empty database, with an explained predictions state", async () => {
  const f = await createPortalFixture({ seed: false });
  try {
    const overview = await html(f, "/");
    assertOk(overview.includes("No backfill job yet."));
    assertOk(overview.includes("No capture session recorded."));
    const predictions = await html(f, "/predictions");
    assertOk(predictions.includes("No prediction is stored yet."));
    assertOk(predictions.includes("lib/predictions/scoring.ts"));
    const api = await json(f, "/api/predictions");
    assertEquals(api.scores, null);
    assertEquals((await json(f, "/api/browse")).items, []);
    assertOk((await html(f, "/browse")).includes("Nothing matches these filters."));
  } finally {
    await f.close();
  }
});
