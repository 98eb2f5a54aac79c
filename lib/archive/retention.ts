/**
 * Retention (`RETENTION_TICKS_DAYS`): drops the tick and order-book partitions of days older than
 * N days — only days whose archive verifies, re-checked right before the drop. Here: each of the
 * day's records has no open difference and its files on disk still have the recorded size and
 * SHA-256 (and, when the caller can run DuckDB, the Parquet fingerprint still equals the record).
 * Then a database routine (SECURITY DEFINER: `drop_archived_tick_partition`, migration 0007;
 * `drop_archived_orderbook_partitions`, migration 0013 — both order-book tables of a day go
 * together) locks the day against writes, recomputes its fingerprints and drops it only when
 * they still equal the archived ones. Any refusal names the day. Imports no DuckDB, so
 * rest_service runs it without `--allow-ffi`.
 * @module
 */
import { join } from "node:path";
import type { Sql } from "../db/mod.ts";
import { addDays, dayOf } from "./days.ts";
import { dayDir } from "./layout.ts";
import { sha256File } from "./manifest.ts";
import { archiveTable } from "./schema.ts";
import { daysWithRows } from "./source.ts";
import { type ArchivedDay, readArchivedDays, recordVerification } from "./store.ts";

/** What retention needs. */
export interface RetentionDeps {
  /** The database (the writer role suffices: the drops go through SECURITY DEFINER routines). */
  sql: Sql;
  /** The archive folder whose files are re-checked before a drop. */
  archiveDir: string;
  /** The current time (the cutoff is today − keepDays). */
  now: () => Date;
  /** An extra check of the day's archive (e.g. DuckDB's fingerprint); a reason when it fails. */
  checkArchive?: (record: ArchivedDay) => Promise<string | null>;
}

/** What a retention pass did. */
export interface RetentionReport {
  /** Days before this one were considered. */
  cutoff: string;
  /** `what`: `ticks` or `order books`; `rows`: rows dropped (all tables of the group). */
  dropped: { what: string; day: string; rows: number }[];
  /** Days kept, each with the reason (never archived, failed verification, changed, …). */
  refused: { what: string; day: string; reason: string }[];
}

/** Tables dropped together by one database routine. */
interface RetentionGroup {
  what: string;
  tables: readonly string[];
  /** The routine: `(day date) → bigint` rows dropped; refusals raise SQLSTATE 55000. */
  routine: "drop_archived_tick_partition" | "drop_archived_orderbook_partitions";
}

const GROUPS: readonly RetentionGroup[] = [
  { what: "ticks", tables: ["ticks"], routine: "drop_archived_tick_partition" },
  {
    what: "order books",
    tables: ["orderbook_snapshots", "orderbook_deltas"],
    routine: "drop_archived_orderbook_partitions",
  },
];

/** SQLSTATE of the routines' refusals. */
const REFUSED = "55000";

async function checkFiles(archiveDir: string, record: ArchivedDay): Promise<string | null> {
  const dir = dayDir(archiveDir, record.table, record.day);
  for (const f of record.files) {
    const path = join(dir, f.name);
    const actual = await sha256File(path).catch(() => null);
    if (!actual) return `its archive file ${path} is missing`;
    if (actual.bytes !== f.bytes || actual.sha256 !== f.sha256) {
      return `its archive file ${path} changed since the export (size or SHA-256 differ)`;
    }
  }
  return null;
}

async function recheck(deps: RetentionDeps, table: string, record: ArchivedDay | undefined) {
  if (!record) return null; // the routine refuses a day holding rows that was never archived
  if (record.verifyError) return `its ${table} archive did not verify: ${record.verifyError}`;
  const problem = await checkFiles(deps.archiveDir, record) ??
    (deps.checkArchive ? await deps.checkArchive(record) : null);
  await recordVerification(deps.sql, { table, day: record.day, at: deps.now(), error: problem });
  return problem;
}

/** The group's days holding rows before `to`, with each table's archive records. */
async function candidates(sql: Sql, group: RetentionGroup, to: string) {
  const days = new Set<string>();
  const records = new Map<string, Map<string, ArchivedDay>>();
  for (const table of group.tables) {
    for (const day of await daysWithRows(sql, archiveTable(table), { to })) days.add(day);
    records.set(table, await readArchivedDays(sql, table, { to }));
  }
  return { days: [...days].sort(), records };
}

type DropOutcome = { rows: number } | { reason: string };

async function dropDay(deps: RetentionDeps, group: RetentionGroup, day: string) {
  try {
    // The routine's name comes from GROUPS, never from input.
    const [row] = await deps.sql.unsafe<{ rows: string }[]>(
      `SELECT ${group.routine}($1::date)::text AS rows`,
      [day],
    );
    return { rows: Number(row.rows) } as DropOutcome;
  } catch (error) {
    const e = error as { code?: string; message: string };
    if (e.code !== REFUSED) throw error;
    return { reason: e.message } as DropOutcome;
  }
}

/** Drops the ticks and order books of every verified day older than `keepDays` days. */
export async function applyRetention(
  deps: RetentionDeps,
  options: { keepDays: number },
): Promise<RetentionReport> {
  const cutoff = addDays(dayOf(deps.now()), -options.keepDays);
  const report: RetentionReport = { cutoff, dropped: [], refused: [] };
  for (const group of GROUPS) {
    const { days, records } = await candidates(deps.sql, group, addDays(cutoff, -1));
    for (const day of days) {
      let problem: string | null = null;
      for (const table of group.tables) {
        problem ??= await recheck(deps, table, records.get(table)!.get(day));
      }
      const outcome: DropOutcome = problem === null
        ? await dropDay(deps, group, day)
        : { reason: `refusing to drop the ${group.what} of ${day}: ${problem}` };
      if ("rows" in outcome) report.dropped.push({ what: group.what, day, rows: outcome.rows });
      else report.refused.push({ what: group.what, day, reason: outcome.reason });
    }
  }
  return report;
}
