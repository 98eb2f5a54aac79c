/**
 * Route tests of the research features (event prices, sorted and filtered browse, trades,
 * opportunities) against real PostgreSQL: every answer is compared with what the database says.
 */
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { ExportLimiter } from "./exports.ts";
import { CONTENT_SECURITY_POLICY } from "./security.ts";
import { createPortalFixture, type PortalFixture } from "./testing/portal.ts";
import { SEED, SEED_NOW } from "./testing/seed.ts";

async function json(f: PortalFixture, path: string) {
  const res = await f.app.request(path);
  assertEquals(res.status, 200, `${path} answered ${res.status}: ${await res.clone().text()}`);
  assertEquals(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
  return await res.json();
}

async function status(f: PortalFixture, path: string): Promise<[number, string | undefined]> {
  const res = await f.app.request(path);
  const body = await res.text();
  return [res.status, res.status === 400 ? JSON.parse(body).error.param : undefined];
}

/** Every page of a paged API answer, following next_url. */
async function allPages(f: PortalFixture, path: string, items = "items") {
  const rows: Record<string, unknown>[] = [];
  for (let url: string | null = path, n = 0; url; n++) {
    assertOk(n < 100, "paging ends");
    const body: Record<string, unknown> = await json(f, url);
    rows.push(...(body[items] as Record<string, unknown>[]));
    url = body.next_url as string | null;
  }
  return rows;
}

const SORT_SQL: Record<string, string> = {
  volume: "volume",
  volume_24h: "volume_24h",
  open_interest: "open_interest",
  close_time: "close_time",
  change: "last_price - previous_price",
};

Deno.test("research routes over seeded data", async (t) => {
  const f = await createPortalFixture();
  try {
    await t.step("event prices: one line per market, the midpoints the candles hold", async () => {
      const body = await json(f, `/api/events/${SEED.event}/prices?period=60`);
      const markets = await f.db.sql<{ ticker: string }[]>`
        SELECT ticker FROM markets WHERE event_ticker = ${SEED.event} ORDER BY ticker`;
      assertEquals(
        body.markets.map((m: { ticker: string }) => m.ticker),
        markets.map((m) => m.ticker),
      );
      for (const line of body.markets) {
        const rows = await f.db.sql<{ t: string; p: string }[]>`
          SELECT extract(epoch FROM end_period_ts)::bigint::text AS t,
                 trim_scale((yes_bid_close + yes_ask_close) / 2)::text AS p
          FROM candles WHERE market_ticker = ${line.ticker} AND period_minutes = 60
          ORDER BY end_period_ts`;
        assertEquals(line.points, rows.map((r) => [Number(r.t), r.p]));
        assertOk(line.points.length > 0);
      }
      assertEquals(await status(f, "/api/events/NOPE/prices"), [404, undefined]);
      assertEquals(await status(f, `/api/events/${SEED.event}/prices?period=5`), [400, "period"]);
    });

    await t.step("event prices are thinned to the budget but keep every market", async () => {
      const body = await json(f, `/api/events/${SEED.event}/prices?period=1`);
      const line = body.markets.find((m: { ticker: string }) => m.ticker === SEED.activeMarket);
      assertEquals(line.points.length, SEED.activeCandles[1]); // under the budget: all
      assertEquals(body.markets.length, 2);
    });

    await t.step("the event page has the chart island, legend and implied sum", async () => {
      const res = await f.app.request(`/events/${SEED.event}`);
      const page = await res.text();
      assertOk(page.includes('data-island="EventChart"'));
      assertOk(page.includes('data-testid="implied-sum"'));
      const settled = await (await f.app.request("/events/KXBTC-26JAN05")).text();
      assertOk(settled.includes("✓ winner"), "the winning outcome is marked");
    });

    for (const sort of Object.keys(SORT_SQL)) {
      for (const order of ["asc", "desc"]) {
        await t.step(`browse sorted by ${sort} ${order} pages as the database orders`, async () => {
          const listed = await allPages(f, `/api/browse?sort=${sort}&order=${order}&limit=7`);
          const expected = await f.db.sql<{ ticker: string }[]>`
            SELECT ticker FROM markets
            ORDER BY ${f.db.sql.unsafe(SORT_SQL[sort])} ${f.db.sql.unsafe(order)} NULLS LAST,
                     ticker ${f.db.sql.unsafe(order)}`;
          assertEquals(listed.map((m) => m.ticker), expected.map((m) => m.ticker));
        });
      }
    }

    await t.step("browse filters: several categories, frequency, closing within", async () => {
      const two = await allPages(f, "/api/browse?category=Crypto&category=Economics");
      const expected = await f.db.sql<{ ticker: string }[]>`
        SELECT ticker FROM markets WHERE series_ticker IN ('KXBTC', 'KXFED') ORDER BY ticker`;
      assertEquals(two.map((m) => m.ticker), expected.map((m) => m.ticker));
      const monthly = await allPages(f, "/api/browse?frequency=monthly");
      assertEquals(monthly.map((m) => m.ticker), ["KXFED-26JAN-C25", "KXFED-26JAN-H0"]);
      const soon = await allPages(f, "/api/browse?closes_within=6&sort=close_time");
      const closing = await f.db.sql<{ ticker: string }[]>`
        SELECT ticker FROM markets
        WHERE close_time >= ${SEED_NOW} AND close_time < ${new Date(
        SEED_NOW.getTime() + 6 * 3600_000,
      )}
        ORDER BY close_time, ticker`;
      assertEquals(soon.map((m) => m.ticker), closing.map((m) => m.ticker));
      assertOk(closing.length > 0);
      assertEquals(await status(f, "/api/browse?sort=title"), [400, "sort"]);
      assertEquals(await status(f, "/api/browse?order=asc"), [400, "order"]);
      assertEquals(await status(f, "/api/browse?sort=volume&after=A"), [400, "after_key"]);
      assertEquals(
        await status(f, "/api/browse?sort=volume&after=A&after_key=2026-01-01T00:00:00Z"),
        [400, "after_key"],
      );
      assertEquals(await status(f, "/api/browse?kind=events&frequency=daily"), [400, "frequency"]);
      for (const key of ["2026-13-45T00:00:00Z", "2026-02-30T00:00:00Z", "0000-01-01T00:00:00Z"]) {
        const forged = `/api/browse?sort=close_time&after=A&after_key=${key}`;
        assertEquals(await status(f, forged), [400, "after_key"], forged);
      }
      for (const param of ["q", "category", "frequency"]) {
        assertEquals(await status(f, `/api/browse?${param}=a%00b`), [400, param]);
      }
    });

    await t.step("browse rows carry a sparkline drawn from the candles", async () => {
      const page = await (await f.app.request(`/browse?event=${SEED.event}`)).text();
      assertEquals(page.match(/<svg class="sparkline"/g)?.length, 2);
      assertOk(page.includes('data-points="48"'));
    });

    await t.step("trades page newest first, across ties, and equal the database", async () => {
      const listed = await allPages(
        f,
        `/api/markets/${SEED.activeMarket}/trades?limit=40`,
        "trades",
      );
      const rows = await f.db.sql<{ trade_id: string }[]>`
        SELECT trade_id FROM trades WHERE market_ticker = ${SEED.activeMarket}
        ORDER BY created_time DESC, trade_id DESC`;
      assertEquals(listed.length, SEED.activeTrades);
      assertEquals(listed.map((r) => r.trade_id), rows.map((r) => r.trade_id));
    });

    await t.step("trades CSV of a range equals the database rows", async () => {
      const from = new Date(SEED_NOW.getTime() - 5 * 3600_000).toISOString();
      const to = new Date(SEED_NOW.getTime() - 3600_000).toISOString();
      const res = await f.app.request(
        `/api/markets/${SEED.activeMarket}/trades?format=csv&from=${from}&to=${to}`,
      );
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type"), "text/csv; charset=utf-8");
      const lines = (await res.text()).trimEnd().split("\n");
      const rows = await f.db.sql<{ line: string }[]>`
        SELECT concat_ws(',', trade_id,
          to_char(created_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          yes_price, no_price, count, taker_side, source) AS line
        FROM trades WHERE market_ticker = ${SEED.activeMarket}
          AND created_time >= ${from} AND created_time < ${to}
        ORDER BY created_time, trade_id`;
      assertEquals(lines[0], "trade_id,created_time,yes_price,no_price,count,taker_side,source");
      assertEquals(lines.slice(1), rows.map((r) => r.line));
      assertOk(rows.length > 20);
      assertEquals(
        await status(f, `/api/markets/${SEED.activeMarket}/trades?format=csv&limit=5`),
        [400, "limit"],
      );
      assertEquals(await status(f, "/api/markets/NOPE/trades"), [404, undefined]);
      const forged =
        `/api/markets/${SEED.activeMarket}/trades?before=2026-02-30T25:00:00Z&before_id=x`;
      assertEquals(await status(f, forged), [400, "before"]);
    });

    await t.step("trades downloads count against the export cap", async () => {
      const limiter = new ExportLimiter({ perClient: 1, total: 1 });
      const app = f.appWith({ exports: { limiter } });
      const held = limiter.tryAcquire("someone else");
      try {
        const res = await app.request(`/api/markets/${SEED.activeMarket}/trades?format=csv`);
        assertEquals(res.status, 429);
        await res.body?.cancel();
      } finally {
        if ("release" in held) held.release();
      }
    });

    await t.step("the trades page lists 100 per page and links older ones", async () => {
      const page = await (await f.app.request(`/markets/${SEED.activeMarket}/trades`)).text();
      assertEquals(page.match(/data-trade-id=/g)?.length, 100);
      assertOk(page.includes('rel="next"'));
    });
  } finally {
    await f.close();
  }
});

Deno.test("opportunities list exactly the events whose YES prices sum off by more than the threshold", async () => {
  const f = await createPortalFixture({ seed: false });
  try {
    const sql = f.db.sql;
    // event: [mutually exclusive, [[status, bid, ask, ask size], ...]]
    const events: Record<string, [boolean, [string, string, string, string][]]> = {
      ASKHIGH: [true, [["active", "0.50", "0.55", "10"], ["active", "0.50", "0.56", "7"]]], // asks 1.11
      ASKLOW: [true, [["active", "0.46", "0.45", "5"], ["active", "0.46", "0.45", "9"]]], // asks 0.90
      NEAR: [true, [["active", "0.48", "0.51", "5"], ["active", "0.48", "0.52", "5"]]], // 1.03, 0.995
      MIDOFF: [true, [["active", "0.30", "0.52", "5"], ["active", "0.30", "0.52", "5"]]], // mid 0.82
      NOTME: [false, [["active", "0.50", "0.60", "5"], ["active", "0.50", "0.60", "5"]]],
      CLOSED: [true, [["active", "0.50", "0.60", "5"], ["closed", "0.50", "0.60", "5"]]],
    };
    for (const [event, [exclusive, markets]] of Object.entries(events)) {
      await sql`INSERT INTO events (event_ticker, series_ticker, mutually_exclusive, raw)
        VALUES (${event}, 'S', ${exclusive}, '{}')`;
      for (const [i, [status, bid, ask, size]] of markets.entries()) {
        await sql`INSERT INTO markets (ticker, event_ticker, status, yes_bid, yes_ask,
            yes_ask_size, raw)
          VALUES (${`${event}-${i}`}, ${event}, ${status}, ${bid}, ${ask}, ${size}, '{}')`;
      }
    }
    const body = await json(f, "/api/opportunities");
    assertEquals(body.threshold, "0.05");
    assertEquals(
      body.items.map((o: { event_ticker: string; gap: string }) => [o.event_ticker, o.gap]),
      [["MIDOFF", "0.18"], ["ASKHIGH", "0.11"], ["ASKLOW", "0.10"]],
    );
    const high = body.items.find((o: { event_ticker: string }) => o.event_ticker === "ASKHIGH");
    assertEquals([high.ask_sum, high.mid_sum, high.ask_size], ["1.11", "1.055", "7"]);
    const strict = await json(f, "/api/opportunities?threshold=0.105&sort=ask_sum&order=asc");
    assertEquals(
      strict.items.map((o: { event_ticker: string }) => o.event_ticker),
      ["MIDOFF", "ASKHIGH"],
    );
    const paged = await allPages(f, "/api/opportunities?threshold=0.01&limit=1");
    assertEquals(paged.map((o) => o.event_ticker), ["MIDOFF", "ASKHIGH", "ASKLOW", "NEAR"]);
    const page = await (await f.app.request("/opportunities")).text();
    assertOk(page.includes('<a href="/events/MIDOFF">MIDOFF</a>'));
    assertEquals(await status(f, "/api/opportunities?threshold=2"), [400, "threshold"]);
    assertEquals(await status(f, "/api/opportunities?sort=title"), [400, "sort"]);
    // One market without a bid or an ask size: its event's midpoint sum and size are unknown,
    // not the sum and least size of the others.
    await sql`INSERT INTO events (event_ticker, series_ticker, mutually_exclusive, raw)
      VALUES ('NOBID', 'S', true, '{}')`;
    await sql`INSERT INTO markets (ticker, event_ticker, status, yes_bid, yes_ask, yes_ask_size, raw)
      VALUES ('NOBID-0', 'NOBID', 'active', 0.48, 0.51, 5, '{}'),
             ('NOBID-1', 'NOBID', 'active', NULL, 0.52, NULL, '{}')`;
    const unknown = await json(f, "/api/opportunities?threshold=0.01");
    const nobid = unknown.items.find((o: { event_ticker: string }) => o.event_ticker === "NOBID");
    assertEquals([nobid.ask_sum, nobid.mid_sum, nobid.gap, nobid.ask_size], [
      "1.03",
      null,
      "0.03",
      null,
    ]);
    assertEquals(
      (await json(f, "/api/opportunities")).items.map((o: { event_ticker: string }) =>
        o.event_ticker
      ),
      ["MIDOFF", "ASKHIGH", "ASKLOW"],
    );
  } finally {
    await f.close();
  }
});
