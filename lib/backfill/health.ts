/**
 * Whether backfill keeps up: the oldest job that is due and waiting, and the jobs that died
 * recently. Read by worker_service's readiness (and its metrics) from the job table, so the
 * verdict holds whichever worker process (or none) is running.
 * @module
 */
import type { Sql } from "../db/mod.ts";
import { formatDuration, type Metrics, type Readiness } from "../runtime/mod.ts";

/** The backlog at one instant. */
export interface BacklogHealth {
  /** Pending jobs that are due. */
  due: number;
  /** How long the oldest due pending job (or expired lease) has waited, ms; 0 when none. */
  oldestDueAgeMs: number;
  /** Jobs that became dead within the window. */
  deadRecent: number;
  /** The newest such job's error (truncated), if any. */
  newestDeadError: string | null;
}

/** Options of {@linkcode readBacklogHealth}. */
export interface BacklogHealthOptions {
  /** The current time (Unix ms). */
  now: number;
  /** Dead jobs count when they died within this many ms before `now`. */
  deadWindowMs: number;
}

/** Reads the backlog's health (index probes: see migrations/0006_health_indexes.sql). */
export async function readBacklogHealth(
  sql: Sql,
  options: BacklogHealthOptions,
): Promise<BacklogHealth> {
  const now = new Date(options.now);
  const since = new Date(options.now - options.deadWindowMs);
  const [row] = await sql<
    { due: number; oldest: Date | null; expired: Date | null; dead: number; error: string | null }[]
  >`
    SELECT
      (SELECT count(*)::int FROM backfill_jobs
         WHERE state = 'pending' AND run_after <= ${now}) AS due,
      (SELECT min(run_after) FROM backfill_jobs
         WHERE state = 'pending' AND run_after <= ${now}) AS oldest,
      (SELECT min(lease_expires_at) FROM backfill_jobs
         WHERE state = 'running' AND lease_expires_at <= ${now}) AS expired,
      (SELECT count(*)::int FROM backfill_jobs
         WHERE state = 'dead' AND finished_at >= ${since}) AS dead,
      (SELECT left(last_error, 300) FROM backfill_jobs
         WHERE state = 'dead' AND finished_at >= ${since}
         ORDER BY finished_at DESC LIMIT 1) AS error`;
  const waitingSince = [row.oldest, row.expired].filter((d) => d !== null)
    .map((d) => d!.getTime());
  return {
    due: row.due,
    oldestDueAgeMs: waitingSince.length === 0
      ? 0
      : Math.max(0, options.now - Math.min(...waitingSince)),
    deadRecent: row.dead,
    newestDeadError: row.error,
  };
}

/** Options of {@linkcode addBackfillReadiness}. */
export interface BackfillReadinessOptions {
  /** The current time (Unix ms). */
  now: () => number;
  /** Not ready when the oldest due job has waited longer than this. */
  maxDueAgeMs: number;
  /** Not ready while a job died within this window. */
  deadWindowMs: number;
  /** Receives `backfill_oldest_due_job_age_seconds` and `backfill_jobs_dead_recent`. */
  metrics?: Metrics;
}

/** Registers the "backlog" and "dead_jobs" checks of worker_service's readiness. */
export function addBackfillReadiness(
  readiness: Readiness,
  sql: Sql,
  options: BackfillReadinessOptions,
): void {
  const age = options.metrics?.gauge(
    "backfill_oldest_due_job_age_seconds",
    "how long the oldest due backfill job has waited (0 when none)",
  );
  const dead = options.metrics?.gauge(
    "backfill_jobs_dead_recent",
    "backfill jobs that became dead within the readiness window",
  );
  let latest: Promise<BacklogHealth> | undefined;
  // Both checks share one read per evaluation.
  const read = () => {
    latest ??= readBacklogHealth(sql, {
      now: options.now(),
      deadWindowMs: options.deadWindowMs,
    }).then((h) => {
      age?.set(Math.floor(h.oldestDueAgeMs / 1000));
      dead?.set(h.deadRecent);
      return h;
    }).finally(() => queueMicrotask(() => (latest = undefined)));
    return latest;
  };
  readiness.add("backlog", async () => {
    const h = await read();
    const detail = { due: h.due, oldest_due_age_ms: h.oldestDueAgeMs };
    if (h.oldestDueAgeMs <= options.maxDueAgeMs) return { ok: true, detail };
    return {
      ok: false,
      reason: `${h.due} due job(s), the oldest waiting ${formatDuration(h.oldestDueAgeMs)} ` +
        `(limit ${formatDuration(options.maxDueAgeMs)}): no worker is finishing them`,
      detail,
    };
  });
  readiness.add("dead_jobs", async () => {
    const h = await read();
    const detail = { dead_recent: h.deadRecent };
    if (h.deadRecent === 0) return { ok: true, detail };
    return {
      ok: false,
      reason: `${h.deadRecent} job(s) died in the last ${formatDuration(options.deadWindowMs)}; ` +
        `newest error: ${h.newestDeadError ?? "(none recorded)"}`,
      detail,
    };
  });
}
