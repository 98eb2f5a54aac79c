/**
 * `deno task export` and `deno task query` as functions of their settings and IO (main.ts only
 * wires): what is printed, and the exit code.
 * @module
 */
import { join } from "node:path";
import type { exportCommand, queryCommand } from "../commands/mod.ts";
import type { ConfigOf } from "../config/mod.ts";
import type { Sql } from "../db/mod.ts";
import { parquetFingerprint } from "./parquet.ts";
import type { DuckDb, DuckDbOptions } from "./duckdb.ts";
import { type ExportReport, runExport } from "./export.ts";
import { dayDir, stagingDir } from "./layout.ts";
import { formatProgress, type Progress } from "./progress.ts";
import { QueryRefusedError, runQuery } from "./query.ts";
import { applyRetention } from "./retention.ts";
import { ARCHIVE_TABLES, archiveTable } from "./schema.ts";
import type { ArchivedDay } from "./store.ts";
import { verifyArchive } from "./verify.ts";
import { createArchiveViews } from "./views.ts";

/** The parsed settings of `export`. */
export type ExportConfig = ConfigOf<typeof exportCommand>;
/** The parsed settings of `query`. */
export type QueryConfig = ConfigOf<typeof queryCommand>;

/** Everything the commands touch outside themselves. */
export interface ArchiveIo {
  /** Takes a result: a report line, or the query's whole output (standard output). */
  stdout(text: string): void;
  /** Takes a line of progress, a note or a problem (standard error). */
  stderr(text: string): void;
  /** The current time. */
  now(): Date;
  /** Opens DuckDB confined to the archive (the services pass `openDuckDb`). */
  openDuck(options: DuckDbOptions): Promise<DuckDb>;
  /** Stops an export between days. */
  signal?: AbortSignal;
}

function progressPrinter(io: ArchiveIo, label: string) {
  return (p: Progress) => io.stderr(`${label}: ${formatProgress(p)}`);
}

function summarise(report: ExportReport): string {
  const rows = report.written.reduce((n, d) => n + Number(d.fingerprint.rows), 0);
  const bytes = report.written.reduce((n, d) => n + d.bytes, 0);
  return `export: ${report.written.length} day(s) written (${rows} rows, ${bytes} bytes), ` +
    `${report.skipped} unchanged` + (report.interrupted ? ", stopped early by a signal" : "");
}

async function retention(config: ExportConfig, sql: Sql, duck: DuckDb, io: ArchiveIo) {
  const checkArchive = async (record: ArchivedDay) => {
    const dir = dayDir(config.archiveDir, record.table, record.day);
    const files = record.files.map((f) => join(dir, f.name));
    const fp = await parquetFingerprint(duck, archiveTable(record.table), files);
    return fp.rows === record.rows && fp.checksum === record.checksum ? null : (
      `its Parquet file holds ${fp.rows} rows (checksum ${fp.checksum}), the export recorded ` +
      `${record.rows} (checksum ${record.checksum})`
    );
  };
  const report = await applyRetention(
    { sql, archiveDir: config.archiveDir, now: io.now, checkArchive },
    { keepDays: config.retentionTicksDays! },
  );
  for (const d of report.dropped) {
    io.stdout(`retention: dropped the ${d.what} of ${d.day} (${d.rows} rows)`);
  }
  for (const r of report.refused) io.stderr(`retention: ${r.reason}`);
  io.stdout(
    `retention: days before ${report.cutoff}: ${report.dropped.length} dropped, ` +
      `${report.refused.length} refused`,
  );
  return report.refused.length === 0;
}

/** Runs `export` (write or --verify, then retention when set); returns the exit code. */
export async function runExportCommand(
  config: ExportConfig,
  sql: Sql,
  io: ArchiveIo,
): Promise<number> {
  await Deno.mkdir(config.archiveDir, { recursive: true });
  const duck = await io.openDuck({
    archiveDir: config.archiveDir,
    spillDir: join(stagingDir(config.archiveDir), "duckdb"),
    memoryMb: config.memoryMb,
    threads: config.threads,
  });
  try {
    const tables = config.tables.map(archiveTable);
    const range = { from: config.from, to: config.to };
    let ok = true;
    if (config.verify) {
      const report = await verifyArchive(
        { sql, duck, now: io.now, onProgress: progressPrinter(io, "verify") },
        { archiveDir: config.archiveDir, tables, range },
      );
      for (const d of report.differences) io.stdout(`verify: ${d.table} ${d.day}: ${d.message}`);
      io.stdout(`verify: ${report.checked} day(s) checked, ${report.differences.length} differ`);
      ok = report.differences.length === 0;
    } else {
      const report = await runExport({
        sql,
        duck,
        now: io.now,
        runId: crypto.randomUUID().slice(0, 8),
        signal: io.signal,
        onProgress: progressPrinter(io, "export"),
        onNotice: (message) => io.stderr(`export: ${message}`),
      }, { archiveDir: config.archiveDir, tables, range, recheckDays: config.recheckDays });
      io.stdout(summarise(report));
    }
    if (config.retentionTicksDays !== undefined) {
      ok = (await retention(config, sql, duck, io)) && ok;
    }
    return ok ? 0 : 1;
  } finally {
    duck.close();
  }
}

/** Runs `query` over the archive; returns the exit code (2 for a refused statement). */
export async function runQueryCommand(
  config: QueryConfig,
  sqlText: string | undefined,
  io: ArchiveIo,
): Promise<number> {
  if (!sqlText?.trim()) {
    io.stderr(
      'query: give the SQL as one argument, e.g. deno task query "SELECT count(*) FROM ticks"',
    );
    return 2;
  }
  const duck = await io.openDuck({
    archiveDir: config.archiveDir,
    memoryMb: config.memoryMb,
    threads: config.threads,
  });
  try {
    await createArchiveViews(duck, config.archiveDir, ARCHIVE_TABLES);
    const format = config.json ? "json" : config.csv ? "csv" : "table";
    const out = await runQuery(duck, sqlText, { format, maxRows: config.maxRows });
    io.stdout(out.text);
    if (out.truncated) {
      io.stderr(`query: only the first ${out.rows} rows are shown (--max-rows ${config.maxRows})`);
    }
    return 0;
  } catch (error) {
    if (error instanceof QueryRefusedError) {
      io.stderr(`query: ${error.message}`);
      return 2;
    }
    io.stderr(`query: ${(error as Error).message}`);
    return 1;
  } finally {
    duck.close();
  }
}
