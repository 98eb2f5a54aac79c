/**
 * Keyset pages sorted by one key then a unique id, NULL keys last in either direction: the
 * non-NULL keys are walked with a row comparison on an index `(key, id)` (forwards or
 * backwards), the NULLs on their id, so a deep page costs what the first one does.
 * @module
 */
import type postgres from "postgres";
import type { Sql } from "@kalshi-data/lib/db";

/** A piece of SQL built with the pool's tagged template (parameters stay parameters). */
export type Fragment = postgres.PendingQuery<postgres.Row[]>;

/** Sort direction. */
export type SortOrder = "asc" | "desc";

/** The sort of {@linkcode keysetPage}. */
export interface KeysetSort {
  /** SQL of the key: a constant of the caller's, never text from a request. */
  key: string;
  /** The key's SQL type; the cursor's text is cast to it. */
  type: "numeric" | "timestamptz";
  /** SQL of the unique id (text). */
  id: string;
  order: SortOrder;
}

/** Where the previous page ended: its last row's key (exact text, null for NULL) and id. */
export interface KeysetCursor {
  key: string | null;
  id: string;
}

/** What {@linkcode keysetPage} reads. */
export interface KeysetQuery {
  /** The select list (without the sort columns). */
  columns: Fragment;
  /** The FROM clause's content. */
  from: Fragment;
  /** Filters, joined with AND. */
  conditions: Fragment[];
  sort: KeysetSort;
  after?: KeysetCursor;
  limit: number;
}

/** A page: rows in order and the cursor of the next page (null on the last). */
export interface KeysetPage<T> {
  items: T[];
  next: KeysetCursor | null;
}

/** The key as exact text: decimals as stored, times as ISO 8601 with microseconds (UTC). */
function keyText(sort: KeysetSort): string {
  return sort.type === "timestamptz"
    ? `to_char((${sort.key}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
    : `(${sort.key})::text`;
}

function and(sql: Sql, conditions: Fragment[]): Fragment {
  return conditions.reduce((all, c) => sql`${all} AND ${c}`, sql`TRUE`);
}

/** Lists one page of `query` (rows carry `sort_key`, the key's exact text). */
export async function keysetPage<T extends { sort_key: string | null }>(
  sql: Sql,
  query: KeysetQuery,
): Promise<KeysetPage<T>> {
  const { sort, after } = query;
  const key = sql.unsafe(sort.key);
  const id = sql.unsafe(sort.id);
  const dir = sql.unsafe(sort.order === "asc" ? "ASC" : "DESC");
  const cmp = sql.unsafe(sort.order === "asc" ? ">" : "<");
  const take = query.limit + 1;
  const select = sql`SELECT ${query.columns}, ${sql.unsafe(keyText(sort))} AS sort_key,
    ${key} AS sort_value FROM ${query.from}`;
  const nulls = sql`(${select} WHERE ${and(sql, query.conditions)} AND ${key} IS NULL
    ${after?.key === null ? sql`AND ${id} ${cmp} ${after.id}` : sql``}
    ORDER BY ${id} ${dir} LIMIT ${take})`;
  const typed = sql.unsafe(sort.type);
  const values = after?.key === null
    ? undefined
    : sql`(${select} WHERE ${and(sql, query.conditions)} AND ${key} IS NOT NULL
    ${after ? sql`AND (${key}, ${id}) ${cmp} (${after.key}::${typed}, ${after.id})` : sql``}
    ORDER BY ${key} ${dir}, ${id} ${dir} LIMIT ${take})`;
  const rows = await sql<(T & { sort_value: unknown })[]>`
    SELECT * FROM (${values ? sql`${values} UNION ALL ` : sql``}${nulls}) page
    ORDER BY sort_value ${dir} NULLS LAST, ${sql.unsafe(lastIdColumn(sort.id))} ${dir}
    LIMIT ${take}`;
  const items = rows.slice(0, query.limit).map(({ sort_value: _, ...row }) => row as unknown as T);
  const last = items.at(-1) as (T & Record<string, unknown>) | undefined;
  return {
    items,
    next: rows.length > query.limit && last
      ? { key: last.sort_key, id: String(last[lastIdColumn(sort.id)]) }
      : null,
  };
}

/** The output column name of the id expression (`r.ticker` → `ticker`). */
function lastIdColumn(id: string): string {
  return id.slice(id.lastIndexOf(".") + 1);
}
