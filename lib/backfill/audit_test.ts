import type { Sql } from "../db/mod.ts";
import { withTestDatabase } from "../db/testing/database.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { auditCoverage } from "./audit.ts";
import { scheduleDueBackfill } from "./schedule.ts";

// Every time in these tests is injected: NOW is the audit's clock, nothing reads the wall clock.
const NOW = Date.parse("2026-03-10T12:00:00Z");
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

interface MarketSpec {
  ticker: string;
  open: number;
  close: number;
  status?: string;
  result?: string;
  settlement?: number | null;
}

/** A: closed yesterday after 20 days (many candle chunks); B: open until tomorrow. */
const A: MarketSpec = {
  ticker: "KXAUD-A",
  open: NOW - 20 * DAY,
  close: NOW - DAY,
  status: "finalized",
  result: "yes",
  settlement: NOW - DAY + 10 * MIN,
};
const B: MarketSpec = { ticker: "KXAUD-B", open: NOW - 2 * DAY, close: NOW + DAY };

async function insertMarkets(sql: Sql, specs: readonly MarketSpec[]): Promise<void> {
  for (const m of specs) {
    await sql`
      INSERT INTO markets (ticker, event_ticker, series_ticker, status, result, open_time,
        close_time, settlement_ts, raw)
      VALUES (${m.ticker}, ${m.ticker.replace(/-[^-]+$/, "")}, 'KXAUD', ${m.status ?? "active"},
        ${m.result ?? ""}, ${new Date(m.open)}, ${new Date(m.close)},
        ${m.settlement ? new Date(m.settlement) : null}, '{}'::jsonb)`;
  }
}

/** Schedules every stored market at `now` and marks every job succeeded. */
async function scheduleAndFinish(sql: Sql, now = NOW): Promise<void> {
  await scheduleDueBackfill(sql, { now, cutoff: null });
  await sql`
    UPDATE backfill_jobs SET state = 'succeeded', finished_at = ${new Date(now)}
    WHERE state = 'pending'`;
}

interface JobRow {
  id: string;
  job_key: string;
  kind: string;
  state: string;
  priority: number;
  run_after: Date;
  attempts: number;
  last_error: string | null;
  payload: Record<string, unknown>;
  ticker: string;
  track: string;
  start: number;
  end: number;
}

async function jobs(sql: Sql): Promise<JobRow[]> {
  const rows = await sql<Omit<JobRow, "track" | "start" | "end">[]>`
    SELECT id, job_key, kind, state, priority, run_after, attempts, last_error, payload,
      payload ->> 'ticker' AS ticker
    FROM backfill_jobs ORDER BY job_key`;
  return rows.map((r) => {
    const p = r.payload as Record<string, number>;
    return {
      ...r,
      track: r.kind === "candles" ? `candles${p.period_minutes}` : "trades",
      start: r.kind === "candles" ? p.start_ts : p.min_ts,
      end: r.kind === "candles" ? p.end_ts : p.max_ts,
    };
  });
}

function of(list: JobRow[], ticker: string, track: string): JobRow[] {
  return list.filter((j) => j.ticker === ticker && j.track === track)
    .sort((a, b) => a.start - b.start);
}

/** The job covering second `s` of a market's track. */
function covering(list: JobRow[], ticker: string, track: string, ms: number): JobRow {
  const s = Math.floor(ms / 1000);
  const job = of(list, ticker, track).find((j) => j.start <= s && s <= j.end);
  assertOk(job, `a ${track} job of ${ticker} covers ${new Date(ms).toISOString()}`);
  return job;
}

async function deleteJobs(sql: Sql, list: readonly JobRow[]): Promise<void> {
  await sql`DELETE FROM backfill_jobs WHERE id = ANY(${list.map((j) => j.id)}::bigint[])`;
}

Deno.test("the audit schedules exactly the job ranges that went missing, and nothing when run again", async () => {
  await withTestDatabase(async ({ sql }) => {
    await insertMarkets(sql, [A, B]);
    await scheduleAndFinish(sql);
    const clean = await auditCoverage(sql, { now: NOW });
    assertEquals(
      [clean.markets, clean.holes, clean.jobsScheduled, clean.uncoveredMarketPeriods],
      [2, 0, 0, 0],
    );

    const before = await jobs(sql);
    const aMinutes = of(before, A.ticker, "candles1");
    assertOk(aMinutes.length >= 4, `A has ${aMinutes.length} one-minute chunks`);
    const lost = [
      aMinutes[1], // two adjacent chunks in the middle: one hole, cut back on the grid
      aMinutes[2],
      of(before, A.ticker, "trades")[0], // the first chunk, from open_time
      ...of(before, B.ticker, "candles60"), // a whole track
      of(before, B.ticker, "candles1").at(-1)!, // the tail of an open market
    ];
    await deleteJobs(sql, lost);
    // Candles are sparse, so rows are never the measure; the finished jobs are.
    await sql`DELETE FROM candles`;

    const report = await auditCoverage(sql, { now: NOW, cutoff: null });
    assertEquals(report.holes, 4);
    assertEquals(report.jobsScheduled, lost.length);
    assertEquals(report.jobsRevived, 0);
    assertEquals(report.uncoveredMarketPeriods, 4, "A candles1, A trades, B candles60, B candles1");

    const after = await jobs(sql);
    assertEquals(after.map((j) => j.job_key), before.map((j) => j.job_key), "the same job keys");
    const recreated = after.filter((j) => j.state === "pending");
    assertEquals(recreated.map((j) => j.job_key).sort(), lost.map((j) => j.job_key).sort());
    for (const job of recreated) {
      const old = lost.find((j) => j.job_key === job.job_key)!;
      assertEquals(job.payload, old.payload);
      assertEquals(job.priority, old.priority, `priority of ${job.job_key}`);
      assertEquals(job.run_after.getTime(), NOW);
    }

    const again = await auditCoverage(sql, { now: NOW });
    assertEquals([again.holes, again.jobsScheduled, again.jobsRevived], [0, 0, 0]);
    assertEquals(again.uncoveredMarketPeriods, 4, "pending jobs do not cover yet");
    assertEquals((await jobs(sql)).length, before.length);
  });
});

Deno.test("a dead job is revived once it has been dead reviveDeadAfterMs by the injected clock", async () => {
  await withTestDatabase(async ({ sql }) => {
    await insertMarkets(sql, [A]);
    await scheduleAndFinish(sql);
    const list = await jobs(sql);
    const [oldDeath, recentDeath] = [
      of(list, A.ticker, "trades")[0],
      of(list, A.ticker, "candles60")[0],
    ];
    await sql`
      UPDATE backfill_jobs SET state = 'dead', attempts = 8, last_error = 'HTTP 500',
        finished_at = NULL,
        updated_at = CASE WHEN id = ${oldDeath.id} THEN ${new Date(NOW - 7 * HOUR)}
                          ELSE ${new Date(NOW - HOUR)} END
      WHERE id IN (${oldDeath.id}, ${recentDeath.id})`;

    const first = await auditCoverage(sql, { now: NOW });
    assertEquals([first.holes, first.jobsScheduled, first.jobsRevived], [2, 0, 1]);
    const revived = (await jobs(sql)).find((j) => j.id === oldDeath.id)!;
    assertEquals([revived.state, revived.attempts], ["pending", 0]);
    assertEquals(revived.run_after.getTime(), NOW);
    assertEquals(revived.last_error, "revived by the coverage audit; before: HTTP 500");
    assertEquals((await jobs(sql)).find((j) => j.id === recentDeath.id)!.state, "dead");

    // Exactly six hours dead is not yet "longer than six hours".
    const boundary = await auditCoverage(sql, { now: NOW + 5 * HOUR });
    assertEquals(boundary.jobsRevived, 0);
    const later = await auditCoverage(sql, { now: NOW + 5 * HOUR + 1000 });
    assertEquals([later.jobsRevived, later.jobsScheduled], [1, 0]);
    assertEquals((await jobs(sql)).find((j) => j.id === recentDeath.id)!.state, "pending");

    // The delay is a setting.
    await sql`UPDATE backfill_jobs SET state = 'dead', updated_at = ${new Date(NOW - 2 * MIN)}
      WHERE id = ${oldDeath.id}`;
    const quick = await auditCoverage(sql, { now: NOW, reviveDeadAfterMs: MIN });
    assertEquals(quick.jobsRevived, 1);
  });
});

Deno.test("a capture gap is stamped filled only once finished jobs cover its span for every market it concerns", async () => {
  await withTestDatabase(async ({ sql }) => {
    // C opened after gap 2, so its jobs do not concern that gap.
    const C: MarketSpec = { ticker: "KXAUD-C", open: NOW - 6 * HOUR, close: NOW + DAY };
    await insertMarkets(sql, [A, B, C]);
    await scheduleAndFinish(sql);
    const gap = async (tickers: string[] | null, start: number, end: number) => {
      const [row] = await sql<{ id: string }[]>`
        INSERT INTO capture_gaps (channel, market_tickers, gap_start, gap_end, reason)
        VALUES ('trade', ${tickers}, ${new Date(start)}, ${new Date(end)}, 'disconnect')
        RETURNING id`;
      return row.id;
    };
    const covered = await gap([A.ticker], NOW - 10 * DAY, NOW - 10 * DAY + 30 * MIN);
    const everyone = await gap(null, NOW - 36 * HOUR, NOW - 36 * HOUR + 20 * MIN);
    const unknown = await gap(["KXAUD-LATER"], NOW - 3 * HOUR, NOW - 3 * HOUR + 5 * MIN);
    const recent = await gap([B.ticker], NOW - 5 * MIN, NOW - 2 * MIN);

    const list = await jobs(sql);
    const lost = [
      covering(list, A.ticker, "trades", NOW - 36 * HOUR),
      covering(list, B.ticker, "candles1", NOW - 36 * HOUR),
      of(list, C.ticker, "trades")[0],
    ];
    await deleteJobs(sql, lost);

    const filledAt = async () =>
      new Map(
        (await sql<{ id: string; filled_at: Date | null }[]>`
          SELECT id, filled_at FROM capture_gaps`).map((r) => [r.id, r.filled_at?.getTime()]),
      );
    const first = await auditCoverage(sql, { now: NOW });
    assertEquals([first.gapsFilled, first.gapsOpen], [1, 3]);
    assertEquals(first.jobsScheduled, 3);
    const pending = (await jobs(sql)).filter((j) => j.state === "pending");
    assertEquals(pending.map((j) => j.job_key).sort(), lost.map((j) => j.job_key).sort());
    let filled = await filledAt();
    assertEquals(filled.get(covered), NOW);
    assertEquals(
      [filled.get(everyone), filled.get(unknown), filled.get(recent)],
      [undefined, undefined, undefined],
    );

    // The re-scheduled jobs finish: gap 2 is filled; C's pending trades never mattered to it.
    await sql`UPDATE backfill_jobs SET state = 'succeeded' WHERE job_key <> ${lost[2].job_key}`;
    const second = await auditCoverage(sql, { now: NOW + MIN });
    assertEquals([second.gapsFilled, second.gapsOpen], [1, 2]);
    filled = await filledAt();
    assertEquals(filled.get(everyone), NOW + MIN);
    assertEquals(filled.get(covered), NOW, "a filled gap is not stamped again");

    // The unknown market is discovered and its jobs finish; B's tail grows past the recent gap.
    await insertMarkets(sql, [{ ticker: "KXAUD-LATER", open: NOW - 5 * HOUR, close: NOW + HOUR }]);
    await scheduleAndFinish(sql, NOW + 20 * MIN);
    const third = await auditCoverage(sql, { now: NOW + 20 * MIN });
    assertEquals([third.gapsFilled, third.gapsOpen], [2, 0]);
    filled = await filledAt();
    assertEquals([filled.get(unknown), filled.get(recent)], [NOW + 20 * MIN, NOW + 20 * MIN]);
  });
});

Deno.test("closed markets still without settlement after the grace period are listed for a re-read", async () => {
  await withTestDatabase(async ({ sql }) => {
    await insertMarkets(sql, [
      A, // finalized, settled: fine
      { ticker: "KXAUD-C", open: NOW - DAY, close: NOW - 2 * HOUR, status: "closed" },
      { ticker: "KXAUD-D", open: NOW - DAY, close: NOW - 30 * MIN, status: "closed" },
      {
        ticker: "KXAUD-E",
        open: NOW - DAY,
        close: NOW - 3 * HOUR,
        status: "determined",
        result: "no",
      },
      B, // still open
    ]);
    const report = await auditCoverage(sql, { now: NOW });
    assertEquals(report.unsettledTickers, ["KXAUD-E", "KXAUD-C"], "oldest close first");
    const short = await auditCoverage(sql, { now: NOW, settlementGraceSeconds: 600 });
    assertEquals(short.unsettledTickers, ["KXAUD-E", "KXAUD-C", "KXAUD-D"]);
    const limited = await auditCoverage(sql, { now: NOW, settlementLimit: 1 });
    assertEquals(limited.unsettledTickers, ["KXAUD-E"]);
    await sql`
      UPDATE markets SET status = 'finalized', result = 'no', settlement_ts = ${new Date(NOW)}
      WHERE ticker = 'KXAUD-E'`;
    assertEquals((await auditCoverage(sql, { now: NOW })).unsettledTickers, ["KXAUD-C"]);
  });
});

Deno.test("uncovered market-periods count market × track pairs whose required span lacks finished jobs", async () => {
  await withTestDatabase(async ({ sql }) => {
    await insertMarkets(sql, [
      A,
      B,
      // Opened a minute ago: nothing is reachable yet, so nothing is uncovered.
      { ticker: "KXAUD-G", open: NOW - MIN, close: NOW + DAY },
      // Opens later: not examined.
      { ticker: "KXAUD-H", open: NOW + HOUR, close: NOW + DAY },
    ]);
    await scheduleDueBackfill(sql, { now: NOW, cutoff: null });
    const pending = await auditCoverage(sql, { now: NOW });
    assertEquals([pending.markets, pending.uncoveredMarketPeriods], [3, 8]);
    await sql`UPDATE backfill_jobs SET state = 'succeeded'`;
    assertEquals((await auditCoverage(sql, { now: NOW })).uncoveredMarketPeriods, 0);
    const list = await jobs(sql);
    await sql`
      UPDATE backfill_jobs SET state = 'running', lease_owner = 'w1',
        lease_expires_at = ${new Date(NOW + MIN)}
      WHERE id = ${of(list, B.ticker, "trades")[0].id}`;
    await sql`
      UPDATE backfill_jobs SET state = 'dead', updated_at = ${new Date(NOW - HOUR)}
      WHERE id = ${of(list, A.ticker, "candles1440")[0].id}`;
    const partial = await auditCoverage(sql, { now: NOW });
    assertEquals(partial.uncoveredMarketPeriods, 2);
    // Time passing makes an open market's tail uncovered until the scheduler extends it.
    const later = await auditCoverage(sql, { now: NOW + HOUR });
    assertOk(later.uncoveredMarketPeriods > 2, `${later.uncoveredMarketPeriods}`);
  });
});
