/**
 * DuckDB, confined: an in-memory instance that may touch files under the archive folder only
 * (`allowed_directories`, `enable_external_access = false`), loads no extension (only the
 * built-in Parquet, CSV and JSON are there), and whose configuration is then locked so no query
 * can widen it. The only module that loads the native addon, so only the commands granted
 * `--allow-ffi` (export, query) import it.
 * @module
 */
import { DuckDBInstance, StatementType } from "@duckdb/node-api";
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

/**
 * The part of DuckDB's own connection the archive uses beyond {@linkcode DuckDb}'s `run` and
 * `rows`: statement checks before running (the query shell) and results read chunk by chunk.
 */
export interface DuckConnection {
  /** Parses `sql` into its statements without running any. */
  extractStatements(sql: string): Promise<DuckStatements>;
  /** Runs one query; its rows are then read chunk by chunk. */
  stream(sql: string): Promise<DuckStreamedResult>;
}

/** The statements of a SQL text, parsed and not run. */
export interface DuckStatements {
  /** How many statements the text holds. */
  readonly count: number;
  /** Prepares statement `index` (from 0) without running it. */
  prepare(index: number): Promise<DuckPreparedStatement>;
}

/** A prepared statement: its kind is known before it runs. */
export interface DuckPreparedStatement {
  /** DuckDB's `StatementType` of the statement (SELECT, EXPLAIN, INSERT, …), a number. */
  readonly statementType: number;
  /** Runs it and reads rows until at least `targetRowCount` are in or the result ends. */
  streamAndReadUntil(targetRowCount: number): Promise<DuckRowsRead>;
}

/** The rows read so far of a running statement. */
export interface DuckRowsRead {
  /** The result's column names, in order. */
  columnNames(): string[];
  /** The rows read, each an array of JSON values in column order. */
  getRowsJson(): unknown[][];
}

/** A query's result, read as it is produced. */
export interface DuckStreamedResult {
  /** The rows in chunks, each row an object of JSON values by column name. */
  yieldRowObjectJson(): AsyncIterable<DuckRow[]>;
}

/** An open, confined DuckDB connection. */
export interface DuckDb {
  /** Runs statements (no result wanted). */
  run(sql: string): Promise<void>;
  /** Runs one query and returns its rows as JSON values (bounded by the caller's query). */
  rows(sql: string): Promise<DuckRow[]>;
  /** The connection itself, for statement checks and streamed results. */
  connection: DuckConnection;
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
