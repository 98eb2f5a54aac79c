import { withTestDatabase } from "../db/testing/database.ts";
import { createRateLimiter, createRestClient } from "../kalshi/mod.ts";
import type { ServedSimulator } from "../kalshi/sim/mod.ts";
import { BACKFILL_NOW, backfillSimulator } from "../kalshi/sim/testing/paused.ts";
import { createLogger } from "../log/mod.ts";
import { createMetrics } from "../runtime/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { startTcpProxy } from "../testing/tcp_proxy.ts";
import { createPool, guardPostgresClosedSocketWrites } from "../db/mod.ts";
import { countJobs } from "./claim.ts";
import { diffLines, insertJobs, readStored, simWorkload, type Truth } from "./testing/workload.ts";
import { runWorkerPool } from "./worker_pool.ts";
import { createWakeup } from "./wakeup.ts";

/** The simulator's paused "now" (see lib/kalshi/sim/testing/paused.ts). */
const SIM_NOW = BACKFILL_NOW;

function startSim(markets: number, extra: Parameters<typeof backfillSimulator>[1] = {}) {
  return backfillSimulator(markets, { seed: 7, ...extra });
}

function clientFor(served: ServedSimulator, extra: Parameters<typeof createRestClient>[0] = {}) {
  return createRestClient({
    baseUrl: served.restUrl,
    limiter: createRateLimiter({ ratePerSecond: 5000, burst: 50 }),
    backoff: { baseMs: 5, maxMs: 50 },
    maxRetries: 10,
    ...extra,
  });
}

function collectingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("worker_test", {
    level: "debug",
    sink: (line) => lines.push(JSON.parse(line)),
  });
  return { logger, lines };
}

function assertMatchesTruth(truth: Truth, stored: Truth & { duplicateTrades: number }) {
  const candles = diffLines(truth.candles, stored.candles);
  const trades = diffLines(truth.trades, stored.trades);
  assertEquals({ candles, trades, duplicateTrades: stored.duplicateTrades }, {
    candles: { missing: [], extra: [], missingCount: 0, extraCount: 0 },
    trades: { missing: [], extra: [], missingCount: 0, extraCount: 0 },
    duplicateTrades: 0,
  });
}

Deno.test("workers drain the jobs of a few hundred markets and the database equals the simulator's truth", async () => {
  const served = startSim(300);
  try {
    await withTestDatabase(async ({ sql }) => {
      const workload = simWorkload(served.sim.world, SIM_NOW);
      assertOk(workload.markets >= 200, `only ${workload.markets} markets opened`);
      await insertJobs(sql, workload.jobs);
      // A malformed job (a scheduler bug) must end dead with a clear error, not crash anything.
      await sql`INSERT INTO backfill_jobs (kind, job_key, payload)
        VALUES ('candles', 'candles:broken', '{"ticker": "X", "period_minutes": 5}')`;
      const { logger } = collectingLogger();
      const metrics = createMetrics();
      const result = await runWorkerPool({
        sql,
        client: clientFor(served),
        logger,
        signal: new AbortController().signal,
        owner: "t",
        concurrency: 4,
        untilEmpty: true,
        pollMs: 50,
        progressMs: 0,
        metrics,
      });
      assertEquals(result.stoppedBy, "empty");
      assertEquals(result.counts?.dead, 1);
      assertEquals(result.counts?.succeeded, workload.jobs.length);
      const [dead] = await sql`SELECT last_error FROM backfill_jobs WHERE state = 'dead'`;
      assertOk(String(dead.last_error).startsWith("invalid candles payload"), dead.last_error);
      assertMatchesTruth(workload.truth, await readStored(sql));
      assertOk(workload.truth.candles.length > 10_000, "the workload should be substantial");
      // Batching: far fewer candle requests than candle jobs.
      const rest = served.sim.groundTruth.records("rest");
      const batch = rest.filter((r) =>
        r.kind === "rest" && r.path.endsWith("/markets/candlesticks")
      );
      assertOk(batch.length > 0, "the batch endpoint was used");
      const text = await metrics.render();
      assertOk(text.includes("backfill_jobs_dead 1"), text);
      // Watermarks: every candle scope of a market that opened is recorded.
      const [{ n }] = await sql`SELECT count(*)::int AS n FROM ingest_state
        WHERE key = 'candles.high_water'`;
      assertEquals(n, workload.markets * 3);
    }, { max: 8 });
  } finally {
    await served.close();
  }
});

Deno.test("429 storms and 5xx bursts slow the workers down but lose nothing", async () => {
  const served = startSim(60, {
    faults: {
      serverErrors: { probability: 0.05, burst: 3 },
      rateLimitStorm: { probability: 0.03, burst: 8 },
    },
  });
  try {
    await withTestDatabase(async ({ sql }) => {
      const workload = simWorkload(served.sim.world, SIM_NOW);
      await insertJobs(sql, workload.jobs);
      const { logger } = collectingLogger();
      const result = await runWorkerPool({
        sql,
        // Few client retries: some jobs exhaust them and go through the job-level retry too.
        client: clientFor(served, { maxRetries: 2 }),
        logger,
        signal: new AbortController().signal,
        owner: "t",
        concurrency: 3,
        batchSize: 20,
        untilEmpty: true,
        pollMs: 20,
        progressMs: 0,
        retryBaseMs: 10,
      });
      assertEquals(result.counts?.dead, 0);
      const faults = served.sim.groundTruth.records("rest").filter((r) =>
        r.kind === "rest" && r.fault !== undefined
      );
      assertOk(faults.length > 10, `only ${faults.length} faults were injected`);
      assertMatchesTruth(workload.truth, await readStored(sql));
    }, { max: 6 });
  } finally {
    await served.close();
  }
});

Deno.test("a database outage mid-run is waited out and the run still converges", async () => {
  const served = startSim(40);
  try {
    await withTestDatabase(async (db) => {
      const workload = simWorkload(served.sim.world, SIM_NOW);
      await insertJobs(db.sql, workload.jobs);
      const url = new URL(db.url);
      const proxy = startTcpProxy({ hostname: url.hostname, port: Number(url.port || 5432) });
      const proxied = createPool(proxy.url(db.url), { max: 4, connectTimeoutSeconds: 2 });
      const { logger, lines } = collectingLogger();
      let suppressed = 0;
      const unguard = guardPostgresClosedSocketWrites(() => suppressed++);
      let cut = false;
      const done = new Set<string>();
      // Cut the database after the first commits; restore once a worker has felt it.
      const watcher = (async () => {
        while (!cut) {
          const c = await countJobs(db.sql);
          if (c.succeeded >= 10) {
            proxy.cut();
            cut = true;
          } else await new Promise((r) => setTimeout(r, 5));
        }
        while (!lines.some((l) => String(l.level) === "warn" && String(l.message).match(/fail/))) {
          await new Promise((r) => setTimeout(r, 10));
        }
        proxy.restore();
      })();
      try {
        const result = await runWorkerPool({
          sql: proxied,
          client: clientFor(served),
          logger,
          signal: new AbortController().signal,
          owner: "t",
          concurrency: 2,
          batchSize: 10,
          leaseMs: 3000,
          untilEmpty: true,
          pollMs: 50,
          progressMs: 0,
          retryBaseMs: 10,
        });
        await watcher;
        done.add(result.stoppedBy);
      } finally {
        await proxied.end({ timeout: 1 });
        await proxy.close();
        unguard();
      }
      console.error(`postgres.js closed-socket writes suppressed: ${suppressed}`);
      assertEquals([...done], ["empty"]);
      assertOk(cut);
      assertEquals((await countJobs(db.sql)).dead, 0);
      assertMatchesTruth(workload.truth, await readStored(db.sql));
    });
  } finally {
    await served.close();
  }
});

Deno.test("trades can be switched off: trade jobs stay pending and candles are complete", async () => {
  const served = startSim(20);
  try {
    await withTestDatabase(async ({ sql }) => {
      const workload = simWorkload(served.sim.world, SIM_NOW);
      await insertJobs(sql, workload.jobs);
      const result = await runWorkerPool({
        sql,
        client: clientFor(served),
        logger: collectingLogger().logger,
        signal: new AbortController().signal,
        owner: "t",
        untilEmpty: true,
        trades: false,
        pollMs: 20,
        progressMs: 0,
      });
      assertEquals(result.stoppedBy, "empty");
      const [{ n }] = await sql`SELECT count(*)::int AS n FROM backfill_jobs
        WHERE kind = 'trades' AND state = 'pending'`;
      assertEquals(n, workload.markets);
      const stored = await readStored(sql);
      assertEquals(diffLines(workload.truth.candles, stored.candles).missingCount, 0);
      assertEquals(stored.trades.length, 0);
    });
  } finally {
    await served.close();
  }
});

Deno.test("a notification wakes idle workers long before their poll interval", async () => {
  const served = startSim(10);
  try {
    await withTestDatabase(async ({ sql }) => {
      const wakeup = createWakeup();
      const stop = new AbortController();
      const { logger } = collectingLogger();
      let rounds = 0;
      const pool = runWorkerPool({
        sql,
        client: clientFor(served),
        logger,
        signal: stop.signal,
        owner: "t",
        concurrency: 1,
        // Ten minutes: only the notification can make the worker look again in time.
        pollMs: 600_000,
        progressMs: 0,
        wakeup,
        onProgress: () => rounds++,
      });
      // Let the worker find the queue empty and go to sleep.
      await wakeup.notify();
      const workload = simWorkload(served.sim.world, SIM_NOW);
      await insertJobs(sql, workload.jobs);
      // Resolves once a round that began after it has committed its jobs.
      await wakeup.notify();
      const counts = await countJobs(sql);
      assertEquals([counts.succeeded, counts.pending], [workload.jobs.length, 0]);
      stop.abort();
      const result = await pool;
      assertEquals(result.stoppedBy, "signal");
      assertMatchesTruth(workload.truth, await readStored(sql));
      assertEquals(rounds, 0);
    });
  } finally {
    await served.close();
  }
});
