/**
 * PGlite (PostgreSQL in WebAssembly) with its pgvector extension, migrated like a real database,
 * as a {@linkcode SqlRunner}: the pgvector SQL path's test bed (the machine's PostgreSQL has no
 * pgvector).
 * @module
 */
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import type { SqlRunner } from "../sql_runner.ts";

function runner(db: PGlite | Transaction, root?: PGlite): SqlRunner {
  return {
    async query<T extends Record<string, unknown>>(text: string, params: readonly unknown[] = []) {
      const result = await db.query<T>(text, [...params]);
      return result.rows;
    },
    transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      const owner = root ?? (db as PGlite);
      return owner.transaction((tx) => fn(runner(tx, owner)));
    },
  };
}

/** A migrated in-memory PGlite with pgvector, and a close function. */
export async function createPgliteDatabase(): Promise<{ db: SqlRunner; close(): Promise<void> }> {
  const pg = await PGlite.create({ extensions: { vector } });
  const dir = new URL("../../../migrations/", import.meta.url);
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".sql"))
    .sort();
  for (const name of files) await pg.exec(await Deno.readTextFile(new URL(name, dir)));
  return { db: runner(pg), close: () => pg.close() };
}
