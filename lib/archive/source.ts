/**
 * The database side of the archive: which days hold rows (an index walk that jumps over empty
 * stretches, never a day-by-day loop), a day's fingerprint (row count + checksum), and a day's
 * rows streamed out with `COPY … TO STDOUT` — fingerprint and rows read in one REPEATABLE READ
 * transaction, so both describe the same snapshot whatever is being written meanwhile.
 * @module
 */
import type { Queryable, Sql } from "../db/mod.ts";
import { decimalColumns, type Fingerprint, pgFingerprintQuery, quoteIdent } from "./checksum.ts";
import { addDays, type DayRange, dayStart } from "./days.ts";
import { type ArchiveTable, pgRelation } from "./schema.ts";

/** Values of a day that do not fit the archive schema: refused, never rounded. */
export class ArchiveValueError extends Error {
  /** The table. */
  readonly table: string;
  /** The day (or snapshot day). */
  readonly day: string;
  /** The column and how many of its values do not fit. */
  readonly misfits: { column: string; type: string; count: number }[];
  /** Creates the error. */
  constructor(table: string, day: string, misfits: ArchiveValueError["misfits"]) {
    const list = misfits.map((m) => `${m.column} (${m.count} values do not fit ${m.type})`);
    super(
      `cannot archive ${table} of ${day} exactly: ${list.join(", ")}; widen the column's ` +
        `DECIMAL in lib/archive/schema.ts (and docs/archive.md) — the export never rounds`,
    );
    this.name = "ArchiveValueError";
    this.table = table;
    this.day = day;
    this.misfits = misfits;
  }
}

/** The SQL condition selecting a day's rows of `table` (`$1` start, `$2` end) and its values. */
function dayCondition(table: ArchiveTable, start: Date, end: Date) {
  if (table.kind === "snapshot") return { where: "true", params: [] };
  const c = quoteIdent(table.dayColumn!);
  return { where: `${c} >= $1::timestamptz AND ${c} < $2::timestamptz`, params: [start, end] };
}

/** Start and end instants bounding `range` (open ends: far past / far future). */
function bounds(range: DayRange): [Date, Date] {
  return [
    range.from ? dayStart(range.from) : new Date("1970-01-01T00:00:00Z"),
    range.to ? dayStart(addDays(range.to, 1)) : new Date("9999-01-01T00:00:00Z"),
  ];
}

/** Most days one call returns (about 270 years): a bound, not a limit anyone reaches. */
const MAX_DAYS = 100_000;

/**
 * The UTC days in `range` on which the daily table `table` holds rows, ascending: each step asks
 * the day column's index for the first row at or after the next day, so an empty year costs one
 * probe. Partitioned tables (ticks, order books) are asked per daily partition instead: their
 * indexes lead with the market, or are BRIN, which cannot answer min(ts).
 */
export async function daysWithRows(
  sql: Queryable,
  table: ArchiveTable,
  range: DayRange = {},
): Promise<string[]> {
  if (table.kind !== "daily") throw new Error(`${table.name} is a snapshot table`);
  if (table.partitioned) return await partitionDays(sql, table, range);
  return await walkDays(sql, table.name, table.dayColumn!, range);
}

async function walkDays(sql: Queryable, name: string, column: string, range: DayRange) {
  const t = quoteIdent(name);
  const c = quoteIdent(column);
  const first = `SELECT (min(${c}) AT TIME ZONE 'UTC')::date FROM ${t}`;
  const rows = await sql.unsafe<{ day: string }[]>(
    `WITH RECURSIVE d(day) AS (
       ${first} WHERE ${c} >= $1 AND ${c} < $2
       UNION ALL
       SELECT (${first} WHERE ${c} >= ((d.day + 1)::timestamp AT TIME ZONE 'UTC') AND ${c} < $2)
       FROM d WHERE d.day IS NOT NULL
     )
     SELECT day::text AS day FROM d WHERE day IS NOT NULL LIMIT ${MAX_DAYS}`,
    bounds(range),
  );
  return rows.map((r) => r.day);
}

async function partitionDays(sql: Queryable, table: ArchiveTable, range: DayRange) {
  const [from, to] = bounds(range);
  const prefix = `${table.name}_p`;
  // Daily partitions are named <table>_pYYYYMMDD; probe each one in range for a first row.
  const parts = await sql<{ name: string; day: string }[]>`
    WITH p AS (
      SELECT c.relname AS name,
             CASE WHEN c.relname ~ ${`^${prefix}[0-9]{8}$`}
                  THEN to_date(right(c.relname, 8), 'YYYYMMDD') END AS d
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = ${table.name}::regclass)
    SELECT name, to_char(d, 'YYYY-MM-DD') AS day FROM p
    WHERE d >= (${from}::timestamptz AT TIME ZONE 'UTC')::date
      AND d < (${to}::timestamptz AT TIME ZONE 'UTC')::date
    ORDER BY d LIMIT ${MAX_DAYS}`;
  const days = new Set<string>();
  for (const part of parts) {
    const [row] = await sql.unsafe<{ any: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM ${quoteIdent(part.name)}) AS any`,
    );
    if (row.any) days.add(part.day);
  }
  // Rows no daily partition covered wait in <table>_default: walked by its ts btree (ticks) or,
  // without one (order books: BRIN only), read once — it holds only rows written before their
  // day's partition existed.
  const fallback = `${table.name}_default`;
  const rest = table.partitioned!.defaultIndexed
    ? await walkDays(sql, fallback, table.dayColumn!, range)
    : await distinctDays(sql, fallback, table.dayColumn!, range);
  for (const day of rest) days.add(day);
  return [...days].sort();
}

async function distinctDays(sql: Queryable, name: string, column: string, range: DayRange) {
  const c = quoteIdent(column);
  const rows = await sql.unsafe<{ day: string }[]>(
    `SELECT DISTINCT ((${c} AT TIME ZONE 'UTC')::date)::text AS day FROM ${quoteIdent(name)}
     WHERE ${c} >= $1 AND ${c} < $2 ORDER BY 1 LIMIT ${MAX_DAYS}`,
    bounds(range),
  );
  return rows.map((r) => r.day);
}

/** Reads the fingerprint of `table`'s rows in [start, end) and refuses values that do not fit. */
export async function readFingerprint(
  sql: Queryable,
  table: ArchiveTable,
  day: string,
  start: Date,
  end: Date,
): Promise<Fingerprint> {
  const { where, params } = dayCondition(table, start, end);
  const [row] = await sql.unsafe<Record<string, string | number>[]>(
    pgFingerprintQuery(table, where),
    params,
  );
  const misfits = decimalColumns(table).flatMap((d, i) => {
    const count = Number(row[`misfit_${i}`]);
    return count > 0 ? [{ column: d.name, type: `DECIMAL(${d.precision},${d.scale})`, count }] : [];
  });
  if (misfits.length > 0) throw new ArchiveValueError(table.name, day, misfits);
  return { rows: String(row.rows), checksum: String(row.checksum) };
}

/** The SELECT list sent through COPY: text forms DuckDB's CSV reader parses exactly. */
function copyColumns(table: ArchiveTable): string {
  return table.columns.map((col) => {
    const c = quoteIdent(col.name);
    if (col.type.kind === "json" || col.type.kind === "levels") return `${c}::text AS ${c}`;
    if (col.type.kind === "text_array") return `to_json(${c}) AS ${c}`;
    return c;
  }).join(", ");
}

function copyStatement(table: ArchiveTable): string {
  const where = table.kind === "snapshot" ? "" : (() => {
    const c = quoteIdent(table.dayColumn!);
    return ` WHERE ${c} >= current_setting('kalshi.archive_lo')::timestamptz` +
      ` AND ${c} < current_setting('kalshi.archive_hi')::timestamptz`;
  })();
  // COPY takes no bind parameters: the bounds travel as (parameterised) session settings.
  return `COPY (SELECT ${copyColumns(table)} FROM ${pgRelation(table)}${where}) ` +
    `TO STDOUT (FORMAT csv)`;
}

/**
 * Writes a COPY stream to `file` synchronously, chunk by chunk, in flowing mode. Synchronous
 * writes hold the event loop, so the socket is not read faster than the disk takes the data,
 * and the stream never buffers enough to pause: postgres.js pauses the socket when a push
 * reports a full buffer, and under Deno such a paused socket was seen never to resume (the
 * export hung on the second or third large day).
 */
function drain(readable: NodeJS.ReadableStream, file: Deno.FsFile): Promise<void> {
  return new Promise((resolve, reject) => {
    readable.on("data", (chunk: Uint8Array) => {
      try {
        let written = 0;
        while (written < chunk.length) written += file.writeSync(chunk.subarray(written));
      } catch (error) {
        reject(error);
      }
    });
    readable.on("end", () => {
      // postgres.js (3.4) pauses its socket when a push reports a full buffer and resumes it
      // only from the stream's read(). When a whole small COPY arrives in one burst, before
      // these listeners are attached, the pause comes with CopyDone already pushed: the stream
      // ends without another read(), the COPY's completion is never read and the transaction
      // hangs (most runs of lib/archive/orderbook_test.ts). Its read() resumes the socket (a
      // no-op when it is not paused).
      (readable as unknown as { _read?: (size: number) => void })._read?.(0);
      resolve();
    });
    readable.on("error", reject);
  });
}

/** What {@linkcode copyDay} read. */
export interface CopiedDay {
  /** The fingerprint of exactly the rows written. */
  fingerprint: Fingerprint;
}

/** A snapshot id as pg_export_snapshot() returns it (e.g. `00000003-0000001B-1`). */
const SNAPSHOT_ID = /^[0-9A-F]+-[0-9A-F]+-[0-9]+$/i;

/**
 * Reads the fingerprint in a second transaction that imports snapshot `snapshot`, so it sees
 * exactly the rows the COPY of the first transaction sends. Resolves `imported` once the second
 * transaction holds the snapshot (the first may then go on).
 */
function fingerprintInSnapshot(
  sql: Sql,
  snapshot: string,
  read: (tx: Queryable) => Promise<Fingerprint>,
  imported: () => void,
): Promise<Fingerprint> {
  if (!SNAPSHOT_ID.test(snapshot)) throw new Error(`unexpected snapshot id ${snapshot}`);
  return sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
    // SET TRANSACTION SNAPSHOT takes no bind parameter; the id was checked above.
    await tx.unsafe(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
    imported();
    return await read(tx);
  });
}

/**
 * One consistent read of a day: its fingerprint and its rows as CSV (UTC timestamps) into the
 * file `sink`, both from the same REPEATABLE READ snapshot — the COPY in one transaction, the
 * fingerprint at the same time in a second one that imports the first one's snapshot (two
 * connections of `sql`; the work runs on two server processes in parallel).
 */
export async function copyDay(
  sql: Sql,
  table: ArchiveTable,
  day: string,
  span: { start: Date; end: Date },
  sink: Deno.FsFile,
): Promise<CopiedDay> {
  return await sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
    const [row] = await tx`
      SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),
             set_config('kalshi.archive_lo', ${span.start.toISOString()}, true),
             set_config('kalshi.archive_hi', ${span.end.toISOString()}, true),
             pg_export_snapshot() AS snapshot`;
    let imported!: () => void;
    const ready = new Promise<void>((resolve) => (imported = resolve));
    const fingerprint = fingerprintInSnapshot(
      sql,
      row.snapshot,
      (other) => readFingerprint(other, table, day, span.start, span.end),
      imported,
    );
    fingerprint.catch(() => {}); // awaited below; a rejection must not go unhandled meanwhile
    await Promise.race([ready, fingerprint]);
    const readable = await tx.unsafe(copyStatement(table)).readable();
    await drain(readable, sink);
    return { fingerprint: await fingerprint };
  });
}
