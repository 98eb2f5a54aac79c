/**
 * The backfill queue: pending and running jobs, the oldest due job's wait, and jobs that died
 * recently, judged as worker_service's readiness judges them (`lib/backfill/health.ts`).
 * @module
 */
import { readBacklogHealth } from "../backfill/mod.ts";
import type { Sql } from "../db/mod.ts";
import { formatDuration } from "../runtime/mod.ts";
import {
  defineSection,
  type Finding,
  showAge,
  showLimit,
  type StatusContext,
  type StatusRow,
} from "./section.ts";

/** What the section reports. */
export interface BackfillFacts {
  pending: number;
  running: number;
  /** Pending jobs whose run_after has come. */
  due: number;
  /** How long the oldest due job (or expired lease) has waited, seconds; 0 when none. */
  oldestDueWaitSeconds: number;
  /** The window dead jobs are counted in. */
  deadWindowMinutes: number;
  /** Jobs that died within the window. */
  deadRecent: number;
  /** The newest such job's error (truncated), if any. */
  newestDeadError: string | null;
}

/** Longest error text shown in the table (the JSON keeps what the query returns). */
const ERROR_CHARS = 120;

async function countJobs(sql: Sql): Promise<{ pending: number; running: number }> {
  // Each count reads a partial index (state = 'pending' / 'running'), never the finished jobs.
  const [row] = await sql<{ pending: number; running: number }[]>`
    SELECT (SELECT count(*)::int FROM backfill_jobs WHERE state = 'pending') AS pending,
           (SELECT count(*)::int FROM backfill_jobs WHERE state = 'running') AS running`;
  return row;
}

async function gather({ sql }: { sql: Sql }, ctx: StatusContext): Promise<BackfillFacts> {
  const [counts, health] = await Promise.all([
    countJobs(sql),
    readBacklogHealth(sql, { now: ctx.now.getTime(), deadWindowMs: ctx.limits.deadWindowMs }),
  ]);
  return {
    ...counts,
    due: health.due,
    oldestDueWaitSeconds: Math.floor(health.oldestDueAgeMs / 1000),
    deadWindowMinutes: Math.round(ctx.limits.deadWindowMs / 60_000),
    deadRecent: health.deadRecent,
    newestDeadError: health.newestDeadError,
  };
}

function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : line.slice(0, max - 1) + "…";
}

function evaluate(facts: BackfillFacts, ctx: StatusContext): Finding[] {
  const findings: Finding[] = [];
  const waitMs = facts.oldestDueWaitSeconds * 1000;
  if (waitMs > ctx.limits.maxDueAgeMs) {
    findings.push({
      check: "backfill",
      message: `oldest due job has waited ${formatDuration(waitMs)}, limit ` +
        `${showLimit(ctx.limits.maxDueAgeMs)} (${facts.due} due, ${facts.running} running)`,
      ageSeconds: facts.oldestDueWaitSeconds,
      limitSeconds: Math.floor(ctx.limits.maxDueAgeMs / 1000),
    });
  }
  if (facts.deadRecent > 0) {
    findings.push({
      check: "dead jobs",
      message: `${facts.deadRecent} job(s) died in the last ${showLimit(ctx.limits.deadWindowMs)}` +
        `, newest error: ${truncate(facts.newestDeadError ?? "(none recorded)", ERROR_CHARS)}`,
    });
  }
  return findings;
}

function rows(facts: BackfillFacts): StatusRow[] {
  return [
    {
      what: "backfill backlog",
      value: `${facts.pending} pending (${facts.due} due), ${facts.running} running`,
    },
    {
      what: "oldest due job",
      value: facts.oldestDueWaitSeconds > 0 ? "waiting" : "none waiting",
      age: facts.oldestDueWaitSeconds > 0 ? showAge(facts.oldestDueWaitSeconds) : "",
      check: "backfill",
    },
    {
      what: `dead jobs (last ${facts.deadWindowMinutes} min)`,
      value: facts.deadRecent === 0
        ? "0"
        : `${facts.deadRecent}, newest: ${truncate(facts.newestDeadError ?? "-", ERROR_CHARS)}`,
      check: "dead jobs",
    },
  ];
}

/** The backfill section. */
export const backfillSection = defineSection<BackfillFacts>({
  name: "backfill",
  gather,
  evaluate,
  rows,
});
