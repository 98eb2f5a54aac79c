/**
 * Issue 6's acceptance, end to end: `rest_service --once` discovers a simulated exchange of a few
 * hundred markets and schedules their backfill, then `worker_service --until-empty` runs every
 * job — both as subprocesses started through the launch plan (so the derived permission flags
 * are proven sufficient) — and the database must equal the simulator's ground truth: every
 * candle of every period and every trade each market needed, nothing missing, extra or twice.
 * The simulator's clock is paused, so the truth cannot move while the services read it.
 */
import { countJobs } from "@kalshi-data/lib/backfill";
import {
  diffLines,
  readStored,
  type ScheduledTruth,
  scheduledTruth,
  type Truth,
} from "../lib/backfill/testing/workload.ts";
import { createTestDatabase, type TestDatabase } from "../lib/db/testing/database.ts";
import type { RestRecord, ServedSimulator } from "@kalshi-data/lib/kalshi/sim";
import { backfillSimulator } from "../lib/kalshi/sim/testing/paused.ts";
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { finish, pausedSimNow, spawnService } from "./testing/e2e.ts";
import { until } from "../lib/testing/wait.ts";

/** The simulator's paused "now" (see {@linkcode pausedSimNow}). */
const SIM_NOW = pausedSimNow();
const MARKETS = 300;

function restRecords(served: ServedSimulator): RestRecord[] {
  return served.sim.groundTruth.records("rest") as RestRecord[];
}

/** Candle and trade requests the workers made (everything but discovery's catalog walk). */
function workerRequests(records: readonly RestRecord[]): Record<string, number> {
  const out: Record<string, number> = { batch: 0, single: 0, historical: 0, trades: 0 };
  for (const r of records) {
    if (r.status === 429) continue;
    if (r.path.endsWith("/markets/candlesticks")) out.batch++;
    else if (r.path.startsWith("/trade-api/v2/historical/markets/")) out.historical++;
    else if (r.path.endsWith("/candlesticks")) out.single++;
    else if (r.path.endsWith("/trades")) out.trades++;
  }
  return out;
}

function assertMatchesTruth(truth: Truth, stored: Truth & { duplicateTrades: number }): void {
  assertEquals({
    candles: diffLines(truth.candles, stored.candles),
    trades: diffLines(truth.trades, stored.trades),
    duplicateTrades: stored.duplicateTrades,
  }, {
    candles: { missing: [], extra: [], missingCount: 0, extraCount: 0 },
    trades: { missing: [], extra: [], missingCount: 0, extraCount: 0 },
    duplicateTrades: 0,
  });
}

/** Every scope the truth needs carries a high-water mark, and no other scope does. */
async function assertWatermarks(db: TestDatabase, truth: ScheduledTruth): Promise<void> {
  const rows = await db.sql<{ key: string; n: number }[]>`
    SELECT key, count(*)::int AS n FROM ingest_state
    WHERE key IN ('candles.high_water', 'trades.high_water') GROUP BY key ORDER BY key`;
  assertEquals(
    Object.fromEntries(rows.map((r) => [r.key, r.n])),
    { "candles.high_water": truth.candleScopes, "trades.high_water": truth.tradeScopes },
  );
}

async function withWorld(
  fn: (db: TestDatabase, served: ServedSimulator, truth: ScheduledTruth) => Promise<void>,
): Promise<void> {
  const served = backfillSimulator(MARKETS, { seed: 17, startMs: SIM_NOW });
  const db = await createTestDatabase();
  try {
    const truth = scheduledTruth(served.sim.world, served.sim.clock.now(), {
      scheduleNowMs: Date.now(),
    });
    assertOk(truth.markets >= 200, `only ${truth.markets} markets need backfill`);
    assertOk(truth.candles.length > 10_000 && truth.trades.length > 1000, "a substantial world");
    const rest = await finish(spawnService("rest_service", { db, served, args: ["--once"] }));
    assertEquals(rest.code, 0, rest.stderr.slice(-3000));
    await fn(db, served, truth);
  } finally {
    await db.drop();
    await served.close();
  }
}

Deno.test("rest_service --once then worker_service --until-empty store exactly the simulator's candles and trades", async () => {
  await withWorld(async (db, served, truth) => {
    const discovery = restRecords(served).length;
    const jobs = await countJobs(db.sql);
    assertOk(jobs.pending > 0 && jobs.running + jobs.succeeded + jobs.dead === 0, "jobs wait");
    const worker = await finish(
      spawnService("worker_service", { db, served, args: ["--until-empty", "--fail-on-dead"] }),
    );
    assertEquals(worker.code, 0, worker.stderr.slice(-3000));
    assertOk(worker.stdout.includes("0 dead job(s)"), worker.stdout);
    const after = await countJobs(db.sql);
    assertEquals([after.pending, after.running, after.dead], [0, 0, 0]);
    assertEquals(after.succeeded, jobs.pending);
    assertMatchesTruth(truth, await readStored(db.sql));
    await assertWatermarks(db, truth);
    const requests = workerRequests(restRecords(served).slice(discovery));
    console.log(JSON.stringify({
      e2e: "requests",
      markets: truth.markets,
      jobs: jobs.pending,
      candles: truth.candles.length,
      trades: truth.trades.length,
      discovery,
      requests,
    }));
    assertOk(requests.batch > 0, "jobs sharing a window were fetched with the batch endpoint");
  });
});

Deno.test("a worker killed with SIGKILL mid-run is replaced and the run converges to the same state", async () => {
  await withWorld(async (db, served, truth) => {
    const { pending } = await countJobs(db.sql);
    const first = spawnService("worker_service", {
      db,
      served,
      args: ["--concurrency", "2", "--batch-size", "20"],
      env: { WORKER_LEASE_MS: "1500" },
    });
    await until(
      async () => (await countJobs(db.sql)).succeeded >= Math.floor(pending / 4),
      "a quarter of the jobs done",
      { limitMs: 300_000 },
    );
    first.child.kill("SIGKILL");
    const killed = await finish(first);
    assertOk(killed.code !== 0, "killed");
    const midway = await countJobs(db.sql);
    assertOk(midway.pending + midway.running > 0, "the kill left work behind");
    const second = await finish(
      spawnService("worker_service", { db, served, args: ["--until-empty", "--fail-on-dead"] }),
    );
    assertEquals(second.code, 0, second.stderr.slice(-3000));
    assertOk(second.stdout.includes("0 dead job(s)"), second.stdout);
    const after = await countJobs(db.sql);
    assertEquals([after.pending, after.running, after.dead, after.succeeded], [0, 0, 0, pending]);
    assertMatchesTruth(truth, await readStored(db.sql));
    await assertWatermarks(db, truth);
  });
});
