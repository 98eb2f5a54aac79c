/**
 * The client's contract, as one reusable suite: run it against the fixture server (this
 * folder's tests) and against the simulator, so both are held to the same behaviour. It only
 * relies on what any Kalshi-compatible server must do, never on particular data.
 */
import { assertEquals, assertOk, assertRejects } from "../../testing/assert.ts";
import type { KalshiCredentials } from "../auth.ts";
import { KalshiHttpError } from "../errors.ts";
import { createRateLimiter } from "../rate_limit.ts";
import { createRestClient } from "../rest.ts";
import { createWsClient, type WsStreamItem } from "../ws.ts";

/** Where the server under test listens. */
export interface ContractTarget {
  /** REST base URL including /trade-api/v2. */
  restUrl: string;
  /** WebSocket URL; the WebSocket steps are skipped without it. */
  wsUrl?: string;
  /** Credentials, when the server checks signatures. */
  credentials?: KalshiCredentials | null;
  /** Page size used for pagination checks (default 2, so walks span several pages). */
  pageSize?: number;
  /** Page cap for walks (default 200). */
  maxPages?: number;
}

function unique(values: string[]): boolean {
  return new Set(values).size === values.length;
}

/** Runs the client contract as steps of `t`. */
export async function runClientContract(
  t: Deno.TestContext,
  target: ContractTarget,
): Promise<void> {
  const client = createRestClient({
    baseUrl: target.restUrl,
    credentials: target.credentials ?? null,
    limiter: createRateLimiter({ ratePerSecond: 1000, burst: 100 }),
    maxRetries: 2,
  });
  const pageSize = target.pageSize ?? 2;
  const maxPages = target.maxPages ?? 200;

  await t.step("exchange status parses", async () => {
    const status = await client.getExchangeStatus();
    assertEquals(typeof status.exchange_active, "boolean");
  });

  await t.step("historical cutoff parses into RFC 3339 instants", async () => {
    const cutoff = await client.getHistoricalCutoff();
    assertOk(!Number.isNaN(Date.parse(cutoff.marketSettledTs)));
  });

  await t.step("series list and single series agree", async () => {
    const series = await client.listSeries();
    assertOk(series.length > 0, "no series");
    const one = await client.getSeries(series[0].ticker);
    assertEquals(one.ticker, series[0].ticker);
  });

  const tickers: string[] = [];
  await t.step("markets walk yields every market once across pages", async () => {
    let pages = 0;
    for await (const page of client.marketPages({ limit: pageSize }, { maxPages })) {
      pages++;
      assertOk(page.items.length <= pageSize, `page of ${page.items.length} > limit ${pageSize}`);
      tickers.push(...page.items.map((m) => m.ticker));
    }
    assertOk(tickers.length > 0, "no markets");
    assertOk(unique(tickers), "a market was returned twice");
    assertOk(pages >= Math.ceil(tickers.length / pageSize));
  });

  await t.step("a listed market can be fetched, and its event lists it", async () => {
    const market = await client.getMarket(tickers[0]);
    assertEquals(market.ticker, tickers[0]);
    const { event, markets } = await client.getEvent(market.eventTicker, {
      withNestedMarkets: true,
    });
    assertEquals(event.eventTicker, market.eventTicker);
    assertOk(markets.some((m) => m.ticker === market.ticker));
    const candles = await client.getMarketCandlesticks(
      { seriesTicker: event.seriesTicker, ticker: market.ticker },
      {
        startTs: Math.floor(Date.parse(market.openTime) / 1000),
        endTs: Math.floor(Date.parse(market.openTime) / 1000) + 4000 * 3600,
        periodInterval: 60,
      },
    );
    assertEquals(candles.ticker, market.ticker);
  });

  await t.step("events walk yields every event once", async () => {
    const events: string[] = [];
    for await (const e of client.iterateEvents({ limit: pageSize }, { maxPages })) {
      events.push(e.eventTicker);
    }
    assertOk(events.length > 0 && unique(events));
  });

  await t.step("batch candlesticks answer per requested market", async () => {
    const some = tickers.slice(0, 3);
    const result = await client.getBatchCandlesticks(some, {
      startTs: 0,
      endTs: 1,
      periodInterval: 1440,
    });
    for (const r of result) assertOk(some.includes(r.ticker));
  });

  await t.step("trades page parses with exact prices", async () => {
    const page = await client.listTrades({ limit: 5 });
    for (const trade of page.items) assertOk(Number.isInteger(trade.yesPrice));
  });

  await t.step("an unknown market is a 404 KalshiHttpError with its endpoint", async () => {
    const error = await assertRejects(
      client.getMarket("NO-SUCH-MARKET-CONTRACT-TEST"),
      KalshiHttpError,
    );
    assertEquals(error.status, 404);
    assertOk(error.endpoint.endsWith("/markets/NO-SUCH-MARKET-CONTRACT-TEST"));
  });

  if (target.wsUrl === undefined) return;
  await t.step("WebSocket subscribe is confirmed per channel", async () => {
    const ws = createWsClient({ url: target.wsUrl, credentials: target.credentials ?? null });
    try {
      await ws.subscribe("ticker", { marketTickers: tickers.slice(0, 2) });
      await ws.subscribe("market_lifecycle_v2");
      const channels = ws.subscriptions().map((s) => [s.channel, s.sid !== null]);
      assertEquals(channels, [["ticker", true], ["market_lifecycle_v2", true]]);
      const seen: WsStreamItem[] = [];
      for await (const item of ws) {
        seen.push(item);
        if (item.kind === "message" && item.message.type === "subscribed" && seen.length >= 2) {
          break;
        }
      }
      assertOk(seen.every((i) => i.kind !== "invalid"));
    } finally {
      await ws.close();
    }
  });
}
