/**
 * Backfill efficiency against the simulator with a rate limit of R requests/s: requests/s
 * achieved ÷ R, candles per candle request (batch endpoint vs one market per request), and total
 * time vs the lower bound (requests ÷ R). Baseline, in the same run: the same markets fetched
 * the way a typical user script does it with Kalshi's own SDK (npm `kalshi-typescript`), one
 * market and one period per request, paced at R, retrying after a 429 (fetch only, no storage:
 * the baseline is spared the database work ours does).
 *
 * The simulator runs as its own process (`lib/kalshi/sim/main.ts`, started through the launch
 * plan), so its CPU does not compete with the workers' and the rate limit R is the only bound.
 * Requests are counted on the client side: calls that succeeded, and 429 answers retried.
 */
import { Configuration, HistoricalApi, MarketApi } from "kalshi-typescript";
import { insertJobs, simWorkload } from "../lib/backfill/testing/workload.ts";
import { CANDLE_PERIODS, runWorkerPool } from "@kalshi-data/lib/backfill";
import { withTestDatabase } from "../lib/db/testing/database.ts";
import { createRateLimiter, createRestClient } from "@kalshi-data/lib/kalshi";
import { createWorld, isHistorical, type World } from "@kalshi-data/lib/kalshi/sim";
import { createLogger } from "@kalshi-data/lib/log";
import type { BenchRow } from "./harness.ts";
import { startSimProcess as startSim } from "./_sim_process.ts";

const SIM_NOW = Date.UTC(2026, 9, 14, 15, 30);
const WORLD = { seed: 3, historyDays: 3, futureDays: 1, cutoffLagDays: 1 };

/** A simulator in its own process, rate-limited to `rate` requests/s, clock paused at SIM_NOW. */
interface SimProcess {
  restUrl: string;
  /** The same world, built in this process (deterministic from the seed) for the workload. */
  world: World;
  close(): Promise<void>;
}

async function startSimProcess(markets: number, rate: number): Promise<SimProcess> {
  const sim = await startSim([
    `--markets=${markets}`,
    `--seed=${WORLD.seed}`,
    "--pause-clock",
    `--start-time=${new Date(SIM_NOW).toISOString()}`,
    `--history-days=${WORLD.historyDays}`,
    `--future-days=${WORLD.futureDays}`,
    `--cutoff-lag-days=${WORLD.cutoffLagDays}`,
    `--rate-limit=${rate}`,
  ]);
  const world = createWorld({ ...WORLD, markets, epochMs: SIM_NOW });
  return { restUrl: sim.restUrl, world, close: sim.close };
}

interface Measured {
  seconds: number;
  requests: number;
  limited: number;
  candleRequests: number;
  candles: number;
}

async function measureWorkers(markets: number, rate: number): Promise<Measured> {
  const sim = await startSimProcess(markets, rate);
  let limited = 0;
  try {
    return await withTestDatabase(async ({ sql }) => {
      const workload = simWorkload(sim.world, SIM_NOW);
      await insertJobs(sql, workload.jobs);
      const began = performance.now();
      const result = await runWorkerPool({
        sql,
        client: createRestClient({
          baseUrl: sim.restUrl,
          // A bucket of one second, like the exchange's: a moment when no worker is ready to
          // send does not forfeit its share of the budget (a bucket of one token would).
          limiter: createRateLimiter({ ratePerSecond: rate, burst: rate }),
          onRetry: (r) => {
            if (r.status === 429) limited++;
          },
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
      const s = result.stats;
      return {
        seconds,
        requests: s.requests,
        limited,
        candleRequests: s.candleRequests,
        candles: s.candles,
      };
    }, { max: 8 });
  } finally {
    await sim.close();
  }
}

async function measureSdk(markets: number, rate: number): Promise<Measured> {
  const sim = await startSimProcess(markets, rate);
  const config = new Configuration({ basePath: sim.restUrl });
  const marketApi = new MarketApi(config);
  const historicalApi = new HistoricalApi(config);
  const world = sim.world;
  const gap = 1000 / rate;
  let next = performance.now();
  let requests = 0;
  let limited = 0;
  let candleRequests = 0;
  // A typical script: pace at the documented rate, sleep and retry when told 429.
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (;;) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next = Math.max(next, performance.now()) + gap;
      try {
        const result = await fn();
        requests++;
        return result;
      } catch (error) {
        const status = (error as { response?: { status?: number } }).response?.status;
        if (status !== 429) throw error;
        limited++;
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
        candleRequests++;
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
    return { seconds, requests, limited, candleRequests, candles };
  } finally {
    await sim.close();
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
