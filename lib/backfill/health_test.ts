import { withTestDatabase } from "../db/testing/database.ts";
import { createRateLimiter, createRestClient } from "../kalshi/mod.ts";
import { BACKFILL_NOW, backfillSimulator } from "../kalshi/sim/testing/paused.ts";
import { createLogger } from "../log/mod.ts";
import { createMetrics, createReadiness } from "../runtime/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { addBackfillReadiness, readBacklogHealth } from "./health.ts";
import { insertJobs, simWorkload } from "./testing/workload.ts";
import { runWorkerPool } from "./worker_pool.ts";

const SIM_NOW = BACKFILL_NOW;
const HOUR = 3_600_000;

Deno.test("worker readiness turns 503 while due jobs wait and when no worker can finish them, and back", async () => {
  const served = backfillSimulator(20, { seed: 3, historyDays: 2, groundTruth: { memory: false } });
  try {
    await withTestDatabase(async ({ sql }) => {
      const workload = simWorkload(served.sim.world, SIM_NOW);
      await insertJobs(sql, workload.jobs.slice(0, 12), { maxAttempts: 1 });
      const [{ due }] = await sql<{ due: Date }[]>`SELECT max(run_after) AS due FROM backfill_jobs`;
      let now = due.getTime() + 10 * 60_000;
      const metrics = createMetrics();
      const readiness = createReadiness({ metrics });
      addBackfillReadiness(readiness, sql, {
        now: () => now,
        maxDueAgeMs: HOUR,
        deadWindowMs: HOUR,
        metrics,
      });
      const verdicts: string[] = [];
      const evaluate = async () => {
        const r = await readiness.evaluate();
        verdicts.push(r.checks.filter((c) => !c.ok).map((c) => c.name).join(",") || "ready");
        return r;
      };
      await evaluate(); // due for 10 minutes: fine
      now += 2 * HOUR; // nobody worked them off
      const waiting = await evaluate();
      assertOk(
        /^12 due job\(s\), the oldest waiting 2h1\dm \(limit 1h00m\): no worker/.test(
          waiting.checks[0].reason ?? "",
        ),
        waiting.checks[0].reason,
      );
      assertOk((await metrics.render()).includes("backfill_oldest_due_job_age_seconds 7"));

      // A worker runs, but the exchange answers 500 to everything: every job dies.
      served.sim.setFaults({ serverErrors: { probability: 1, burst: 1_000_000 } });
      const result = await runWorkerPool({
        sql,
        client: createRestClient({
          baseUrl: served.restUrl,
          limiter: createRateLimiter({ ratePerSecond: 5000, burst: 50 }),
          backoff: { baseMs: 1, maxMs: 2 },
          maxRetries: 1,
        }),
        logger: createLogger("health_test", { sink: () => {} }),
        signal: new AbortController().signal,
        owner: "t",
        concurrency: 2,
        untilEmpty: true,
        pollMs: 20,
        progressMs: 0,
      });
      assertEquals(result.counts?.dead, 12);
      now = Date.now(); // the deaths just happened (the database's clock)
      const died = await evaluate();
      assertOk(died.checks[1].reason?.startsWith("12 job(s) died in the last 1h00m"));
      assertOk(died.checks[1].reason?.includes("answered 503"), died.checks[1].reason);
      assertOk((await metrics.render()).includes("backfill_jobs_dead_recent 12"));

      now += 2 * HOUR; // the window passed
      await evaluate();
      assertEquals(verdicts, ["ready", "backlog", "dead_jobs", "ready"]);
    });
  } finally {
    await served.close();
  }
});

Deno.test("an expired lease counts as waiting from its expiry", async () => {
  await withTestDatabase(async ({ sql }) => {
    const expiry = new Date(Date.UTC(2026, 0, 1));
    await sql`INSERT INTO backfill_jobs (kind, job_key, state, lease_owner, lease_expires_at)
      VALUES ('trades', 'trades:x', 'running', 'gone', ${expiry})`;
    const h = await readBacklogHealth(sql, { now: expiry.getTime() + 90_000, deadWindowMs: HOUR });
    assertEquals(h, { due: 0, oldestDueAgeMs: 90_000, deadRecent: 0, newestDeadError: null });
  });
});
