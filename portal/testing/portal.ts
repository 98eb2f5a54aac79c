/**
 * Test fixture: a fresh migrated database (lib/db/testing.ts), optionally seeded, a read-only
 * pool as the portal uses in production, and the app built over it with a fixed clock.
 * @module
 */
import { createTestDatabase, type TestDatabase } from "../../lib/db/testing/database.ts";
import type { Sql } from "@kalshi-data/lib/db";
import { createLogger } from "@kalshi-data/lib/log";
import { createPortalApp, type PortalOptions } from "../app.ts";
import { type Assets, createAssets } from "../assets.ts";
import { createReaderPool } from "../db.ts";
import { SEED_NOW, type SeedOptions, seedPortalData } from "./seed.ts";

/** A running fixture. */
export interface PortalFixture {
  db: TestDatabase;
  /** The portal's read-only pool. */
  reader: Sql;
  app: ReturnType<typeof createPortalApp>;
  assets: Assets;
  /** Log lines the app wrote. */
  logs: string[];
  /** Moves the fixture's clock. */
  setNow(date: Date): void;
  /** Builds another app over the same database (e.g. with auth options). */
  appWith(options: Partial<PortalOptions>): ReturnType<typeof createPortalApp>;
  close(): Promise<void>;
}

/** In-memory assets from the real stylesheet and a small client script. */
export async function testAssets(): Promise<Assets> {
  const css = await Deno.readFile(new URL("../static/styles.css", import.meta.url));
  const { assets } = await createAssets({
    "styles.css": css,
    "client.js": "document.documentElement.dataset.client = 'loaded';\n",
  });
  return assets;
}

/** Creates the fixture; `seed: false` leaves the database empty. */
export async function createPortalFixture(
  options: { seed?: boolean; seedOptions?: SeedOptions; assets?: Assets } = {},
): Promise<PortalFixture> {
  const db = await createTestDatabase();
  try {
    if (options.seed ?? true) await seedPortalData(db.sql, options.seedOptions);
    const reader = createReaderPool(db.url, { max: 4 });
    const assets = options.assets ?? await testAssets();
    const logs: string[] = [];
    let now = SEED_NOW;
    const base: PortalOptions = {
      assets,
      now: () => now,
      logger: createLogger("portal", { sink: (line) => logs.push(line), level: "debug" }),
    };
    return {
      db,
      reader,
      assets,
      logs,
      app: createPortalApp(reader, base),
      setNow(date) {
        now = date;
      },
      appWith: (extra) => createPortalApp(reader, { ...base, ...extra }),
      async close() {
        await reader.end({ timeout: 5 });
        await db.drop();
      },
    };
  } catch (error) {
    await db.drop();
    throw error;
  }
}
