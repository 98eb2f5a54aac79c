/**
 * The Parquet archive (docs/archive.md): export by UTC day with verification and resume,
 * `--verify`, tick retention, and DuckDB views for `deno task query`. DuckDB itself lives in
 * ./duckdb.ts, imported only by the commands granted `--allow-ffi` (export, query); this face
 * re-exports nothing that loads it.
 * @module
 */
export { ARCHIVE_TABLE_NAMES, ARCHIVE_TABLES, archiveTable, duckType } from "./schema.ts";
export type { ArchiveColumn, ArchiveTable, ColumnType } from "./schema.ts";
export {
  duckRowHash,
  duckString,
  type Fingerprint,
  pgFingerprintQuery,
  pgRowHash,
} from "./checksum.ts";
export { addDays, dayEnd, dayOf, type DayRange, dayStart, isDay } from "./days.ts";
export { dayDir, MANIFEST_NAME, PART_NAME } from "./layout.ts";
export {
  CHECKSUM_DEFINITION,
  type Manifest,
  type ManifestColumn,
  type ManifestFile,
  readManifest,
} from "./manifest.ts";
export { ArchiveValueError, daysWithRows, readFingerprint } from "./source.ts";
export {
  type ArchivedDay,
  type ArchiveSummary,
  readArchivedDays,
  readArchiveSummary,
} from "./store.ts";
export { applyRetention, type RetentionDeps, type RetentionReport } from "./retention.ts";
export { formatProgress, type Progress } from "./progress.ts";
