/**
 * rest_service discovery at scale against the simulator with a rate limit of R requests/s (the
 * client paced at the same R): a full sync of 10,000 markets (quick: 1,000) beside the pagination
 * lower bound (the fewest pages that can list every event and historical market, ÷ R), and an
 * incremental re-sync one sync interval later beside the full sync's request count.
 * Numbers only; never a pass/fail on time.
 */
import type { BenchRow } from "./harness.ts";
import { createTestDatabase } from "../lib/db/testing/database.ts";
import { createRateLimiter, createRestClient } from "@kalshi-data/lib/kalshi";
import { pausedSimulator } from "../lib/kalshi/sim/testing/paused.ts";
import { isHistorical, marketExists, type RestRecord } from "@kalshi-data/lib/kalshi/sim";
import { createLogger } from "@kalshi-data/lib/log";
import { EVERYTHING } from "@kalshi-data/lib/scope";
import { syncCatalog } from "../services/rest_service/discovery.ts";

const RATE = 20;

/** Runs the benchmark. */
export default async function restBench(options: { quick: boolean }): Promise<BenchRow[]> {
  const markets = options.quick ? 1_000 : 10_000;
  const db = await createTestDatabase();
  const served = pausedSimulator({
    markets,
    seed: 11,
    rateLimit: { perSecond: RATE, burstSeconds: 1 },
  });
  try {
    const client = createRestClient({
      baseUrl: served.restUrl,
      limiter: createRateLimiter({ ratePerSecond: RATE }),
    });
    const deps = {
      sql: db.sql,
      client,
      scope: EVERYTHING,
      logger: createLogger("rest_bench", { level: "warn" }),
      now: () => served.sim.clock.now(),
    };
    const w = served.sim.world;
    const now = served.sim.clock.now();
    let historical = 0;
    for (let m = 0; m < w.marketCount; m++) {
      if (marketExists(w, m, now) && isHistorical(w, m, now)) historical++;
    }
    let events = 0;
    for (let e = 0; e < w.eventCount; e++) if (w.eventCreatedMs[e] <= now) events++;
    // Fewest pages listing everything: series (1), events with nested markets, historical markets.
    const minPages = 1 + Math.ceil(events / 200) + Math.ceil(historical / 1000);

    const records = () => served.sim.groundTruth.records("rest") as RestRecord[];
    const t0 = performance.now();
    const full = await syncCatalog(deps);
    const fullMs = performance.now() - t0;
    const fullRequests = records().length;

    served.sim.clock.advance(60_000);
    const t1 = performance.now();
    await syncCatalog(deps);
    const incrementalMs = performance.now() - t1;
    const incrementalRequests = records().length - fullRequests;
    console.error(
      `rest_bench: ${markets} markets, ${full.seen.markets} seen, full ${fullRequests} requests ` +
        `(${full.requests} pages) in ${fullMs.toFixed(0)} ms; incremental ${incrementalRequests} ` +
        `requests in ${incrementalMs.toFixed(0)} ms`,
    );
    return [
      {
        name: `full sync of ${markets} markets at ${RATE} req/s`,
        unit: "ms",
        value: fullMs,
        baselineName: "pagination lower bound (min pages / R)",
        baseline: (minPages / RATE) * 1000,
      },
      {
        name: "full sync requests",
        unit: "requests",
        value: fullRequests,
        baselineName: "min pages listing everything",
        baseline: minPages,
      },
      {
        name: "incremental re-sync requests (60 s later)",
        unit: "requests",
        value: incrementalRequests,
        baselineName: "full sync requests",
        baseline: fullRequests,
      },
    ];
  } finally {
    await served.close();
    await db.drop();
  }
}
