/**
 * The backfill work queue in `backfill_jobs`: claim with `FOR UPDATE SKIP LOCKED` and a lease,
 * reclaim expired leases, count attempts, retry failures with backoff, bury jobs after
 * `max_attempts` with their last error, complete inside the caller's data transaction.
 *
 * Times come from the database (`now()`) unless a test passes `now`, so lease expiry and backoff
 * are testable without waiting and consistent across worker hosts.
 * @module
 */
import type { Queryable, Sql } from "../db/mod.ts";
import { backoffDelay } from "../runtime/mod.ts";

/** A job a worker holds a lease on. `payload` is unvalidated JSON (validate at the edge). */
export interface ClaimedJob {
  /** Row id (bigint as a decimal string). */
  id: string;
  kind: string;
  jobKey: string;
  payload: unknown;
  /** Attempts including this one. */
  attempts: number;
  maxAttempts: number;
  leaseOwner: string;
  leaseExpiresAt: Date;
}

/** Options of {@linkcode claimJobs}. */
export interface ClaimOptions {
  /** Who takes the lease (e.g. `host:pid:worker`). */
  owner: string;
  /** At most this many jobs. */
  limit: number;
  /** Lease length in milliseconds. */
  leaseMs: number;
  /** Only these kinds (default: every kind). */
  kinds?: readonly string[];
  /** The current time (tests); default the database's `now()`. */
  now?: Date;
}

/** A job's state as the table stores it. */
export type JobState = "pending" | "running" | "succeeded" | "dead";

/** A completion or release that found the lease gone (expired and taken by another worker). */
export class LeaseLostError extends Error {
  /** The job concerned. */
  readonly jobId: string;
  /** The owner that no longer holds it. */
  readonly owner: string;
  /** Creates the error. */
  constructor(jobId: string, owner: string) {
    super(`lease on backfill job ${jobId} is no longer held by ${owner}`);
    this.name = "LeaseLostError";
    this.jobId = jobId;
    this.owner = owner;
  }
}

interface JobRow {
  id: string;
  kind: string;
  job_key: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  lease_owner: string;
  lease_expires_at: Date;
}

function toClaimed(row: JobRow): ClaimedJob {
  return {
    id: String(row.id),
    kind: row.kind,
    jobKey: row.job_key,
    payload: row.payload,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
  };
}

/**
 * Claims up to `limit` jobs: pending jobs due now (priority first) and running jobs whose lease
 * expired. Expired jobs that already used every attempt are marked dead instead. Each claimed
 * job's `attempts` goes up by one.
 */
export async function claimJobs(sql: Sql, options: ClaimOptions): Promise<ClaimedJob[]> {
  const now = options.now ?? null;
  const kinds = options.kinds ? [...options.kinds] : null;
  const leaseSeconds = options.leaseMs / 1000;
  return await sql.begin(async (tx) => {
    // A worker that died mid-job on its last attempt: bury it with what we know.
    await tx`
      UPDATE backfill_jobs SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL,
        finished_at = COALESCE(${now}::timestamptz, now()), updated_at = now(),
        last_error = COALESCE(last_error || '; ', '') || 'lease of ' || lease_owner ||
          ' expired on attempt ' || attempts || ' of ' || max_attempts
      WHERE id IN (
        SELECT id FROM backfill_jobs
        WHERE state = 'running' AND lease_expires_at < COALESCE(${now}::timestamptz, now())
          AND attempts >= max_attempts
        ORDER BY lease_expires_at, id
        FOR UPDATE SKIP LOCKED)`;
    const rows = await tx<JobRow[]>`
      WITH pending AS (
        SELECT id, priority, run_after FROM backfill_jobs
        WHERE state = 'pending' AND run_after <= COALESCE(${now}::timestamptz, now())
          AND (${kinds}::text[] IS NULL OR kind = ANY(${kinds}::text[]))
        ORDER BY priority DESC, run_after, id
        FOR UPDATE SKIP LOCKED LIMIT ${options.limit}
      ), expired AS (
        SELECT id FROM backfill_jobs
        WHERE state = 'running' AND lease_expires_at < COALESCE(${now}::timestamptz, now())
          AND (${kinds}::text[] IS NULL OR kind = ANY(${kinds}::text[]))
        ORDER BY lease_expires_at, id
        FOR UPDATE SKIP LOCKED LIMIT ${options.limit}
      ), picked AS (
        -- Expired leases first (they have waited longest), then pending in claim order.
        SELECT id FROM (
          SELECT id, 0 AS tier, 0 AS priority, NULL::timestamptz AS run_after FROM expired
          UNION ALL SELECT id, 1, priority, run_after FROM pending
        ) u ORDER BY tier, priority DESC, run_after, id LIMIT ${options.limit}
      )
      UPDATE backfill_jobs j SET state = 'running', lease_owner = ${options.owner},
        lease_expires_at = COALESCE(${now}::timestamptz, now()) + make_interval(secs => ${leaseSeconds}),
        attempts = j.attempts + 1, updated_at = now()
      FROM picked WHERE j.id = picked.id
      RETURNING j.id, j.kind, j.job_key, j.payload, j.attempts, j.max_attempts, j.lease_owner,
        j.lease_expires_at`;
    return rows.map(toClaimed).sort((a, b) => Number(a.id) - Number(b.id));
  });
}

/** Extends the leases `owner` holds on `ids`; returns the ids still held. */
export async function extendLeases(
  sql: Sql,
  ids: readonly string[],
  options: { owner: string; leaseMs: number; now?: Date },
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await sql<{ id: string }[]>`
    UPDATE backfill_jobs SET updated_at = now(),
      lease_expires_at = COALESCE(${options.now ?? null}::timestamptz, now()) +
        make_interval(secs => ${options.leaseMs / 1000})
    WHERE id = ANY(${ids.map(Number)}::bigint[]) AND state = 'running'
      AND lease_owner = ${options.owner}
    RETURNING id`;
  return rows.map((r) => String(r.id));
}

/**
 * Marks a job succeeded. Call it inside the transaction that stored the job's rows, so rows,
 * watermark and completion commit together; throws {@linkcode LeaseLostError} (rolling the
 * transaction back) when the lease was lost meanwhile.
 */
export async function completeJob(tx: Queryable, job: ClaimedJob): Promise<void> {
  const rows = await tx`
    UPDATE backfill_jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL,
      finished_at = now(), updated_at = now()
    WHERE id = ${job.id} AND state = 'running' AND lease_owner = ${job.leaseOwner}
    RETURNING id`;
  if (rows.length === 0) throw new LeaseLostError(job.id, job.leaseOwner);
}

/** The delay before retry number `attempts` (1-based): exponential, capped. */
export function retryDelayMs(
  attempts: number,
  options: { baseMs?: number; maxMs?: number } = {},
): number {
  return backoffDelay(attempts - 1, {
    baseMs: options.baseMs ?? 5_000,
    maxMs: options.maxMs ?? 15 * 60_000,
    jitter: false,
  });
}

/** What {@linkcode failJob} did. */
export type FailOutcome = "retry" | "dead" | "lease_lost";

/**
 * Records a failed attempt: back to `pending` after a backoff (`run_after`), or `dead` once
 * `attempts` reached `max_attempts` (or at once with `permanent`); `last_error` keeps the error.
 */
export async function failJob(
  sql: Sql,
  job: ClaimedJob,
  error: string,
  options: { permanent?: boolean; retryDelayMs?: number; now?: Date } = {},
): Promise<FailOutcome> {
  const dead = options.permanent === true || job.attempts >= job.maxAttempts;
  const delaySeconds = (options.retryDelayMs ?? retryDelayMs(job.attempts)) / 1000;
  const rows = await sql<{ state: JobState }[]>`
    UPDATE backfill_jobs SET
      state = ${dead ? "dead" : "pending"},
      run_after = CASE WHEN ${dead} THEN run_after
        ELSE COALESCE(${
    options.now ?? null
  }::timestamptz, now()) + make_interval(secs => ${delaySeconds}) END,
      finished_at = CASE WHEN ${dead} THEN now() ELSE NULL END,
      lease_owner = NULL, lease_expires_at = NULL, last_error = ${error.slice(0, 4000)},
      updated_at = now()
    WHERE id = ${job.id} AND state = 'running' AND lease_owner = ${job.leaseOwner}
    RETURNING state`;
  if (rows.length === 0) return "lease_lost";
  return dead ? "dead" : "retry";
}

/**
 * Hands leased jobs back untouched (shutdown): pending again, due now, and the attempt is not
 * counted. Returns how many were released.
 */
export async function releaseJobs(
  sql: Sql,
  jobs: readonly ClaimedJob[],
): Promise<number> {
  let released = 0;
  const byOwner = Map.groupBy(jobs, (j) => j.leaseOwner);
  for (const [owner, owned] of byOwner) {
    const rows = await sql`
      UPDATE backfill_jobs SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL,
        attempts = GREATEST(attempts - 1, 0), run_after = now(), updated_at = now()
      WHERE id = ANY(${owned.map((j) => Number(j.id))}::bigint[]) AND state = 'running'
        AND lease_owner = ${owner}
      RETURNING id`;
    released += rows.length;
  }
  return released;
}

/** Job counts by state, plus how many pending jobs are due now. */
export interface JobCounts {
  /** Pending jobs, due or not. */
  pending: number;
  /** Pending and due (run_after passed). */
  due: number;
  /** Jobs under a lease right now. */
  running: number;
  /** Jobs done. */
  succeeded: number;
  /** Jobs that failed their last allowed attempt. */
  dead: number;
}

/** Counts jobs by state (optionally of some kinds). */
export async function countJobs(
  sql: Sql,
  options: { kinds?: readonly string[]; now?: Date } = {},
): Promise<JobCounts> {
  const kinds = options.kinds ? [...options.kinds] : null;
  const rows = await sql<{ state: JobState; n: string; due: string }[]>`
    SELECT state, count(*) AS n,
      count(*) FILTER (WHERE run_after <= COALESCE(${
    options.now ?? null
  }::timestamptz, now())) AS due
    FROM backfill_jobs
    WHERE ${kinds}::text[] IS NULL OR kind = ANY(${kinds}::text[])
    GROUP BY state`;
  const counts: JobCounts = { pending: 0, due: 0, running: 0, succeeded: 0, dead: 0 };
  for (const r of rows) {
    counts[r.state] = Number(r.n);
    if (r.state === "pending") counts.due = Number(r.due);
  }
  return counts;
}
