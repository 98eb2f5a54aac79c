/** Test support: a temporary archive folder with a confined DuckDB over it. @module */
import { type DuckDb, openDuckDb } from "../duckdb.ts";

/** A temporary archive folder and a DuckDB confined to it. */
export interface TestArchive {
  dir: string;
  duck: DuckDb;
  /** Closes DuckDB and removes the folder. */
  close(): Promise<void>;
}

/** Creates a {@linkcode TestArchive}. */
export async function createTestArchive(): Promise<TestArchive> {
  const dir = await Deno.makeTempDir({ prefix: "kalshi-archive-" });
  const duck = await openDuckDb({ archiveDir: dir, memoryMb: 256, threads: 1 });
  return {
    dir,
    duck,
    async close() {
      duck.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Runs `fn` with a {@linkcode TestArchive}, closed afterwards. */
export async function withTestArchive<T>(fn: (a: TestArchive) => Promise<T>): Promise<T> {
  const archive = await createTestArchive();
  try {
    return await fn(archive);
  } finally {
    await archive.close();
  }
}
