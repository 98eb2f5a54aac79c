import { withTestDatabase } from "../db/testing/database.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { advanceWatermark, scopeWindows } from "./store.ts";

/** 40,000 jobs: 2,000 markets × (3 candle periods × 5 windows + 5 trade windows). */
async function manyJobs(sql: Parameters<Parameters<typeof withTestDatabase>[0]>[0]["sql"]) {
  await sql`
    INSERT INTO backfill_jobs (kind, job_key, payload, state)
    SELECT 'candles', format('candles:KX-M%s:%s:%s:%s', m, p, w * 86400, w * 86400 + 86399),
      jsonb_build_object('ticker', 'KX-M' || m, 'series_ticker', 'KX', 'period_minutes', p,
        'start_ts', w * 86400, 'end_ts', w * 86400 + 86399, 'historical', false),
      CASE WHEN w < 2 THEN 'succeeded' ELSE 'pending' END
    FROM generate_series(1, 2000) m, unnest(ARRAY[1, 60, 1440]) p, generate_series(0, 4) w`;
  await sql`
    INSERT INTO backfill_jobs (kind, job_key, payload, state)
    SELECT 'trades', format('trades:KX-M%s:%s:%s', m, w * 86400, w * 86400 + 86399),
      jsonb_build_object('ticker', 'KX-M' || m, 'min_ts', w * 86400,
        'max_ts', w * 86400 + 86399, 'historical', false),
      'pending'
    FROM generate_series(1, 2000) m, generate_series(0, 4) w`;
  await sql`ANALYZE backfill_jobs`;
}

Deno.test("the watermark reads one market's job windows through the ticker index, not a scan", async () => {
  await withTestDatabase(async ({ sql }) => {
    await manyJobs(sql);
    for (
      const window of [
        { kind: "candles" as const, jobId: "0", ticker: "KX-M17", periodMinutes: 60 },
        { kind: "trades" as const, jobId: "0", ticker: "KX-M17" },
      ]
    ) {
      const plan = (await sql`EXPLAIN ${scopeWindows(sql, window)}`)
        .map((r) => String(r["QUERY PLAN"])).join("\n");
      assertOk(plan.includes("backfill_jobs_ticker_idx"), plan);
      assertOk(!plan.includes("Seq Scan"), plan);
      const rows = await scopeWindows(sql, window);
      assertEquals(rows.length, 5, `${window.kind} windows of one market`);
    }
  });
});

Deno.test("the watermark stops at the first window that has not succeeded, per market and period", async () => {
  await withTestDatabase(async ({ sql }) => {
    await manyJobs(sql);
    // KX-M1's 60-minute windows 0 and 1 succeeded; completing window 2 moves the mark to its end.
    const [job] = await sql<{ id: string }[]>`
      SELECT id FROM backfill_jobs WHERE job_key = 'candles:KX-M1:60:172800:259199'`;
    const mark = await sql.begin((tx) =>
      advanceWatermark(tx as unknown as typeof sql, {
        kind: "candles",
        jobId: job.id,
        ticker: "KX-M1",
        periodMinutes: 60,
      }, { nowTs: 10_000_000 })
    );
    assertEquals(mark?.getTime(), 259_199_000);
    // A market whose name extends another's ("KX-M1" vs "KX-M10") is a different scope.
    const [other] = await sql<{ id: string }[]>`
      SELECT id FROM backfill_jobs WHERE job_key = 'candles:KX-M10:60:345600:431999'`;
    const held = await sql.begin((tx) =>
      advanceWatermark(tx as unknown as typeof sql, {
        kind: "candles",
        jobId: other.id,
        ticker: "KX-M10",
        periodMinutes: 60,
      }, { nowTs: 10_000_000 })
    );
    // Windows 2 and 3 of KX-M10 are still pending: the mark stays at window 1's end.
    assertEquals(held?.getTime(), 172_799_000);
  });
});
