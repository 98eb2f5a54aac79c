/**
 * The few SQL calls the embedding store and the pgvector search make, behind a two-method
 * interface so the same code runs on postgres.js (production) and on PGlite (which bundles
 * pgvector for the tests). Parameters are positional (`$1`); results are plain row objects.
 * @module
 */
import type postgres from "postgres";
import type { Sql } from "@kalshi-data/lib/db";

/** A connection that runs parameterised SQL text. */
export interface SqlRunner {
  /** Runs one statement and returns its rows. */
  query<T extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs `fn` inside a transaction (SET LOCAL applies to it only). */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

/** Wraps a postgres.js pool (or transaction) as a {@linkcode SqlRunner}. */
export function postgresRunner(sql: Sql | postgres.TransactionSql): SqlRunner {
  return {
    async query<T extends Record<string, unknown>>(text: string, params: readonly unknown[] = []) {
      // deno-lint-ignore no-explicit-any
      const rows = await sql.unsafe(text, params as any[]);
      return [...rows] as unknown as T[];
    },
    async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      // Inside a transaction a nested one is a savepoint.
      const result = "begin" in sql
        ? await sql.begin((tx) => fn(postgresRunner(tx)))
        : await sql.savepoint((sp) => fn(postgresRunner(sp)));
      return result as T;
    },
  };
}
