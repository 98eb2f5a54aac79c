import { withTestDatabase } from "../db/testing/database.ts";
import type { Sql } from "../db/mod.ts";
import { createRestClient, systemClock } from "../kalshi/mod.ts";
import { readFixture } from "../kalshi/testing/fixtures.ts";
import { createLogger } from "../log/mod.ts";
import { assertEquals } from "../testing/assert.ts";
import { createDbSource } from "./db_source.ts";
import { createReplayRest } from "./rest.ts";
import { serveReplay } from "./server.ts";

const FROM = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;
const REAL = (readFixture("rest/market_get_KXNFLGAME-26OCT08TBDAL-DAL_2026-10-06.json") as {
  market: Record<string, unknown>;
}).market;

/** A market whose life (hours from the window start) is given; its stored payload says "finalized". */
interface Life {
  ticker: string;
  created: number;
  open: number;
  close: number;
  determined?: number;
  settled?: number;
}

const LIVES: Life[] = [
  { ticker: "R-UNOPENED", created: -5, open: 2, close: 9 },
  { ticker: "R-OPEN", created: -5, open: -1, close: 9, determined: 10, settled: 11 },
  { ticker: "R-CLOSED", created: -5, open: -4, close: -1, determined: 3, settled: 4 },
  { ticker: "R-DETERMINED", created: -5, open: -4, close: -3, determined: -2, settled: 1 },
  { ticker: "R-SETTLED", created: -9, open: -8, close: -7, determined: -6, settled: -5 },
  { ticker: "R-LATER", created: 1, open: 2, close: 9 },
];

async function insertMarkets(sql: Sql): Promise<void> {
  const at = (hours: number | undefined) =>
    hours === undefined ? null : new Date(FROM + hours * HOUR);
  await sql`INSERT INTO events ${
    sql({
      event_ticker: "R-EV",
      series_ticker: "R",
      raw: sql.json({ event_ticker: "R-EV", series_ticker: "R", title: "replay" }),
    })
  }`;
  for (const life of LIVES) {
    await sql`INSERT INTO markets ${
      sql({
        ticker: life.ticker,
        event_ticker: "R-EV",
        series_ticker: "R",
        status: "finalized",
        created_time: at(life.created),
        open_time: at(life.open),
        close_time: at(life.close),
        determination_ts: at(life.determined),
        settlement_ts: at(life.settled),
        raw: sql.json({
          ...REAL,
          ticker: life.ticker,
          event_ticker: "R-EV",
          status: "finalized",
          result: "yes",
          open_time: at(life.open)!.toISOString(),
          close_time: at(life.close)!.toISOString(),
        } as never),
      })
    }`;
  }
}

Deno.test("the REST side answers as of the window start: who exists, in which status, with a Date of replay time", async () => {
  await withTestDatabase(async ({ sql }) => {
    await insertMarkets(sql);
    // R-OPEN's quote: the last tick before the window start counts, not the one after it.
    await sql`SELECT ensure_tick_partitions(${new Date(FROM - 24 * HOUR)}, 3)`;
    for (const [hours, bid] of [[-2, "0.3000"], [-1, "0.4100"], [1, "0.9900"]] as const) {
      await sql`INSERT INTO ticks ${
        sql({
          market_ticker: "R-OPEN",
          ts: new Date(FROM + hours * HOUR),
          price: "0.4200",
          yes_bid: bid,
          yes_ask: "0.4300",
          volume: "7.00",
          open_interest: "5.00",
        })
      }`;
    }
    const served = serveReplay({
      source: createDbSource(sql),
      rest: createReplayRest(sql, { fromMs: FROM }),
      window: { fromMs: FROM, toMs: FROM + HOUR },
      speed: 0,
      quietMs: 100,
      clock: systemClock,
      logger: createLogger("replay_rest_test", { level: "error" }),
    });
    try {
      const client = createRestClient({ baseUrl: served.restUrl, readsPerSecond: 1000 });
      const page = await client.listMarkets({ limit: 1000 });
      assertEquals(
        page.items.map((m) => [m.ticker, m.status, m.result]),
        [
          ["R-CLOSED", "closed", ""],
          ["R-DETERMINED", "determined", "yes"],
          ["R-OPEN", "active", ""],
          ["R-SETTLED", "finalized", "yes"],
          ["R-UNOPENED", "initialized", ""],
        ],
      );
      const open = await client.listMarkets({ status: "open", limit: 1000 });
      assertEquals(open.items.map((m) => m.ticker), ["R-OPEN"]);
      assertEquals(
        [open.items[0].yesBid, open.items[0].yesAsk, open.items[0].noBid, open.items[0].lastPrice],
        [4100, 4300, 5700, 4200],
      );
      const historical = await client.listHistoricalMarkets({ limit: 1000 });
      assertEquals(historical.items.length, 0, "nothing settled before the cutoff (90 days back)");
      const response = await fetch(`${served.restUrl}/events?with_nested_markets=true`);
      assertEquals(response.headers.get("date"), new Date(FROM).toUTCString());
      const body = await response.json();
      assertEquals(body.events.map((e: { markets: unknown[] }) => e.markets.length), [5]);
      const missing = await fetch(`${served.restUrl}/markets?limit=0`);
      assertEquals(missing.status, 400);
      await missing.body?.cancel();
      // Careless or hostile parameters are the client's error (400), never the replay's (500).
      for (
        const path of [
          "/markets?series_ticker=R%00",
          "/markets?tickers=R-OPEN,R%00",
          "/events?event_ticker=R-EV%00",
          "/markets?cursor=%00",
          "/markets/R%00/orderbook",
          "/markets/%E0%A4%A/orderbook",
          `/markets/${"R".repeat(5000)}/orderbook`,
          "/markets/orderbooks?tickers=R-OPEN,R%00",
        ]
      ) {
        const bad = await fetch(`${served.restUrl}${path}`);
        assertEquals(bad.status, 400, `${path}: ${await bad.text()}`);
      }
    } finally {
      await served.close();
    }
  });
});
