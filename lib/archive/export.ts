/**
 * `deno task export`: plan (lib/archive/plan.ts), then export each day that needs it
 * (lib/archive/export_day.ts), reporting progress with an ETA. One export runs at a time (a
 * session advisory lock); a run first removes what an interrupted one left, then resumes: days
 * already archived and unchanged are skipped.
 * @module
 */
import type { Sql } from "../db/mod.ts";
import type { DuckDb } from "./duckdb.ts";
import { type DayResult, exportDay } from "./export_day.ts";
import { sweepInterrupted } from "./layout.ts";
import { needsWrite, planExport, type PlannedDay, type PlanOptions } from "./plan.ts";
import { type Progress, ProgressMeter } from "./progress.ts";

/** The session advisory lock held by a running export. */
export const EXPORT_LOCK = 7240001017;

/** Another export holds the lock. */
export class ExportBusyError extends Error {
  /** Creates the error. */
  constructor() {
    super(
      `another export is running (PostgreSQL advisory lock ${EXPORT_LOCK} is held); wait for ` +
        `it to finish, or find it in pg_stat_activity (application_name 'export')`,
    );
    this.name = "ExportBusyError";
  }
}

/** What an export run needs. */
export interface ExportDeps {
  /** The database exported from (the lock, the plan, each day's rows and records). */
  sql: Sql;
  /** DuckDB, which writes and re-reads the Parquet files. */
  duck: DuckDb;
  /** The current time (today, record timestamps). */
  now: () => Date;
  /** A run id for temporary names (letters, digits, `-`, `_`). */
  runId: string;
  /** Progress after each day. */
  onProgress?: (progress: Progress) => void;
  /** Logged decisions (e.g. a dropped day with new rows). */
  onNotice?: (message: string, detail: Record<string, unknown>) => void;
  /** Stops between days. */
  signal?: AbortSignal;
}

/** What a run did. */
export interface ExportReport {
  /** Every candidate day with its decision, in export order. */
  planned: PlannedDay[];
  /** The days written (or removed as empty), in order. */
  written: DayResult[];
  /** Planned days left as they were (unchanged, or dropped by retention). */
  skipped: number;
  /** Temporary files of interrupted runs that were removed first. */
  swept: number;
  /** True when the signal stopped the run early. */
  interrupted: boolean;
}

/** Runs `fn` holding the export lock on a dedicated connection. */
export async function withExportLock<T>(sql: Sql, fn: () => Promise<T>): Promise<T> {
  const conn = await sql.reserve();
  try {
    const [row] = await conn`SELECT pg_try_advisory_lock(${EXPORT_LOCK}) AS locked`;
    if (!row.locked) throw new ExportBusyError();
    try {
      return await fn();
    } finally {
      await conn`SELECT pg_advisory_unlock(${EXPORT_LOCK})`;
    }
  } finally {
    conn.release();
  }
}

/** Plans and runs an export (see the module doc). */
export async function runExport(
  deps: ExportDeps,
  options: Omit<PlanOptions, "now">,
): Promise<ExportReport> {
  return await withExportLock(deps.sql, async () => {
    const swept = await sweepInterrupted(options.archiveDir, options.tables.map((t) => t.name));
    const planned = await planExport(deps.sql, { ...options, now: deps.now() });
    for (const p of planned.filter((d) => d.decision === "dropped, rows arrived since")) {
      deps.onNotice?.(`${p.table.name} ${p.day}: ${p.detail}`, { table: p.table.name, day: p.day });
    }
    const todo = planned.filter(needsWrite);
    const meter = new ProgressMeter(todo.length);
    const written: DayResult[] = [];
    let interrupted = false;
    for (const p of todo) {
      if (deps.signal?.aborted) {
        interrupted = true;
        break;
      }
      deps.onProgress?.(meter.report(`${p.table.name} ${p.day} (${p.decision})`));
      const result = await exportDay(
        {
          sql: deps.sql,
          duck: deps.duck,
          archiveDir: options.archiveDir,
          runId: deps.runId,
          now: deps.now,
        },
        p.table,
        p.day,
      );
      written.push(result);
      meter.step(Number(result.fingerprint.rows));
    }
    deps.onProgress?.(meter.report(""));
    return { planned, written, skipped: planned.length - todo.length, swept, interrupted };
  });
}
