/**
 * The simulator + database fixture: a paused simulator and a fresh migrated database of the
 * test's own, both closed afterwards whatever happens.
 * @module
 */
import { createTestDatabase, type TestDatabase } from "../db/testing/database.ts";
import type { ServedSimulator, SimulatorOptions } from "../kalshi/sim/mod.ts";
import { pausedSimulator } from "../kalshi/sim/testing/paused.ts";

/** What the fixture hands the test. */
export interface SimAndDatabase {
  served: ServedSimulator;
  db: TestDatabase;
}

/** Runs `fn` with a paused simulator (`options` override the defaults) and a new database. */
export async function withSimAndDatabase<T>(
  options: SimulatorOptions,
  fn: (fixture: SimAndDatabase) => Promise<T>,
): Promise<T> {
  const served = pausedSimulator(options);
  try {
    const db = await createTestDatabase();
    try {
      return await fn({ served, db });
    } finally {
      await db.drop();
    }
  } finally {
    await served.close();
  }
}
