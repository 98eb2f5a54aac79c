/**
 * Tick retention (`RETENTION_TICKS_DAYS`): drops the tick partitions of days older than N days —
 * only days whose archive verifies, re-checked right before the drop. Here: the day's record has
 * no open difference and its files on disk still have the recorded size and SHA-256 (and, when
 * the caller can run DuckDB, the Parquet fingerprint still equals the record). Then the database
 * routine `drop_archived_tick_partition` (SECURITY DEFINER, migration 0007) locks the day against
 * writes, recomputes its fingerprint and drops it only when it still equals the archived one.
 * Any refusal names the day. Imports no DuckDB, so rest_service runs it without `--allow-ffi`.
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
  sql: Sql;
  archiveDir: string;
  now: () => Date;
  /** An extra check of the day's archive (e.g. DuckDB's fingerprint); a reason when it fails. */
  checkArchive?: (record: ArchivedDay) => Promise<string | null>;
}

/** What a retention pass did. */
export interface RetentionReport {
  /** Days before this one were considered. */
  cutoff: string;
  dropped: { day: string; rows: number }[];
  /** Days kept, each with the reason (never archived, failed verification, changed, …). */
  refused: { day: string; reason: string }[];
}

/** SQLSTATE of the routine's refusals. */
const REFUSED = "55000";

async function checkFiles(archiveDir: string, record: ArchivedDay): Promise<string | null> {
  const dir = dayDir(archiveDir, "ticks", record.day);
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

async function recheck(deps: RetentionDeps, record: ArchivedDay | undefined, day: string) {
  if (!record) return `never archived; run \`deno task export --from ${day} --to ${day}\` first`;
  if (record.verifyError) return `its archive did not verify: ${record.verifyError}`;
  const problem = await checkFiles(deps.archiveDir, record) ??
    (deps.checkArchive ? await deps.checkArchive(record) : null);
  await recordVerification(deps.sql, { table: "ticks", day, at: deps.now(), error: problem });
  return problem;
}

/** Drops the ticks of every verified day older than `keepDays` days (see the module doc). */
export async function applyTickRetention(
  deps: RetentionDeps,
  options: { keepDays: number },
): Promise<RetentionReport> {
  const cutoff = addDays(dayOf(deps.now()), -options.keepDays);
  const range = { to: addDays(cutoff, -1) };
  const days = await daysWithRows(deps.sql, archiveTable("ticks"), range);
  const records = await readArchivedDays(deps.sql, "ticks", range);
  const report: RetentionReport = { cutoff, dropped: [], refused: [] };
  for (const day of days) {
    const problem = await recheck(deps, records.get(day), day);
    if (problem) {
      report.refused.push({ day, reason: `refusing to drop the ticks of ${day}: ${problem}` });
      continue;
    }
    try {
      const [row] = await deps.sql<{ rows: string }[]>`
        SELECT drop_archived_tick_partition(${day}::date)::text AS rows`;
      report.dropped.push({ day, rows: Number(row.rows) });
    } catch (error) {
      const e = error as { code?: string; message: string };
      if (e.code !== REFUSED) throw error;
      report.refused.push({ day, reason: e.message });
    }
  }
  return report;
}
