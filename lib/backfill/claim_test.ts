import type { Sql } from "../db/mod.ts";
import { getIngestState } from "../db/mod.ts";
import { withTestDatabase } from "../db/testing/database.ts";
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import {
  claimJobs,
  completeJob,
  countJobs,
  extendLeases,
  failJob,
  LeaseLostError,
  releaseJobs,
} from "./claim.ts";
import { jobKey, type NewJob } from "./job.ts";
import { advanceWatermark } from "./store.ts";

function candleJob(ticker: string, start: number, end: number, priority = 0): NewJob {
  return {
    kind: "candles",
    priority,
    payload: {
      ticker,
      series_ticker: "KXS",
      period_minutes: 60,
      start_ts: start,
      end_ts: end,
      historical: false,
    },
  };
}

async function insertJob(sql: Sql, job: NewJob, maxAttempts = 8): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO backfill_jobs (kind, job_key, payload, priority, max_attempts)
    VALUES (${job.kind}, ${jobKey(job)}, ${sql.json(job.payload)}, ${job.priority ?? 0},
      ${maxAttempts})
    RETURNING id`;
  return String(row.id);
}

const T0 = new Date("2030-01-01T00:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

Deno.test("claimJobs leases due jobs highest priority first and counts the attempt", async () => {
  await withTestDatabase(async ({ sql }) => {
    const low = await insertJob(sql, candleJob("A", 0, 3599));
    const high = await insertJob(sql, candleJob("B", 0, 3599, 5));
    const claimed = await claimJobs(sql, { owner: "w1", limit: 1, leaseMs: 60_000, now: T0 });
    assertEquals(claimed.map((j) => j.id), [high]);
    assertEquals(claimed[0].attempts, 1);
    assertEquals(claimed[0].leaseExpiresAt.getTime(), at(60).getTime());
    const rest = await claimJobs(sql, { owner: "w2", limit: 10, leaseMs: 60_000, now: T0 });
    assertEquals(rest.map((j) => j.id), [low]);
    assertEquals(await claimJobs(sql, { owner: "w3", limit: 10, leaseMs: 60_000, now: T0 }), []);
  });
});

Deno.test("concurrent claimers never receive the same job", async () => {
  await withTestDatabase(async ({ sql }) => {
    for (let i = 0; i < 200; i++) await insertJob(sql, candleJob(`M${i}`, 0, 3599));
    const rounds = await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        const mine: string[] = [];
        for (;;) {
          const jobs = await claimJobs(sql, { owner: `w${w}`, limit: 7, leaseMs: 60_000 });
          if (jobs.length === 0) return mine;
          mine.push(...jobs.map((j) => j.id));
        }
      }),
    );
    const all = rounds.flat();
    assertEquals(all.length, 200);
    assertEquals(new Set(all).size, 200);
  }, { max: 10 });
});

Deno.test("an expired lease is reclaimed, and the old owner can no longer complete", async () => {
  await withTestDatabase(async ({ sql }) => {
    await insertJob(sql, candleJob("A", 0, 3599));
    const [first] = await claimJobs(sql, { owner: "w1", limit: 1, leaseMs: 10_000, now: T0 });
    assertEquals(await claimJobs(sql, { owner: "w2", limit: 1, leaseMs: 10_000, now: at(5) }), []);
    const [second] = await claimJobs(sql, {
      owner: "w2",
      limit: 1,
      leaseMs: 10_000,
      now: at(11),
    });
    assertEquals(second.id, first.id);
    assertEquals(second.attempts, 2);
    await assertRejects(
      sql.begin((tx) => completeJob(tx, first)),
      LeaseLostError,
    );
    assertEquals(await extendLeases(sql, [first.id], { owner: "w1", leaseMs: 1000 }), []);
    await sql.begin((tx) => completeJob(tx, second));
    const counts = await countJobs(sql);
    assertEquals([counts.succeeded, counts.running, counts.pending], [1, 0, 0]);
  });
});

Deno.test("a failed job waits out its backoff and is dead after max_attempts with its error", async () => {
  await withTestDatabase(async ({ sql }) => {
    const id = await insertJob(sql, candleJob("A", 0, 3599), 2);
    const [a1] = await claimJobs(sql, { owner: "w", limit: 1, leaseMs: 10_000, now: T0 });
    assertEquals(
      await failJob(sql, a1, "HTTP 503", { retryDelayMs: 30_000, now: T0 }),
      "retry",
    );
    assertEquals(await claimJobs(sql, { owner: "w", limit: 1, leaseMs: 10_000, now: at(29) }), []);
    const [a2] = await claimJobs(sql, { owner: "w", limit: 1, leaseMs: 10_000, now: at(31) });
    assertEquals(a2.attempts, 2);
    assertEquals(await failJob(sql, a2, "HTTP 502 again", { now: at(31) }), "dead");
    const [row] = await sql`SELECT state, last_error, attempts FROM backfill_jobs WHERE id = ${id}`;
    assertEquals([row.state, row.last_error, row.attempts], ["dead", "HTTP 502 again", 2]);
    assertEquals(
      await claimJobs(sql, { owner: "w", limit: 1, leaseMs: 10_000, now: at(9999) }),
      [],
    );
  });
});

Deno.test("a lease that expires on the last attempt buries the job instead of reclaiming it", async () => {
  await withTestDatabase(async ({ sql }) => {
    const id = await insertJob(sql, candleJob("A", 0, 3599), 1);
    await claimJobs(sql, { owner: "crashed", limit: 1, leaseMs: 10_000, now: T0 });
    assertEquals(await claimJobs(sql, { owner: "w", limit: 1, leaseMs: 10_000, now: at(60) }), []);
    const [row] = await sql`SELECT state, last_error FROM backfill_jobs WHERE id = ${id}`;
    assertEquals(row.state, "dead");
    assertOk(String(row.last_error).includes("lease of crashed expired on attempt 1 of 1"));
  });
});

Deno.test("releaseJobs hands leased jobs back without counting the attempt", async () => {
  await withTestDatabase(async ({ sql }) => {
    await insertJob(sql, candleJob("A", 0, 3599));
    await insertJob(sql, candleJob("B", 0, 3599));
    const jobs = await claimJobs(sql, { owner: "w", limit: 2, leaseMs: 60_000 });
    assertEquals(await releaseJobs(sql, jobs), 2);
    const again = await claimJobs(sql, { owner: "v", limit: 2, leaseMs: 60_000 });
    assertEquals(again.map((j) => j.attempts), [1, 1]);
  });
});

Deno.test("a bad payload can be buried at once with permanent failure", async () => {
  await withTestDatabase(async ({ sql }) => {
    await sql`INSERT INTO backfill_jobs (kind, job_key, payload) VALUES ('candles', 'x', '{}')`;
    const [job] = await claimJobs(sql, { owner: "w", limit: 1, leaseMs: 60_000 });
    assertEquals(await failJob(sql, job, "invalid payload", { permanent: true }), "dead");
    assertEquals((await countJobs(sql)).dead, 1);
  });
});

Deno.test("the candle watermark advances only through windows that all succeeded", async () => {
  await withTestDatabase(async ({ sql }) => {
    const ids = [];
    for (const [s, e] of [[0, 3599], [3600, 7199], [7200, 10799]]) {
      ids.push(await insertJob(sql, candleJob("A", s, e)));
    }
    const jobs = await claimJobs(sql, { owner: "w", limit: 3, leaseMs: 60_000 });
    const finish = (i: number) =>
      sql.begin(async (tx) => {
        const mark = await advanceWatermark(tx, {
          kind: "candles",
          jobId: jobs[i].id,
          ticker: "A",
          periodMinutes: 60,
        }, { nowTs: 1e10 });
        await completeJob(tx, jobs[i]);
        return mark;
      });
    // The middle window first: the first one is still a hole.
    assertEquals(await finish(1), null);
    assertEquals(await getIngestState(sql, "candles.high_water", { scope: "A:60" }), undefined);
    assertEquals((await finish(0))?.getTime(), 7199_000);
    assertEquals((await finish(2))?.getTime(), 10799_000);
    assertEquals(await getIngestState(sql, "candles.high_water", { scope: "A:60" }), {
      endPeriodTs: new Date(10799_000).toISOString(),
    });
  });
});
