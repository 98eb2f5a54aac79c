/**
 * The Parquet archive (`archive_days`, lib/archive): the last verified day and the export lag —
 * how far the archive trails the clock (now minus the end of the last verified day) — and days
 * whose last verification found a difference (stale: retention will not drop them).
 * @module
 */
import { ARCHIVE_TABLES, dayEnd, readArchiveSummary } from "../archive/mod.ts";
import { defineSection, type Finding, showAge, type StatusRow } from "./section.ts";

/** What the section reports. */
export interface ArchiveFacts {
  /** Newest day every archived daily table has verified through; null when nothing is archived. */
  lastVerifiedDay: string | null;
  /** Seconds from the end of that day to now. */
  exportLagSeconds: number | null;
  /** Per daily table: its newest verified day and its days failing verification. */
  tables: { table: string; lastVerifiedDay: string | null; failing: number }[];
  /** When the last export wrote a day. */
  lastExportAt: string | null;
}

const DAILY = ARCHIVE_TABLES.filter((t) => t.kind === "daily").map((t) => t.name);

function evaluate(facts: ArchiveFacts): Finding[] {
  const failing = facts.tables.filter((t) => t.failing > 0);
  if (failing.length === 0) return [];
  return [{
    check: "archive",
    message: failing.map((t) => `${t.table}: ${t.failing} day(s) failed verification`)
      .join(", ") + " (deno task export --verify names them)",
  }];
}

function rows(facts: ArchiveFacts): StatusRow[] {
  const failing = facts.tables.reduce((n, t) => n + t.failing, 0);
  return [{
    what: "archive",
    value: facts.lastVerifiedDay === null
      ? "no export recorded"
      : `last verified day ${facts.lastVerifiedDay}, export lag ${
        showAge(facts.exportLagSeconds)
      }` +
        (failing > 0 ? `, ${failing} day(s) failing verification` : ""),
    check: "archive",
  }];
}

/** The archive section. */
export const archiveSection = defineSection<ArchiveFacts>({
  name: "archive",
  async gather({ sql }, ctx) {
    const summary = await readArchiveSummary(sql, DAILY);
    const lag = summary.lastVerifiedDay === null ? null : Math.max(
      0,
      Math.floor((ctx.now.getTime() - dayEnd(summary.lastVerifiedDay).getTime()) / 1000),
    );
    return {
      lastVerifiedDay: summary.lastVerifiedDay,
      exportLagSeconds: lag,
      tables: summary.tables,
      lastExportAt: summary.lastExportAt?.toISOString() ?? null,
    };
  },
  evaluate,
  rows,
});
