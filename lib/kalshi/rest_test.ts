import { generateKeyPairSync } from "node:crypto";
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import { verifyAuthHeaders } from "./auth.ts";
import type { Clock } from "./clock.ts";
import {
  KalshiHttpError,
  KalshiNetworkError,
  KalshiPaginationError,
  KalshiSchemaError,
} from "./errors.ts";
import { createRateLimiter } from "./rate_limit.ts";
import { createRestClient, type RestClientOptions } from "./rest.ts";
import { readFixture } from "./testing/fixtures.ts";

const MARKET = readFixture("rest/market_get_KXNFLGAME-26OCT08TBDAL-DAL_2026-10-06.json")
  .market as { ticker: string } & Record<string, unknown>;

function market(ticker: string) {
  return { ...MARKET, ticker };
}

/** A clock whose sleeps return at once but are recorded, and whose time advances by them. */
function recordingClock() {
  let now = 1_780_000_000_000;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  return { clock, sleeps };
}

/** What the server saw of a request (Request objects close with their response). */
interface Seen {
  url: string;
  method: string;
  headers: Headers;
}

async function withServer(
  handler: (request: Request) => Response | Promise<Response>,
  body: (baseUrl: string, requests: Seen[]) => Promise<void>,
): Promise<void> {
  const requests: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    requests.push({
      url: request.url,
      method: request.method,
      headers: new Headers(request.headers),
    });
    return handler(request);
  });
  try {
    await body(`http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/trade-api/v2`, requests);
  } finally {
    await server.shutdown();
  }
}

function client(baseUrl: string, extra: RestClientOptions = {}) {
  const { clock, sleeps } = recordingClock();
  return {
    sleeps,
    rest: createRestClient({
      baseUrl,
      clock,
      random: () => 0.5,
      limiter: createRateLimiter({ ratePerSecond: 10_000, burst: 10_000, clock }),
      ...extra,
    }),
  };
}

const json = (body: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(body), {
    ...init,
    headers: { "content-type": "application/json", ...init.headers },
  });

for (const ending of ["absent", "null", "empty"] as const) {
  Deno.test(`market pagination walks every page once and stops on ${ending} cursor`, async () => {
    const pages: Record<string, { tickers: string[]; next: string | null | undefined }> = {
      "": { tickers: ["A-1", "A-2"], next: "c1" },
      c1: { tickers: ["A-3", "A-4"], next: "c2" },
      c2: {
        tickers: ["A-5"],
        next: ending === "absent" ? undefined : ending === "null" ? null : "",
      },
    };
    await withServer((request) => {
      const cursor = new URL(request.url).searchParams.get("cursor") ?? "";
      const page = pages[cursor];
      const body: Record<string, unknown> = { markets: page.tickers.map(market) };
      if (page.next !== undefined) body.cursor = page.next;
      return json(body);
    }, async (baseUrl, requests) => {
      const { rest } = client(baseUrl);
      const seen: string[] = [];
      for await (const m of rest.iterateMarkets({ limit: 2, status: "open" })) seen.push(m.ticker);
      assertEquals(seen, ["A-1", "A-2", "A-3", "A-4", "A-5"]);
      assertEquals(requests.map((r) => new URL(r.url).searchParams.get("cursor")), [
        null,
        "c1",
        "c2",
      ]);
      for (const r of requests) {
        assertEquals(new URL(r.url).searchParams.get("status"), "open");
        assertEquals(new URL(r.url).searchParams.get("limit"), "2");
      }
    });
  });
}

Deno.test("a repeated cursor stops the walk with KalshiPaginationError instead of looping", async () => {
  await withServer((request) => {
    const cursor = new URL(request.url).searchParams.get("cursor");
    return json({
      markets: [market(`B-${cursor}`)],
      cursor: cursor === null ? "x" : cursor === "x" ? "y" : "x",
    });
  }, async (baseUrl, requests) => {
    const { rest } = client(baseUrl);
    const seen: string[] = [];
    const error = await assertRejects(async () => {
      for await (const m of rest.iterateMarkets()) seen.push(m.ticker);
    }, KalshiPaginationError);
    assertEquals(error.cursor, "x");
    assertEquals(seen, ["B-null", "B-x", "B-y"]);
    assertEquals(requests.length, 3);
  });
});

Deno.test("filters are sent as Kalshi's snake_case query parameters", async () => {
  await withServer(() => json({ markets: [], cursor: "" }), async (baseUrl, requests) => {
    const { rest } = client(baseUrl);
    await rest.listMarkets({
      eventTicker: "E-1",
      seriesTicker: "S",
      tickers: ["A", "B"],
      mveFilter: "exclude",
      minCloseTs: 10,
      maxCloseTs: 20,
    });
    const q = new URL(requests[0].url).searchParams;
    assertEquals(Object.fromEntries(q), {
      event_ticker: "E-1",
      series_ticker: "S",
      tickers: "A,B",
      mve_filter: "exclude",
      min_close_ts: "10",
      max_close_ts: "20",
    });
  });
});

Deno.test("429 with Retry-After waits exactly that long, then succeeds", async () => {
  let calls = 0;
  await withServer(() => {
    calls++;
    return calls === 1
      ? json({ error: { code: "too_many_requests", message: "too many requests" } }, {
        status: 429,
        headers: { "retry-after": "3" },
      })
      : json({ market: MARKET });
  }, async (baseUrl) => {
    const { rest, sleeps } = client(baseUrl);
    const m = await rest.getMarket(MARKET.ticker);
    assertEquals(m.ticker, MARKET.ticker);
    assertEquals(sleeps, [3000]);
  });
});

Deno.test("429 without Retry-After backs off exponentially with jitter until it succeeds", async () => {
  let calls = 0;
  await withServer(() => {
    calls++;
    return calls <= 3
      ? json({ error: "too many requests" }, { status: 429 })
      : json({ market: MARKET });
  }, async (baseUrl) => {
    const retries: number[] = [];
    const { rest, sleeps } = client(baseUrl, {
      backoff: { baseMs: 100, maxMs: 10_000 },
      onRetry: (info) => retries.push(info.status ?? 0),
    });
    await rest.getMarket(MARKET.ticker);
    // random() = 0.5 → delay = ceiling/2 + ceiling/4 = 0.75 × 100 × 2^attempt.
    assertEquals(sleeps, [75, 150, 300]);
    assertEquals(retries, [429, 429, 429]);
  });
});

Deno.test("5xx is retried and gives up after maxRetries with a typed error", async () => {
  await withServer(
    () => new Response("<html>bad gateway</html>", { status: 502 }),
    async (baseUrl, requests) => {
      const { rest, sleeps } = client(baseUrl, { maxRetries: 2 });
      const error = await assertRejects(rest.getExchangeStatus(), KalshiHttpError);
      assertEquals(error.status, 502);
      assertEquals(error.endpoint, "GET /trade-api/v2/exchange/status");
      assertOk(error.bodyExcerpt.includes("bad gateway"));
      assertEquals(requests.length, 3);
      assertEquals(sleeps.length, 2);
    },
  );
});

Deno.test("4xx other than 429 is not retried and carries Kalshi's error code", async () => {
  await withServer(
    () =>
      json({ error: { code: "bad_request", message: "Parameter validation failed" } }, {
        status: 400,
      }),
    async (baseUrl, requests) => {
      const { rest } = client(baseUrl);
      const error = await assertRejects(rest.listMarkets({ status: "open" }), KalshiHttpError);
      assertEquals([error.status, error.code, error.retryable], [400, "bad_request", false]);
      assertEquals(requests.length, 1);
    },
  );
});

Deno.test("a 200 with a payload that breaks the schema is a KalshiSchemaError naming the field", async () => {
  await withServer(
    () => json({ market: { ...MARKET, yes_bid_dollars: "lots" } }),
    async (baseUrl) => {
      const { rest } = client(baseUrl);
      const error = await assertRejects(rest.getMarket("X"), KalshiSchemaError);
      assertOk(error.issues[0].startsWith("market.yes_bid_dollars:"));
    },
  );
});

Deno.test("network errors are retried and then reported as KalshiNetworkError", async () => {
  let calls = 0;
  const failingFetch: typeof fetch = () => {
    calls++;
    return Promise.reject(new TypeError("connection refused"));
  };
  const { rest, sleeps } = client("http://127.0.0.1:9/trade-api/v2", {
    fetch: failingFetch,
    maxRetries: 3,
  });
  const error = await assertRejects(rest.getExchangeStatus(), KalshiNetworkError);
  assertEquals(error.timedOut, false);
  assertEquals(calls, 4);
  assertEquals(sleeps.length, 3);
});

Deno.test("a request that exceeds its timeout is aborted and reported as timed out", async () => {
  const hangingFetch: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true });
    });
  const { rest } = client("http://127.0.0.1:9/trade-api/v2", {
    fetch: hangingFetch,
    maxRetries: 0,
    timeoutMs: 20,
  });
  const error = await assertRejects(rest.getExchangeStatus(), KalshiNetworkError);
  assertEquals(error.timedOut, true);
});

Deno.test("requests are signed over the path without query when credentials are configured", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await withServer(() => json({ markets: [], cursor: "" }), async (baseUrl, requests) => {
    const { rest } = client(baseUrl, { credentials: { keyId: "kid", privateKey } });
    await rest.listMarkets({ limit: 5 });
    const request = requests[0];
    assertEquals(request.headers.get("KALSHI-ACCESS-KEY"), "kid");
    assertOk(
      verifyAuthHeaders(publicKey, { method: "GET", url: request.url, headers: request.headers }),
    );
  });
});

Deno.test("batch candlesticks split more than 100 tickers into calls of at most 100", async () => {
  await withServer((request) => {
    const tickers = new URL(request.url).searchParams.get("market_tickers")!.split(",");
    return json({ markets: tickers.map((t) => ({ market_ticker: t, candlesticks: [] })) });
  }, async (baseUrl, requests) => {
    const { rest } = client(baseUrl);
    const tickers = Array.from({ length: 250 }, (_, i) => `T-${i}`);
    const result = await rest.getBatchCandlesticks(tickers, {
      startTs: 1,
      endTs: 2,
      periodInterval: 60,
    });
    assertEquals(result.map((r) => r.ticker), tickers);
    assertEquals(
      requests.map((r) => new URL(r.url).searchParams.get("market_tickers")!.split(",").length),
      [100, 100, 50],
    );
    assertEquals(new URL(requests[0].url).searchParams.get("period_interval"), "60");
  });
});

Deno.test("every attempt, retries included, goes through the shared limiter", async () => {
  let calls = 0;
  await withServer(() => {
    calls++;
    return calls === 1
      ? json({ error: "too many requests" }, { status: 429 })
      : json({ market: MARKET });
  }, async (baseUrl) => {
    let acquired = 0;
    const { rest } = client(baseUrl, {
      limiter: {
        ratePerSecond: 1,
        burst: 1,
        acquire: () => {
          acquired++;
          return Promise.resolve();
        },
      },
    });
    await rest.getMarket("X");
    assertEquals(acquired, 2);
  });
});
