import { notDeepStrictEqual as assertNotEquals, ok as assert } from "node:assert/strict";
import { assertEquals } from "../../testing/assert.ts";
import {
  BatchCandlesticksResponseSchema,
  CandlesticksResponseSchema,
  ErrorBodySchema,
  EventResponseSchema,
  EventsResponseSchema,
  ExchangeStatusSchema,
  HistoricalCutoffSchema,
  MarketResponseSchema,
  MarketsResponseSchema,
  parseWsMessage,
  SeriesListResponseSchema,
  SeriesResponseSchema,
  TradesResponseSchema,
} from "../schemas.ts";
import { createSimulator, type Simulator, type SimulatorOptions } from "./simulator.ts";
import type { EmitRecord } from "./ground_truth.ts";
import { createWorld, isHistorical, marketStatus } from "./world.ts";
import type { z } from "zod";

const START = Date.UTC(2026, 10, 25, 12, 0, 0);

function sim(options: SimulatorOptions = {}): Simulator {
  return createSimulator({
    seed: 7,
    markets: 120,
    startMs: START,
    paused: true,
    pumpIntervalMs: 0,
    ...options,
  });
}

async function get(
  s: Simulator,
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await s.handler(new Request(`http://sim.test/trade-api/v2${path}`));
  return { status: res.status, body: await res.json() };
}

function mustParse(schema: z.ZodType, body: unknown, what: string): void {
  const r = schema.safeParse(body);
  if (!r.success) {
    throw new Error(
      `${what} failed the client schema: ${JSON.stringify(r.error.issues.slice(0, 3))}`,
    );
  }
}

async function walk(
  s: Simulator,
  path: string,
  key: string,
  limit: number,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let cursor = "";
  for (let page = 0; page < 10_000; page++) {
    const sep = path.includes("?") ? "&" : "?";
    const { status, body } = await get(
      s,
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    assertEquals(status, 200);
    out.push(...(body[key] as Record<string, unknown>[]));
    cursor = body.cursor as string;
    if (!cursor) return out;
  }
  throw new Error("pagination never ended");
}

/** Samples every REST page and WebSocket message across a run and parses them with the client's schemas. */
async function assertConformance(options: SimulatorOptions): Promise<void> {
  const s = sim(options);
  try {
    for (let round = 0; round < 4; round++) {
      const now = Math.floor(s.clock.now() / 1000);
      mustParse(
        SeriesListResponseSchema,
        (await get(s, "/series?include_volume=true")).body,
        "series list",
      );
      const series = ((await get(s, "/series")).body.series as Array<{ ticker: string }>)[0].ticker;
      mustParse(SeriesResponseSchema, (await get(s, `/series/${series}`)).body, "series");
      const events = (await get(s, "/events?with_nested_markets=true&limit=50")).body;
      mustParse(EventsResponseSchema, events, "events");
      const ev = (events.events as Array<{ event_ticker: string }>)[0].event_ticker;
      mustParse(EventResponseSchema, (await get(s, `/events/${ev}`)).body, "event");
      mustParse(
        EventResponseSchema,
        (await get(s, `/events/${ev}?with_nested_markets=true`)).body,
        "nested event",
      );
      for (const status of ["", "unopened", "open", "paused", "closed", "settled"]) {
        mustParse(
          MarketsResponseSchema,
          (await get(s, `/markets?limit=1000&status=${status}`)).body,
          `markets ${status}`,
        );
      }
      const markets = (await get(s, "/markets?limit=1000")).body.markets as Array<
        { ticker: string; event_ticker: string; status: string }
      >;
      for (const m of markets.slice(0, 40)) {
        mustParse(MarketResponseSchema, (await get(s, `/markets/${m.ticker}`)).body, "market");
        const series = m.event_ticker.split("-")[0];
        for (const p of [1, 60, 1440]) {
          const c = await get(
            s,
            `/series/${series}/markets/${m.ticker}/candlesticks?start_ts=${
              now - 3 * 86400
            }&end_ts=${now}&period_interval=${p}`,
          );
          assertEquals(c.status, 200);
          mustParse(CandlesticksResponseSchema, c.body, "candles");
        }
        mustParse(
          TradesResponseSchema,
          (await get(s, `/markets/trades?ticker=${m.ticker}&limit=50`)).body,
          "trades",
        );
      }
      const tickers = markets.slice(0, 20).map((m) => m.ticker).join(",");
      mustParse(
        BatchCandlesticksResponseSchema,
        (await get(
          s,
          `/markets/candlesticks?market_tickers=${tickers}&start_ts=${
            now - 7200
          }&end_ts=${now}&period_interval=1`,
        )).body,
        "batch candles",
      );
      mustParse(
        TradesResponseSchema,
        (await get(s, "/markets/trades?limit=200")).body,
        "global trades",
      );
      mustParse(HistoricalCutoffSchema, (await get(s, "/historical/cutoff")).body, "cutoff");
      mustParse(ExchangeStatusSchema, (await get(s, "/exchange/status")).body, "exchange status");
      const hist = (await get(s, "/historical/markets?limit=1000")).body;
      mustParse(MarketsResponseSchema, hist, "historical markets");
      for (const m of (hist.markets as Array<{ ticker: string }>).slice(0, 10)) {
        mustParse(
          MarketResponseSchema,
          (await get(s, `/historical/markets/${m.ticker}`)).body,
          "historical market",
        );
        const c = await get(
          s,
          `/historical/markets/${m.ticker}/candlesticks?start_ts=${
            now - 20 * 86400
          }&end_ts=${now}&period_interval=60`,
        );
        mustParse(CandlesticksResponseSchema, c.body, "historical candles");
      }
      mustParse(
        TradesResponseSchema,
        (await get(s, "/historical/trades?limit=100")).body,
        "historical trades",
      );
      mustParse(ErrorBodySchema, (await get(s, "/markets/NOPE-1-2")).body, "error");
      mustParse(
        EventsResponseSchema,
        (await get(s, "/events/multivariate?with_nested_markets=true&limit=50")).body,
        "multivariate events",
      );
      for (const path of ["/markets", "/historical/markets"]) {
        for (const mve of ["only", "exclude"]) {
          mustParse(
            MarketsResponseSchema,
            (await get(s, `${path}?limit=1000&mve_filter=${mve}`)).body,
            `${path} mve_filter=${mve}`,
          );
        }
      }
      s.clock.advance(6 * 3_600_000);
    }
    const emitted = s.groundTruth.records("emit") as EmitRecord[];
    const types = new Set(
      emitted.map((e) =>
        e.type.endsWith("market_lifecycle") || e.type === "market_lifecycle_v2"
          ? `${e.type}:${e.msg.event_type}`
          : e.type
      ),
    );
    const lifecycles = (options.comboShare ?? 0) > 0
      ? ["market_lifecycle_v2", "multivariate_market_lifecycle"]
      : ["market_lifecycle_v2"];
    for (const t of ["ticker", "trade", "event_lifecycle"]) assert(types.has(t), t);
    for (const l of lifecycles) {
      for (const k of ["created", "determined", "settled"]) {
        assert(types.has(`${l}:${k}`), `${l} ${k}`);
      }
    }
    let i = 0;
    for (const e of emitted) {
      // Frame exactly as the hub does: ticker has no seq.
      const frame = e.type === "ticker"
        ? { type: e.type, sid: 1, msg: e.msg }
        : { type: e.type, sid: 2, seq: ++i, msg: e.msg };
      const r = parseWsMessage(JSON.parse(JSON.stringify(frame)));
      if (r.status !== "valid") throw new Error(`${e.type} n=${e.n}: ${JSON.stringify(r)}`);
    }
  } finally {
    s.close();
  }
}

Deno.test("every REST page and WebSocket message sampled across a run passes the client's schemas", async () => {
  await assertConformance({});
});

Deno.test("with combo markets every REST page and WebSocket message still passes the client's schemas", async () => {
  await assertConformance({ comboShare: 0.3 });
});

Deno.test("the same seed and clock give the same world and the same message sequence, however the clock is stepped", async () => {
  const a = sim({ seed: 42 });
  const b = sim({ seed: 42 });
  const c = sim({ seed: 43 });
  try {
    assertEquals(a.world.marketTickers, b.world.marketTickers);
    assertNotEquals(a.world.marketTickers, c.world.marketTickers);
    a.clock.advance(2 * 3_600_000);
    for (let i = 0; i < 48; i++) b.clock.advance(150_000);
    assertEquals(a.clock.now(), b.clock.now());
    const ea = a.groundTruth.records("emit");
    const eb = b.groundTruth.records("emit");
    assert(ea.length > 100);
    assertEquals(JSON.stringify(ea), JSON.stringify(eb));
    assertEquals(
      await walk(a, "/markets", "markets", 37),
      await walk(b, "/markets", "markets", 37),
    );
  } finally {
    a.close();
    b.close();
    c.close();
  }
});

Deno.test("a full /markets walk returns every live market exactly once and ends with an empty cursor", async () => {
  const s = sim();
  try {
    const now = s.clock.now();
    const all = await walk(s, "/markets", "markets", 7);
    const tickers = all.map((m) => m.ticker as string);
    assertEquals(new Set(tickers).size, tickers.length);
    const expected = s.world.marketTickers.filter((_, m) =>
      s.world.eventCreatedMs[s.world.marketEvent[m]] <= now && !isHistorical(s.world, m, now)
    );
    assertEquals(tickers.toSorted(), expected.toSorted());
    const hist = await walk(s, "/historical/markets", "markets", 5);
    assert(hist.length > 0, "some markets are behind the historical cutoff");
    assertEquals(
      hist.length + all.length,
      s.world.marketTickers.filter((_, m) => s.world.eventCreatedMs[s.world.marketEvent[m]] <= now)
        .length,
    );
    const open = await walk(s, "/markets?status=open", "markets", 10);
    assert(open.length > 0);
    for (const m of open) assert(m.status === "active" || m.status === "inactive");
    const unopened = await walk(s, "/markets?status=unopened", "markets", 10);
    assert(unopened.length > 0, "some markets open later");
    for (const m of unopened) assertEquals(m.status, "initialized");
    for (const m of await walk(s, "/markets?status=settled", "markets", 10)) {
      assertEquals(m.status, "finalized");
    }
  } finally {
    s.close();
  }
});

Deno.test("bad queries answer 400 with Kalshi's error body", async () => {
  const s = sim();
  try {
    for (
      const path of [
        "/markets?limit=1001",
        "/markets?status=finalized",
        "/markets?min_close_ts=1&min_created_ts=1",
        "/markets?status=open&min_settled_ts=1",
        "/events?limit=201",
        "/markets?cursor=garbage!",
        "/markets/candlesticks?market_tickers=A&start_ts=1&end_ts=2&period_interval=5",
      ]
    ) {
      const r = await get(s, path);
      assertEquals(r.status, 400, path);
      assertEquals(typeof (r.body.error as Record<string, unknown>).message, "string");
    }
    const t = s.world.marketTickers[0];
    const series = t.split("-")[0];
    const missing = await get(
      s,
      `/series/${series}/markets/${t}/candlesticks?end_ts=2&period_interval=1`,
    );
    assertEquals(missing.status, 400);
    assertEquals(
      (missing.body.error as Record<string, string>).message,
      "Query argument start_ts is required",
    );
    const tooMany = await get(
      s,
      `/series/${series}/markets/${t}/candlesticks?start_ts=0&end_ts=400000&period_interval=1`,
    );
    assertEquals(tooMany.status, 400);
  } finally {
    s.close();
  }
});

Deno.test("a market behind the historical cutoff is served only by the historical endpoints", async () => {
  const s = sim();
  try {
    const now = s.clock.now();
    const m = s.world.marketTickers.findIndex((_, i) => isHistorical(s.world, i, now));
    assert(m >= 0);
    const t = s.world.marketTickers[m];
    const series = t.split("-")[0];
    assertEquals((await get(s, `/markets/${t}`)).status, 404);
    const live = await get(
      s,
      `/series/${series}/markets/${t}/candlesticks?start_ts=0&end_ts=1000&period_interval=1440`,
    );
    assertEquals(live.status, 404);
    mustParse(ErrorBodySchema, live.body, "error");
    assertEquals((await get(s, `/historical/markets/${t}`)).status, 200);
    const e = s.world.marketEvent[m];
    const open = Math.floor(s.world.eventOpenMs[e] / 1000);
    const close = Math.floor(s.world.eventCloseMs[e] / 1000);
    const hc = await get(
      s,
      `/historical/markets/${t}/candlesticks?start_ts=${open}&end_ts=${
        close + 3600
      }&period_interval=60`,
    );
    assertEquals(hc.status, 200);
    const candles = hc.body.candlesticks as Array<Record<string, unknown>>;
    assert(candles.length > 0);
    assert("volume" in candles[0] && "open_interest" in candles[0] && !("volume_fp" in candles[0]));
    const liveTrades = await get(s, `/markets/trades?ticker=${t}`);
    assertEquals(liveTrades.body, { cursor: "", trades: [] });
  } finally {
    s.close();
  }
});

Deno.test("candles agree with the trades and tickers the stream emitted in each period", async () => {
  const s = sim({ markets: 60 });
  try {
    const t0 = Math.floor(s.clock.now() / 1000);
    s.clock.advance(3 * 3_600_000);
    const t1 = Math.floor(s.clock.now() / 1000);
    const emitted = s.groundTruth.records("emit") as EmitRecord[];
    const trades = emitted.filter((e) => e.type === "trade");
    const byMarket = new Map<string, EmitRecord[]>();
    for (const e of trades) {
      byMarket.set(e.market_ticker!, [...(byMarket.get(e.market_ticker!) ?? []), e]);
    }
    assert(byMarket.size > 0);
    for (const [ticker, ts] of [...byMarket].slice(0, 10)) {
      const series = ticker.split("-")[0];
      const r = await get(
        s,
        `/series/${series}/markets/${ticker}/candlesticks?start_ts=${
          t0 + 60
        }&end_ts=${t1}&period_interval=1`,
      );
      const candles = r.body.candlesticks as Array<
        { end_period_ts: number; volume_fp: string; price: Record<string, string> }
      >;
      for (const c of candles) {
        const inside = ts.filter((e) =>
          (e.time_ms as number) >= (c.end_period_ts - 60) * 1000 &&
          e.time_ms < c.end_period_ts * 1000
        );
        const vol = inside.reduce((a, e) => a + Math.round(Number(e.msg.count_fp) * 100), 0);
        assertEquals(Math.round(Number(c.volume_fp) * 100), vol, `${ticker} ${c.end_period_ts}`);
        if (inside.length) {
          assertEquals(c.price.open_dollars, inside[0].msg.yes_price_dollars);
          assertEquals(c.price.close_dollars, inside[inside.length - 1].msg.yes_price_dollars);
        }
      }
      const sum = candles.reduce((a, c) => a + Math.round(Number(c.volume_fp) * 100), 0);
      const emittedSum = ts.filter((e) =>
        e.time_ms >= (t0 + 60) * 1000 - 60_000 && e.time_ms < t1 * 1000
      )
        .reduce((a, e) => a + Math.round(Number(e.msg.count_fp) * 100), 0);
      assertEquals(sum, emittedSum);
      // REST volume equals the last ticker's volume.
      const lastTicker = emitted.filter((e) => e.type === "ticker" && e.market_ticker === ticker)
        .at(-1)!;
      const m = (await get(s, `/markets/${ticker}`)).body.market as Record<string, string>;
      if (m.status === "active") assertEquals(m.volume_fp, lastTicker.msg.volume_fp);
    }
  } finally {
    s.close();
  }
});

Deno.test("markets move through the lifecycle with the messages Kalshi sends for each step", () => {
  const s = sim({ markets: 80 });
  try {
    s.clock.advance(3 * 86_400_000);
    const emitted = s.groundTruth.records("emit") as EmitRecord[];
    const byMarket = new Map<string, string[]>();
    for (const e of emitted) {
      if (e.type !== "market_lifecycle_v2") continue;
      byMarket.set(e.market_ticker!, [
        ...(byMarket.get(e.market_ticker!) ?? []),
        e.msg.event_type as string,
      ]);
    }
    let full = 0;
    for (const [ticker, kinds] of byMarket) {
      const m = s.world.marketByTicker.get(ticker)!;
      if (kinds[0] === "created" && kinds.at(-1) === "settled") {
        full++;
        assertEquals(marketStatus(s.world, m, s.clock.now()), "finalized");
        assertEquals(kinds.filter((k) => k === "determined").length, 1);
        assert(kinds.indexOf("determined") < kinds.indexOf("settled"));
      }
    }
    assert(full > 0, "some markets went from created to settled during the run");
  } finally {
    s.close();
  }
});

Deno.test("a paused clock changes nothing: repeated walks are identical", async () => {
  const s = sim();
  try {
    const a = await walk(s, "/markets", "markets", 50);
    const b = await walk(s, "/markets", "markets", 50);
    assertEquals(a, b);
    s.pump();
    assertEquals(s.groundTruth.records("emit").length, 0);
  } finally {
    s.close();
  }
});

Deno.test("fault switches produce 5xx bursts and 429 storms, recorded in the ground truth", async () => {
  const s = sim({ faults: { serverErrors: { probability: 1, burst: 2 } } });
  try {
    assertEquals((await get(s, "/exchange/status")).status, 503);
    assertEquals((await get(s, "/exchange/status")).status, 503);
    s.setFaults({ rateLimitStorm: { probability: 1, burst: 3 } });
    const storm = await get(s, "/exchange/status");
    assertEquals(storm.status, 429);
    assertEquals(storm.body, {
      error: { code: "too_many_requests", message: "too many requests" },
    });
    s.setFaults({});
    assertEquals((await get(s, "/exchange/status")).status, 200);
    const faults = s.groundTruth.records("rest").map((r) =>
      (r as { fault?: string }).fault ?? "none"
    );
    assertEquals(faults, ["server_error", "server_error", "rate_limit_storm", "none"]);
  } finally {
    s.close();
  }
});

Deno.test("slow-response faults delay the answer through the injected sleep", async () => {
  const delays: number[] = [];
  const s = sim({
    faults: { slowResponses: { probability: 1, delayMs: 1234 } },
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  });
  try {
    assertEquals((await get(s, "/exchange/status")).status, 200);
    assertEquals(delays, [1234]);
  } finally {
    s.close();
  }
});

Deno.test("the rate limiter answers 429 beyond R requests per second and refills with time", async () => {
  let real = 1_000_000;
  const s = sim({ rateLimit: 5, realNow: () => real });
  try {
    const codes = [];
    for (let i = 0; i < 7; i++) codes.push((await get(s, "/exchange/status")).status);
    assertEquals(codes, [200, 200, 200, 200, 200, 429, 429]);
    real += 400; // two tokens back
    assertEquals((await get(s, "/exchange/status")).status, 200);
    assertEquals((await get(s, "/exchange/status")).status, 200);
    assertEquals((await get(s, "/exchange/status")).status, 429);
  } finally {
    s.close();
  }
});

Deno.test("pumping in small uneven clock steps emits exactly what one big step emits", () => {
  const a = sim({ seed: 5, markets: 150 });
  const b = sim({ seed: 5, markets: 150 });
  try {
    a.clock.advance(20 * 60_000);
    for (let t = 0; t < 20 * 60_000;) {
      const step = Math.min(20 * 60_000 - t, 700 + (t % 2300));
      b.clock.advance(step);
      t += step;
    }
    const ea = a.groundTruth.records("emit");
    assert(ea.length > 500);
    assertEquals(JSON.stringify(b.groundTruth.records("emit")), JSON.stringify(ea));
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("control routes switch faults, advance the clock and serve the ground truth as NDJSON", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sim_gt_" });
  const s = sim({ groundTruth: { dir } });
  try {
    const post = (path: string, body: unknown) =>
      s.handler(
        new Request(`http://sim.test/_sim/${path}`, { method: "POST", body: JSON.stringify(body) }),
      );
    assertEquals((await post("faults", { serverErrors: { probability: "often" } })).status, 400);
    assertEquals(
      (await post("faults", { serverErrors: { probability: 1, burst: 1, status: 502 } })).status,
      200,
    );
    assertEquals((await get(s, "/exchange/status")).status, 502);
    await post("faults", {});
    const before = s.clock.now();
    const clock = await (await post("clock", { advance_ms: 90_000 })).json();
    assertEquals(clock.now_ms, before + 90_000);
    const res = await s.handler(new Request("http://sim.test/_sim/ground-truth?kind=emit"));
    assertEquals(res.headers.get("content-type"), "application/x-ndjson");
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    assert(lines.length > 0);
    assertEquals(lines, JSON.parse(JSON.stringify(s.groundTruth.records("emit"))));
    s.groundTruth.flush();
    const file = (await Deno.readTextFile(`${dir}/emitted.ndjson`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assertEquals(file, lines);
    const rest = (await Deno.readTextFile(`${dir}/rest.ndjson`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assertEquals(rest.map((r) => [r.path, r.status, r.fault]), [[
      "/trade-api/v2/exchange/status",
      502,
      "server_error",
    ]]);
  } finally {
    s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("include_latest_before_start prepends a synthetic candle carrying the previous close", async () => {
  const s = sim({ markets: 60 });
  try {
    const now = Math.floor(s.clock.now() / 1000);
    const open = (await get(s, "/markets?status=open&limit=1000")).body.markets as Array<
      { ticker: string; event_ticker: string; open_time: string }
    >;
    const m = open.find((x) => Date.parse(x.open_time) / 1000 < now - 1800)!;
    const series = m.event_ticker.split("-")[0];
    const start = now - 600;
    const path =
      `/series/${series}/markets/${m.ticker}/candlesticks?start_ts=${start}&end_ts=${now}&period_interval=1`;
    const plain = (await get(s, path)).body.candlesticks as Array<Record<string, unknown>>;
    const body = (await get(s, `${path}&include_latest_before_start=true`)).body;
    mustParse(CandlesticksResponseSchema, body, "candles with synthetic start");
    const withLatest = body.candlesticks as Array<Record<string, unknown>>;
    assertEquals(withLatest.length, plain.length + 1);
    assertEquals(withLatest.slice(1), plain);
    const synthetic = withLatest[0];
    assertEquals(synthetic.end_period_ts, Math.floor(start / 60) * 60 + 60);
    assertEquals(synthetic.volume_fp, "0.00");
    assertEquals(Object.keys(synthetic.price as object), ["previous_dollars"]);
  } finally {
    s.close();
  }
});

Deno.test("combo markets are shaped like Kalshi's KXMVE combos, listed apart from other events and markets, and announced on their own lifecycle channel", async () => {
  const s = sim({ comboShare: 0.3, seed: 11 });
  const again = sim({ comboShare: 0.3, seed: 11 });
  try {
    const w = s.world;
    assertEquals(w.marketTickers, again.world.marketTickers);
    const plain = createWorld({ seed: 11, markets: 120, epochMs: START });
    assertEquals(plain.marketTickers.some((t) => t.startsWith("KXMVE")), false);
    const all = await walk(s, "/markets", "markets", 1000);
    const only = await walk(s, "/markets?mve_filter=only", "markets", 50);
    const exclude = await walk(s, "/markets?mve_filter=exclude", "markets", 1000);
    assert(only.length > 5, `combos: ${only.length}`);
    assertEquals(only.length + exclude.length, all.length);
    const tickers = new Set(w.marketTickers);
    for (const m of only) {
      assert(
        /^KXMVE[A-Z]+-S\d{4}[0-9A-F]{11}-[0-9A-F]{11}$/.test(m.ticker as string),
        `${m.ticker}`,
      );
      assertEquals(m.strike_type, "custom");
      assertEquals(m.mve_collection_ticker, `${(m.event_ticker as string).split("-")[0]}-R`);
      const legs = m.mve_selected_legs as Array<Record<string, string>>;
      assert(legs.length >= 2);
      const strike = m.custom_strike as Record<string, string>;
      assertEquals(strike["Multivariate Event Ticker"], m.event_ticker);
      assertEquals(strike["Associated Markets"], legs.map((l) => l.market_ticker).join(","));
      for (const l of legs) {
        assert(tickers.has(l.market_ticker) && !l.market_ticker.startsWith("KXMVE"));
        assert(l.market_ticker.startsWith(`${l.event_ticker}-`) && /^(yes|no)$/.test(l.side));
      }
    }
    for (const m of exclude) assert(!(m.ticker as string).startsWith("KXMVE"), `${m.ticker}`);
    const events = await walk(s, "/events", "events", 200);
    assert(events.every((e) => !(e.event_ticker as string).startsWith("KXMVE")));
    const multi = await walk(s, "/events/multivariate?with_nested_markets=true", "events", 7);
    assert(multi.every((e) => (e.event_ticker as string).startsWith("KXMVE")));
    const nested = multi.flatMap((e) => e.markets as Array<{ ticker: string }>);
    assertEquals(nested.map((m) => m.ticker).sort(), only.map((m) => m.ticker).sort());
    const collection = only[0].mve_collection_ticker as string;
    const byCollection = await walk(
      s,
      `/events/multivariate?collection_ticker=${collection}`,
      "events",
      200,
    );
    assert(byCollection.length > 0 && byCollection.length <= multi.length);
    assertEquals(
      (await get(s, "/events/multivariate?collection_ticker=X&series_ticker=Y")).status,
      400,
    );
    s.clock.advance(12 * 3_600_000);
    for (const e of s.groundTruth.records("emit") as EmitRecord[]) {
      if (e.type === "ticker" || e.type === "trade") continue;
      const ticker = (e.market_ticker ?? e.msg.event_ticker) as string;
      const combo = ticker.startsWith("KXMVE");
      assertEquals(
        e.channel,
        combo ? "multivariate_market_lifecycle" : "market_lifecycle_v2",
        `${e.type} ${ticker}`,
      );
      if (e.type !== "event_lifecycle") {
        assertEquals(e.type, combo ? "multivariate_market_lifecycle" : "market_lifecycle_v2");
      }
    }
  } finally {
    s.close();
    again.close();
  }
});
