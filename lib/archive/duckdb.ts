/**
 * DuckDB, confined: an in-memory instance that may touch files under the archive folder only
 * (`allowed_directories`, `enable_external_access = false`), loads no extension (only the
 * built-in Parquet, CSV and JSON are there), and whose configuration is then locked so no query
 * can widen it. The only module that loads the native addon, so only the commands granted
 * `--allow-ffi` (export, query) import it.
 * @module
 */
import { DuckDBConnection, DuckDBInstance, StatementType } from "@duckdb/node-api";
import { duckString } from "./checksum.ts";

/** Options of {@linkcode openDuckDb}. */
export interface DuckDbOptions {
  /** The only folder DuckDB may read or write (absolute or relative to the working folder). */
  archiveDir: string;
  /** Where DuckDB spills when a sort or aggregate outgrows memory (inside `archiveDir`). */
  spillDir?: string;
  /** DuckDB's memory limit in MB. */
  memoryMb: number;
  /** Worker threads. */
  threads: number;
}

/** A row as plain JSON values (numbers beyond 2^53, decimals and timestamps as text). */
export type DuckRow = Record<string, unknown>;

/** An open, confined DuckDB connection. */
export interface DuckDb {
  /** Runs statements (no result wanted). */
  run(sql: string): Promise<void>;
  /** Runs one query and returns its rows as JSON values (bounded by the caller's query). */
  rows(sql: string): Promise<DuckRow[]>;
  /** The connection itself (streaming results, statement checks). */
  connection: DuckDBConnection;
  /** Closes the connection and the instance. */
  close(): void;
}

/** Opens an in-memory DuckDB confined to `options.archiveDir`. */
export async function openDuckDb(options: DuckDbOptions): Promise<DuckDb> {
  const root = await Deno.realPath(options.archiveDir);
  const instance = await DuckDBInstance.create(":memory:", {
    threads: String(options.threads),
    memory_limit: `${options.memoryMb}MB`,
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  const connection = await instance.connect();
  const settings = [
    `SET allowed_directories = [${duckString(root + "/")}]`,
    options.spillDir ? `SET temp_directory = ${duckString(options.spillDir)}` : "",
    "SET TimeZone = 'UTC'",
    "SET preserve_insertion_order = false",
    "SET enable_external_access = false",
    "SET lock_configuration = true",
  ].filter(Boolean);
  try {
    for (const statement of settings) await connection.run(statement);
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  return {
    connection,
    async run(sql) {
      await connection.run(sql);
    },
    async rows(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as DuckRow[];
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Statement types a read-only query may have. */
export const READ_ONLY_STATEMENTS: ReadonlySet<StatementType> = new Set([
  StatementType.SELECT,
  StatementType.EXPLAIN,
]);

export { StatementType };
