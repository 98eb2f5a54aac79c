/**
 * The DuckDB side of the archive: opening DuckDB, exporting days to Parquet, the read-only query
 * shell and its views. Only the commands granted `--allow-ffi` (export, query), their tests and
 * benches import this face; `@kalshi-data/lib/archive` re-exports nothing that loads DuckDB.
 * @module
 */
export { openDuckDb } from "./duckdb.ts";
export { runExport } from "./export.ts";
export { parquetFingerprint } from "./parquet.ts";
export { runQuery } from "./query.ts";
export { runExportCommand, runQueryCommand } from "./run.ts";
export { createArchiveViews, hasParquet } from "./views.ts";
export type {
  DuckConnection,
  DuckDb,
  DuckDbOptions,
  DuckPreparedStatement,
  DuckRow,
  DuckRowsRead,
  DuckStatements,
  DuckStreamedResult,
} from "./duckdb.ts";
export type { ExportDeps, ExportReport } from "./export.ts";
export type { DayResult } from "./export_day.ts";
export type { DayDecision, PlannedDay, PlanOptions } from "./plan.ts";
export type { QueryFormat, QueryOutput } from "./query.ts";
export type { ArchiveIo, ExportConfig, QueryConfig } from "./run.ts";
