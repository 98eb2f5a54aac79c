/**
 * Which days an export run writes: every day holding rows in the range (an index walk), minus
 * the days already archived and unchanged. A day is rewritten when it was never archived, its
 * file is missing or of another size, or the database changed since: within the recheck window
 * (late trades, backfill) by full fingerprint, before it by row count (an index-only count).
 * Snapshot tables are taken once per UTC day and again only when their fingerprint moved.
 * @module
 */
import { join } from "node:path";
import type { Queryable } from "../db/mod.ts";
import { quoteIdent } from "./checksum.ts";
import { addDays, dayEnd, dayOf, type DayRange, dayStart, inRange } from "./days.ts";
import { dayDir, PART_NAME } from "./layout.ts";
import type { ArchiveTable } from "./schema.ts";
import { daysWithRows, readFingerprint } from "./source.ts";
import { type ArchivedDay, readArchivedDays } from "./store.ts";

/** Why a day is (or is not) written. */
export type DayDecision =
  | "new"
  | "file missing"
  | "changed"
  | "unchanged"
  | "dropped, rows arrived since";

/** One planned day. */
export interface PlannedDay {
  /** The table the day belongs to. */
  table: ArchiveTable;
  /** The UTC day, `YYYY-MM-DD` (for a snapshot table: the day the snapshot is taken). */
  day: string;
  /** Whether and why the day is written. */
  decision: DayDecision;
  /** Detail for the log (e.g. "database 1001 rows, archive 1000"). */
  detail?: string;
}

/** Options of {@linkcode planExport}. */
export interface PlanOptions {
  /** The archive folder, to find the files already written. */
  archiveDir: string;
  /** The tables to plan, in export order. */
  tables: readonly ArchiveTable[];
  /** The days to consider (UTC, inclusive; open ends: every day holding rows). */
  range: DayRange;
  /** Days before today whose change is checked by full fingerprint (older: by row count). */
  recheckDays: number;
  /** The current time: it fixes today (snapshot day, recheck window). */
  now: Date;
}

async function fileSize(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

async function countDay(sql: Queryable, table: ArchiveTable, day: string): Promise<string> {
  const c = quoteIdent(table.dayColumn!);
  const [row] = await sql.unsafe<{ n: string }[]>(
    `SELECT count(*)::text AS n FROM ${quoteIdent(table.name)} WHERE ${c} >= $1 AND ${c} < $2`,
    [dayStart(day), dayEnd(day)],
  );
  return row.n;
}

async function decide(
  sql: Queryable,
  options: PlanOptions,
  table: ArchiveTable,
  day: string,
  record: ArchivedDay | undefined,
): Promise<PlannedDay> {
  if (!record) return { table, day, decision: "new" };
  if (record.droppedAt) {
    return {
      table,
      day,
      decision: "dropped, rows arrived since",
      detail: "retention dropped this day after archiving it; the archive is kept as it is",
    };
  }
  if (record.verifyError) {
    return { table, day, decision: "changed", detail: `last verification: ${record.verifyError}` };
  }
  const size = await fileSize(join(dayDir(options.archiveDir, table.name, day), PART_NAME));
  const expected = record.files.find((f) => f.name === PART_NAME)?.bytes;
  if (size === null || size !== expected) {
    return { table, day, decision: "file missing", detail: `on disk: ${size ?? "none"} bytes` };
  }
  const recent = table.kind === "snapshot" ||
    day >= addDays(dayOf(options.now), -options.recheckDays);
  if (recent) {
    const fp = await readFingerprint(sql, table, day, dayStart(day), dayEnd(day));
    if (fp.rows === record.rows && fp.checksum === record.checksum) {
      return { table, day, decision: "unchanged" };
    }
    return {
      table,
      day,
      decision: "changed",
      detail: `database ${fp.rows} rows, archive ${record.rows}`,
    };
  }
  const rows = await countDay(sql, table, day);
  if (rows === record.rows) return { table, day, decision: "unchanged" };
  return {
    table,
    day,
    decision: "changed",
    detail: `database ${rows} rows, archive ${record.rows}`,
  };
}

/** Plans the run: every candidate day of every table with its decision, in export order. */
export async function planExport(sql: Queryable, options: PlanOptions): Promise<PlannedDay[]> {
  const planned: PlannedDay[] = [];
  const today = dayOf(options.now);
  for (const table of options.tables) {
    const records = await readArchivedDays(sql, table.name, options.range);
    const days = new Set(
      table.kind === "daily"
        ? await daysWithRows(sql, table, options.range)
        : (inRange(today, options.range) ? [today] : []),
    );
    // An archived day whose rows were all deleted since is "changed" too: its archive goes.
    if (table.kind === "daily") {
      for (const [day, r] of records) if (!r.droppedAt) days.add(day);
    }
    for (const day of [...days].sort()) {
      planned.push(await decide(sql, options, table, day, records.get(day)));
    }
  }
  return planned;
}

/** Whether a planned day is written. */
export function needsWrite(day: PlannedDay): boolean {
  return day.decision === "new" || day.decision === "file missing" || day.decision === "changed";
}
