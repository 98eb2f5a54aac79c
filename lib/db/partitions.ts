/** Keeps daily `ticks` partitions ahead of time (wraps the SQL routine ensure_tick_partitions). */
import type { Sql } from "./pool.ts";

/** Options of {@linkcode ensureTickPartitions}. */
export interface EnsureTickPartitionsOptions {
  /** First day to cover (the UTC day containing it); default now. */
  from?: Date;
  /** Number of consecutive days; default 7. */
  days?: number;
}

/**
 * Creates the missing daily partitions of `ticks` (moving rows of those days out of the DEFAULT
 * partition) and returns how many were created. Safe to call concurrently and repeatedly.
 */
export async function ensureTickPartitions(
  sql: Sql,
  options: EnsureTickPartitionsOptions = {},
): Promise<number> {
  const from = options.from ?? new Date();
  const days = options.days ?? 7;
  const [row] = await sql<{ created: number }[]>`
    SELECT ensure_tick_partitions(${from}::timestamptz, ${days}::integer) AS created`;
  return row.created;
}
