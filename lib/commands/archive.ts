/**
 * The archive's command lines: `deno task export` (write, verify, retention) and `deno task
 * query` (DuckDB over the archive). Both load DuckDB's native addon, so both — and only they —
 * are granted `--allow-ffi`, limited to the folder of that addon.
 * @module
 */
import { z } from "zod";
import {
  type Command,
  defineCommand,
  intValue,
  type Setting,
  setting,
  switchValue,
} from "../config/mod.ts";
import type { LogLevel } from "../log/mod.ts";
import { ARCHIVE_TABLE_NAMES, isDay } from "../archive/mod.ts";
import { databaseUrl, logLevel, POSTGRES_LIBRARY_ENV } from "./shared.ts";

/**
 * The folder of DuckDB's native addon (duckdb.node, libduckdb.so) in node_modules, relative to
 * the project root the launch step runs commands in. It names the exact version deno.json pins
 * (a test keeps the two in step).
 */
export const DUCKDB_ADDON_DIR = "node_modules/.deno/@duckdb+node-bindings-linux-x64@1.5.6-r.1";

/** The one extra grant of the DuckDB commands: loading that addon and nothing else native. */
export const DUCKDB_FFI_FLAG = `--allow-ffi=${DUCKDB_ADDON_DIR}`;

/** `ARCHIVE_DIR`, read and written by the export. */
export const archiveDir: Setting<string> = setting({
  env: "ARCHIVE_DIR",
  flag: "archive-dir",
  schema: z.string().min(1),
  default: ".data/archive",
  help: "the archive folder: <table>/date=YYYY-MM-DD/part-00000.parquet (relative paths are " +
    "from the project root)",
  expected: "a folder path",
  access: "write",
});

const day = (env: string, flag: string, help: string) =>
  setting({
    env,
    flag,
    schema: z.string().refine(isDay, { message: "a day as YYYY-MM-DD" }).optional(),
    help,
    expected: "a day as YYYY-MM-DD",
  });

const memoryMb = setting({
  env: "ARCHIVE_MEMORY_MB",
  flag: "memory-mb",
  schema: intValue(64, 1_048_576),
  default: "1024",
  help: "DuckDB's memory limit in MB (sorts beyond it spill to ARCHIVE_DIR/.staging)",
  expected: "megabytes from 64 to 1048576",
});

const threads = setting({
  env: "ARCHIVE_THREADS",
  flag: "threads",
  schema: intValue(1, 256),
  default: "2",
  help: "DuckDB worker threads",
  expected: "an integer from 1 to 256",
});

/** A comma-separated subset of the archive's tables. */
const tablesValue = z.string().transform((text) => text.split(",").map((s) => s.trim()))
  .pipe(z.array(z.enum(ARCHIVE_TABLE_NAMES as [string, ...string[]])).min(1));

/** `export`: the Parquet archive, its verification and tick retention. */
export const exportCommand: Command<{
  databaseUrl: Setting<URL>;
  archiveDir: Setting<string>;
  from: Setting<string | undefined>;
  to: Setting<string | undefined>;
  tables: Setting<string[]>;
  verify: Setting<boolean>;
  recheckDays: Setting<number>;
  retentionTicksDays: Setting<number | undefined>;
  memoryMb: Setting<number>;
  threads: Setting<number>;
  logLevel: Setting<LogLevel>;
}> = defineCommand({
  name: "export",
  summary: "Writes the Parquet archive: ARCHIVE_DIR/<table>/date=YYYY-MM-DD/part-00000.parquet " +
    "(zstd, pinned schema, docs/archive.md) for ticks, trades, candles, market_lifecycle and " +
    "order books (orderbook_snapshots, orderbook_deltas) by " +
    "UTC day, plus a daily snapshot of series, events and markets. Each day is verified as it " +
    "is written (DuckDB's checksum of the file must equal PostgreSQL's of the rows) and " +
    "published by a rename; a rerun resumes and rewrites days that changed. --verify checks " +
    "instead of writing; RETENTION_TICKS_DAYS then drops verified tick and order-book days. " +
    "Exit 0 done, " +
    "1 a difference or a refused drop (each named), 2 usage error.",
  settings: {
    databaseUrl,
    archiveDir,
    from: day("EXPORT_FROM", "from", "first UTC day (default: the first day holding rows)"),
    to: day("EXPORT_TO", "to", "last UTC day (default: the last day holding rows)"),
    tables: setting({
      env: "EXPORT_TABLES",
      flag: "tables",
      schema: tablesValue,
      default: ARCHIVE_TABLE_NAMES.join(","),
      help: "tables to export or verify",
      expected: `a comma-separated list of ${ARCHIVE_TABLE_NAMES.join(", ")}`,
    }),
    verify: setting({
      env: "EXPORT_VERIFY",
      flag: "verify",
      type: "boolean",
      schema: switchValue(),
      help: "recompute every archived day's checksum in DuckDB and PostgreSQL and report " +
        "differences (and days never archived); writes nothing but the verification records",
    }),
    recheckDays: setting({
      env: "EXPORT_RECHECK_DAYS",
      flag: "recheck-days",
      schema: intValue(0, 36_500),
      default: "7",
      help: "archived days this recent are compared by full checksum to find changes (late " +
        "trades, backfill); older ones by row count",
      expected: "days from 0 to 36500",
    }),
    retentionTicksDays: setting({
      env: "RETENTION_TICKS_DAYS",
      flag: "retention-ticks-days",
      schema: intValue(1, 36_500).optional(),
      help: "after the export, drop the ticks and order books of days older than this many " +
        "days whose archive verifies (unset: keep everything)",
      expected: "days from 1 to 36500",
    }),
    memoryMb,
    threads,
    logLevel,
  },
  extraEnv: POSTGRES_LIBRARY_ENV,
  extraFlags: [DUCKDB_FFI_FLAG],
  database: true,
});

/** `query`: SQL over the archive in DuckDB. */
export const queryCommand: Command<{
  archiveDir: Setting<string>;
  csv: Setting<boolean>;
  json: Setting<boolean>;
  maxRows: Setting<number>;
  memoryMb: Setting<number>;
  threads: Setting<number>;
}> = defineCommand({
  name: "query",
  usage: '[options] "SELECT …"',
  summary: "Runs one read-only SQL query (SELECT, WITH … SELECT, EXPLAIN) in DuckDB over the " +
    "archive, where each table is a view of the same name (ticks, trades, candles, " +
    "market_lifecycle, series, events, markets, with the Hive column `date`), and prints a " +
    "table, CSV or JSON. DuckDB may read ARCHIVE_DIR only; its configuration is locked.",
  settings: {
    archiveDir: { ...archiveDir, access: "read" as const, help: "the archive folder to query" },
    csv: setting({
      env: "QUERY_CSV",
      flag: "csv",
      type: "boolean",
      schema: switchValue(),
      help: "print CSV (header + rows)",
    }),
    json: setting({
      env: "QUERY_JSON",
      flag: "json",
      type: "boolean",
      schema: switchValue(),
      help: "print one JSON array of row objects",
    }),
    maxRows: setting({
      env: "QUERY_MAX_ROWS",
      flag: "max-rows",
      schema: intValue(1, 10_000_000),
      default: "10000",
      help: "print at most this many rows (a note says when more were left out)",
      expected: "an integer from 1 to 10000000",
    }),
    memoryMb,
    threads,
  },
  extraFlags: [DUCKDB_FFI_FLAG],
});
