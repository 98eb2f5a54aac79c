/**
 * The archive checksum, defined once and rendered for both engines: every row becomes a canonical
 * text (each column's value text, `\N` for NULL, joined by `|`; in text and JSON values `\` and
 * `|` are escaped with a backslash, so the text is unambiguous), the row's hash is the first 15
 * hex digits of that text's MD5 read as an integer, and a day's checksum is the exact sum of its
 * rows' hashes. A sum does not depend on row order, a duplicated or missing row changes it, and
 * PostgreSQL (numeric) and DuckDB (HUGEINT) both add exactly, so the database and the Parquet
 * files can be compared without moving a row.
 *
 * The value text: decimals with exactly the column's scale (`0.5600`), timestamps as Unix
 * microseconds, booleans `true`/`false`, JSON as stored (PostgreSQL's jsonb text), text arrays
 * as JSON arrays, order-book levels as `price:size` pairs joined by `,` (`0.5600:12.00,0.5700:3.00`,
 * empty for no level). Expressions are written out inline (no SQL helper per column) so PostgreSQL
 * evaluates them at full speed.
 * @module
 */
import { type ArchiveColumn, type ArchiveTable, type ColumnType, pgRelation } from "./schema.ts";

/** A column or table name from the static schema, double-quoted; anything else is refused. */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return `"${name}"`;
}

/** A DuckDB string literal (for file paths, which DuckDB's COPY cannot take as parameters). */
export function duckString(text: string): string {
  if ([...text].some((ch) => ch.charCodeAt(0) < 0x20)) {
    throw new Error(`control character in ${JSON.stringify(text)}`);
  }
  return `'${text.replaceAll("'", "''")}'`;
}

/** PostgreSQL: the canonical text of one column's value (NULL stays NULL). */
export function pgCanonical(column: ArchiveColumn): string {
  const c = quoteIdent(column.name);
  const type: ColumnType = column.type;
  switch (type.kind) {
    case "text":
      return c;
    case "json":
      return `${c}::text`;
    case "text_array":
      return `to_json(${c})::text`;
    case "timestamptz":
      return `(extract(epoch FROM ${c}) * 1000000)::bigint::text`;
    case "decimal":
      return `round(${c}, ${type.scale})::text`;
    case "levels":
      // `price:size` per level, comma-separated, in list order ('' for no level).
      return `(SELECT coalesce(string_agg((l.e ->> 'price') || ':' || (l.e ->> 'size'), ',' ` +
        `ORDER BY l.i), '') FROM json_array_elements(${c}::json) WITH ORDINALITY AS l(e, i))`;
    default:
      return `${c}::text`;
  }
}

/** DuckDB: the canonical text of one column's value, equal to {@linkcode pgCanonical}'s. */
export function duckCanonical(column: ArchiveColumn): string {
  const c = quoteIdent(column.name);
  switch (column.type.kind) {
    case "text":
      return c;
    case "text_array":
      return `to_json(${c})::VARCHAR`;
    case "timestamptz":
      return `epoch_us(${c})::VARCHAR`;
    case "levels":
      return `array_to_string(list_transform(${c}, l -> l.price::VARCHAR || ':' || ` +
        `l.size::VARCHAR), ',')`;
    default:
      return `${c}::VARCHAR`;
  }
}

const TEXTUAL = new Set(["text", "json", "text_array"]);

/** PostgreSQL: one column's piece of the row text (escaped when textual, `\N` for NULL). */
function pgPiece(column: ArchiveColumn): string {
  const v = pgCanonical(column);
  const escaped = TEXTUAL.has(column.type.kind)
    ? `replace(replace(${v}, '\\', '\\\\'), '|', '\\|')`
    : v;
  return `coalesce(${escaped}, '\\N')`;
}

/** DuckDB: one column's piece of the row text, equal to {@linkcode pgPiece}'s. */
function duckPiece(column: ArchiveColumn): string {
  const v = duckCanonical(column);
  const escaped = TEXTUAL.has(column.type.kind)
    ? `replace(replace(${v}, '\\', '\\\\'), '|', '\\|')`
    : v;
  return `coalesce(${escaped}, '\\N')`;
}

/** PostgreSQL: the canonical text of a row of `table`. */
export function pgRowText(table: ArchiveTable): string {
  return table.columns.map(pgPiece).join(` || '|' || `);
}

/** DuckDB: the canonical text of a row of `table`. */
export function duckRowText(table: ArchiveTable): string {
  return table.columns.map(duckPiece).join(` || '|' || `);
}

/** PostgreSQL: a row's hash (bigint, 0 ≤ h < 2^60); `archive_row_hash` is migration 0007's. */
export function pgRowHash(table: ArchiveTable): string {
  return `archive_row_hash(${pgRowText(table)})`;
}

/** DuckDB: a row's hash (BIGINT, 0 ≤ h < 2^60), equal to {@linkcode pgRowHash}'s. */
export function duckRowHash(table: ArchiveTable): string {
  return `('0x' || substr(md5(${duckRowText(table)}), 1, 15))::BIGINT`;
}

/** A day's (or snapshot's) row count and checksum, both as decimal text. */
export interface Fingerprint {
  /** How many rows. */
  rows: string;
  /** The exact sum of the rows' hashes (see the module doc). */
  checksum: string;
}

/** Decimal columns of `table` with their bounds (a value must fit without rounding). */
export function decimalColumns(
  table: ArchiveTable,
): { name: string; precision: number; scale: number }[] {
  return table.columns.flatMap((col) =>
    col.type.kind === "decimal"
      ? [{ name: col.name, precision: col.type.precision, scale: col.type.scale }]
      : []
  );
}

/**
 * PostgreSQL: `rows`, `checksum` and, per decimal column `i`, `misfit_i` (how many values would
 * not fit its DECIMAL(p,s) exactly) of the rows matching `where` (a condition on `$1`, `$2`).
 */
export function pgFingerprintQuery(table: ArchiveTable, where: string): string {
  const misfits = decimalColumns(table).map((d, i) => {
    const c = quoteIdent(d.name);
    const bound = `1${"0".repeat(d.precision - d.scale)}`;
    return `count(*) FILTER (WHERE ${c} IS NOT NULL AND (${c} <> round(${c}, ${d.scale}) ` +
      `OR abs(${c}) >= ${bound}))::int AS misfit_${i}`;
  });
  return `SELECT count(*)::text AS rows, coalesce(sum(${pgRowHash(table)}), 0)::text AS checksum` +
    (misfits.length ? `, ${misfits.join(", ")}` : "") +
    ` FROM ${pgRelation(table)} WHERE ${where}`;
}

/** DuckDB: `rows` and `checksum` of the rows of `source` (e.g. a `read_parquet(...)` call). */
export function duckFingerprintQuery(table: ArchiveTable, source: string): string {
  return `SELECT count(*)::VARCHAR AS rows, coalesce(sum(${duckRowHash(table)}), 0)::VARCHAR ` +
    `AS checksum FROM ${source}`;
}
