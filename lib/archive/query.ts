/**
 * `deno task query "SQL"`: one read-only statement over the archive's views, its result printed
 * as an aligned table, CSV or JSON, at most `maxRows` rows. Anything but SELECT/EXPLAIN (COPY,
 * ATTACH, SET, INSTALL, CREATE, …) is refused before it runs.
 * @module
 */
import { type DuckDb, READ_ONLY_STATEMENTS, StatementType } from "./duckdb.ts";

/** A query that may not run, with the reason. */
export class QueryRefusedError extends Error {
  /** Creates the error. */
  constructor(reason: string) {
    super(reason);
    this.name = "QueryRefusedError";
  }
}

/** How to print. */
export type QueryFormat = "table" | "csv" | "json";

/** A query's printed result. */
export interface QueryOutput {
  /** The text to print (ends without a newline). */
  text: string;
  /** Rows printed. */
  rows: number;
  /** True when more rows existed than `maxRows`. */
  truncated: boolean;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function csvCell(value: unknown): string {
  const text = cell(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function renderTable(columns: string[], rows: unknown[][]): string {
  const texts = rows.map((r) => r.map((v) => (v === null ? "NULL" : cell(v))));
  const widths = columns.map((c, i) => Math.max(c.length, ...texts.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(" | ").trimEnd();
  return [line(columns), widths.map((w) => "-".repeat(w)).join("-+-"), ...texts.map(line)]
    .join("\n");
}

/** Runs `sql` (exactly one read-only statement) and renders at most `maxRows` rows. */
export async function runQuery(
  duck: DuckDb,
  sql: string,
  options: { format: QueryFormat; maxRows: number },
): Promise<QueryOutput> {
  const extracted = await duck.connection.extractStatements(sql);
  if (extracted.count !== 1) {
    throw new QueryRefusedError(`give exactly one SQL statement; got ${extracted.count}`);
  }
  const prepared = await extracted.prepare(0);
  if (!READ_ONLY_STATEMENTS.has(prepared.statementType)) {
    throw new QueryRefusedError(
      `only a read-only statement (SELECT, WITH … SELECT, EXPLAIN) may run over the archive; ` +
        `got ${StatementType[prepared.statementType] ?? prepared.statementType}`,
    );
  }
  const reader = await prepared.streamAndReadUntil(options.maxRows + 1);
  const columns = reader.columnNames();
  const all = reader.getRowsJson();
  const truncated = all.length > options.maxRows;
  const rows = all.slice(0, options.maxRows) as unknown[][];
  let text: string;
  if (options.format === "json") {
    text = JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))));
  } else if (options.format === "csv") {
    text = [columns.map(csvCell).join(","), ...rows.map((r) => r.map(csvCell).join(","))]
      .join("\n");
  } else {
    text = renderTable(columns, rows);
  }
  return { text, rows: rows.length, truncated };
}
