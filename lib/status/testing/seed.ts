/**
 * Test seeding for `deno task status`: a healthy capture at a given instant, and the defects
 * each check must catch. Times are relative to the `now` the test injects.
 * @module
 */
import { setIngestState, type Sql } from "../../db/mod.ts";

const MINUTE = 60_000;

/** ISO time `ms` before `now`. */
export function before(now: Date, ms: number): string {
  return new Date(now.getTime() - ms).toISOString();
}

/** A market open at `now` (status active, opened a day ago, closing in a day). */
export async function seedOpenMarket(sql: Sql, now: Date, ticker = "KXSTATUS-26DEC02-T1") {
  await sql`
    INSERT INTO markets (ticker, event_ticker, status, open_time, close_time, raw)
    VALUES (${ticker}, 'KXSTATUS-26DEC02', 'active', ${before(now, 1440 * MINUTE)},
            ${before(now, -1440 * MINUTE)}, '{}')`;
}

/** A ws.session of `instance` whose ticker and trade channels were last heard `silentMs` ago. */
export async function seedSession(
  sql: Sql,
  now: Date,
  options: { instance?: string; silentMs?: number; connectedAgoMs?: number } = {},
) {
  const silent = options.silentMs ?? 10_000;
  const heard = { lastReceivedAt: before(now, silent), lastMessageAt: before(now, silent + 50) };
  await setIngestState(sql, {
    key: "ws.session",
    scope: options.instance ?? "default",
    value: {
      sessionId: "s-1",
      connectedAt: before(now, options.connectedAgoMs ?? 3 * 3_600_000),
      lastFlushedAt: before(now, silent),
      lastMessageAt: heard.lastMessageAt,
      channels: {
        ticker: heard,
        trade: heard,
        market_lifecycle_v2: { lastReceivedAt: before(now, 20 * MINUTE) },
      },
    },
  });
}

/** A discovery pass that started `agoMs` before `now`. */
export async function seedDiscovery(sql: Sql, now: Date, agoMs = 5 * MINUTE) {
  await setIngestState(sql, { key: "discovery.markets_synced", value: { at: before(now, agoMs) } });
}

/** A backfill job in `state`; `runAfterAgoMs` / `finishedAgoMs` relative to `now`. */
export async function seedJob(
  sql: Sql,
  now: Date,
  job: {
    key: string;
    state: string;
    runAfterAgoMs?: number;
    finishedAgoMs?: number;
    error?: string;
  },
) {
  const running = job.state === "running";
  await sql`
    INSERT INTO backfill_jobs (kind, job_key, state, run_after, lease_owner, lease_expires_at,
                               finished_at, last_error)
    VALUES ('candles', ${job.key}, ${job.state}, ${before(now, job.runAfterAgoMs ?? 0)},
            ${running ? "w-1" : null}, ${running ? before(now, -5 * MINUTE) : null},
            ${job.finishedAgoMs === undefined ? null : before(now, job.finishedAgoMs)},
            ${job.error ?? null})`;
}

/**
 * A healthy capture at `now`: an open market, a session hearing ticks 10 s ago, a discovery pass
 * 5 min ago, a short backlog, an old dead job outside the window, a gap and dead letters.
 */
export async function seedHealthy(sql: Sql, now: Date) {
  await seedOpenMarket(sql, now);
  await seedSession(sql, now);
  await seedDiscovery(sql, now);
  await seedJob(sql, now, { key: "due-recent", state: "pending", runAfterAgoMs: 2 * MINUTE });
  await seedJob(sql, now, { key: "future", state: "pending", runAfterAgoMs: -10 * MINUTE });
  await seedJob(sql, now, { key: "working", state: "running", runAfterAgoMs: MINUTE });
  await seedJob(sql, now, {
    key: "dead-long-ago",
    state: "dead",
    finishedAgoMs: 3 * 3_600_000,
    error: "HTTP 404",
  });
  await sql`
    INSERT INTO capture_gaps (channel, gap_start, gap_end, reason)
    VALUES ('ticker', ${before(now, 2 * 3_600_000)}, ${before(now, 119 * MINUTE)}, 'disconnect')`;
  await sql`
    INSERT INTO dead_letters (source, error, payload, received_at)
    VALUES ('ws', 'not JSON', 'x', ${before(now, 3_600_000)}),
           ('ws', 'not JSON', 'y', ${before(now, 2 * 3_600_000)}),
           ('rest:/markets', 'bad', 'z', ${before(now, 3 * 3_600_000)}),
           ('ws', 'too old', 'w', ${before(now, 2 * 1440 * MINUTE)})`;
}
