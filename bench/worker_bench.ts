/**
 * Backfill efficiency against the simulator with a rate limit of R requests/s: requests/s
 * achieved ÷ R, candles per candle request (batch endpoint vs one market per request), and total
 * time vs the lower bound (requests ÷ R). Baseline, in the same run: the same markets fetched
 * the way a typical user script does it with Kalshi's own SDK (npm `kalshi-typescript`), one
 * market and one period per request, paced at R, retrying after a 429 (fetch only, no storage:
 * the baseline is spared the database work ours does).
 */
import { Configuration, HistoricalApi, MarketApi } from "kalshi-typescript";
import { insertJobs, simWorkload } from "../lib/backfill/sim_workload.ts";
import { runWorkerPool } from "../lib/backfill/worker_pool.ts";
import { CANDLE_PERIODS } from "../lib/backfill/job.ts";
import { withTestDatabase } from "../lib/db/testing.ts";
import { createRateLimiter, createRestClient } from "../lib/kalshi/mod.ts";
import { type ServedSimulator, serveSimulator } from "../lib/kalshi/sim/mod.ts";
import { isHistorical } from "../lib/kalshi/sim/world.ts";
import { createLogger } from "../lib/log/mod.ts";
import type { BenchRow } from "./harness.ts";

const SIM_NOW = Date.UTC(2026, 9, 14, 15, 30);

function restCounts(served: ServedSimulator, path: RegExp) {
  let ok = 0;
  let limited = 0;
  for (const r of served.sim.groundTruth.records("rest")) {
    if (r.kind !== "rest" || !path.test(r.path)) continue;
    if (r.status === 429) limited++;
    else ok++;
  }
  return { ok, limited };
}

function start(markets: number, rate: number): ServedSimulator {
  return serveSimulator({
    seed: 3,
    markets,
    startMs: SIM_NOW,
    paused: true,
    historyDays: 3,
    futureDays: 1,
    cutoffLagDays: 1,
    pumpIntervalMs: 0,
    rateLimit: { perSecond: rate, burstSeconds: 1 },
    groundTruth: { restBodies: false },
  });
}

interface Measured {
  seconds: number;
  requests: number;
  limited: number;
  candleRequests: number;
  candles: number;
}

async function measureWorkers(markets: number, rate: number): Promise<Measured> {
  const served = start(markets, rate);
  try {
    return await withTestDatabase(async ({ sql }) => {
      const workload = simWorkload(served.sim.world, SIM_NOW);
      await insertJobs(sql, workload.jobs);
      const began = performance.now();
      const result = await runWorkerPool({
        sql,
        client: createRestClient({
          baseUrl: served.restUrl,
          limiter: createRateLimiter({ ratePerSecond: rate }),
        }),
        logger: createLogger("worker_bench", { level: "warn" }),
        signal: new AbortController().signal,
        owner: "bench",
        concurrency: 4,
        untilEmpty: true,
        pollMs: 50,
        progressMs: 0,
      });
      const seconds = (performance.now() - began) / 1000;
      const all = restCounts(served, /./);
      const candles = restCounts(served, /candlesticks$/);
      return {
        seconds,
        requests: all.ok,
        limited: all.limited,
        candleRequests: candles.ok,
        candles: result.stats.candles,
      };
    }, { max: 8 });
  } finally {
    await served.close();
  }
}

async function measureSdk(markets: number, rate: number): Promise<Measured> {
  const served = start(markets, rate);
  const config = new Configuration({ basePath: served.restUrl });
  const marketApi = new MarketApi(config);
  const historicalApi = new HistoricalApi(config);
  const world = served.sim.world;
  const gap = 1000 / rate;
  let next = performance.now();
  // A typical script: pace at the documented rate, sleep and retry when told 429.
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (;;) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next = Math.max(next, performance.now()) + gap;
      try {
        return await fn();
      } catch (error) {
        const status = (error as { response?: { status?: number } }).response?.status;
        if (status !== 429) throw error;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  let candles = 0;
  const began = performance.now();
  try {
    for (let m = 0; m < world.marketCount; m++) {
      const e = world.marketEvent[m];
      if (world.eventOpenMs[e] > SIM_NOW) continue;
      const ticker = world.marketTickers[m];
      const series = world.series[world.eventSeries[e]].ticker;
      const startTs = Math.floor(world.eventOpenMs[e] / 1000);
      const endTs = Math.ceil(Math.min(world.eventCloseMs[e], SIM_NOW) / 1000) + 86_400;
      const archived = isHistorical(world, m, SIM_NOW);
      for (const period of CANDLE_PERIODS) {
        const to = Math.min(endTs, startTs + (5000 - 1) * period * 60);
        const response = archived
          ? await call(() =>
            historicalApi.getMarketCandlesticksHistorical(ticker, startTs, to, period as 1)
          )
          : await call(() =>
            marketApi.getMarketCandlesticks(series, ticker, startTs, to, period as 1)
          );
        candles += response.data.candlesticks?.length ?? 0;
      }
      for (const tier of ["historical", "live"] as const) {
        let cursor: string | undefined;
        do {
          const response = tier === "live"
            ? await call(() => marketApi.getTrades(1000, cursor, ticker, startTs, endTs))
            : await call(() =>
              historicalApi.getTradesHistorical(ticker, startTs, endTs, 1000, cursor)
            );
          cursor = response.data.cursor || undefined;
        } while (cursor);
      }
    }
    const seconds = (performance.now() - began) / 1000;
    const all = restCounts(served, /./);
    const candleRequests = restCounts(served, /candlesticks$/);
    return {
      seconds,
      requests: all.ok,
      limited: all.limited,
      candleRequests: candleRequests.ok,
      candles,
    };
  } finally {
    await served.close();
  }
}

/** The benchmark. */
export default async function workerBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const markets = quick ? 30 : 300;
  const rate = quick ? 100 : 50;
  const ours = await measureWorkers(markets, rate);
  const sdk = await measureSdk(markets, rate);
  console.error(JSON.stringify({ bench: "worker", markets, rate, ours, sdk }));
  const sdkName = "kalshi-typescript, one market per request";
  return [
    {
      name: `requests/s achieved ÷ R (R=${rate}/s, ${markets} markets)`,
      unit: "ratio",
      value: ours.requests / ours.seconds / rate,
      baselineName: sdkName,
      baseline: sdk.requests / sdk.seconds / rate,
    },
    {
      name: "candles per candle request",
      unit: "candles",
      value: ours.candles / Math.max(1, ours.candleRequests),
      baselineName: sdkName,
      baseline: sdk.candles / Math.max(1, sdk.candleRequests),
    },
    {
      name: "total backfill time",
      unit: "s",
      value: ours.seconds,
      baselineName: sdkName,
      baseline: sdk.seconds,
    },
    {
      name: "total backfill time",
      unit: "s",
      value: ours.seconds,
      baselineName: `lower bound: our ${ours.requests} requests ÷ R`,
      baseline: ours.requests / rate,
    },
  ];
}
