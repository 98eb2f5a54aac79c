/**
 * Throw-away databases for tests: each test gets a fresh, uniquely named database on the admin
 * server, migrated to the current schema, and drops it afterwards, so tests run in parallel.
 *
 * The admin server comes from TEST_DATABASE_URL, else DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/postgres (the test harness sets TEST_DATABASE_URL to the
 * machine's PostgreSQL or to an embedded server it started).
 * @module
 */
import { migrate } from "../migrate.ts";
import { createPool, type Sql } from "../pool.ts";

/** Fallback admin server when neither TEST_DATABASE_URL nor DATABASE_URL is set. */
export const DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** A database that exists for one test. */
export interface TestDatabase {
  /** Its name (`kt_<time>_<random>`). */
  name: string;
  /** URL with superuser rights on it (hand it to code under test as DATABASE_URL). */
  url: string;
  /** A pool connected to it. */
  sql: Sql;
  /** Closes `sql` and drops the database (terminating leftover connections); idempotent. */
  drop(): Promise<void>;
}

/** Options of {@linkcode createTestDatabase}. */
export interface TestDatabaseOptions {
  /** Admin server URL; default from the environment (see module doc). */
  adminUrl?: string;
  /** Apply the migrations (default true); false gives an empty database. */
  migrate?: boolean;
  /** Migrations directory; default the repository's `migrations/`. */
  migrationsDir?: string | URL;
  /** Pool size of `sql`; default 4. */
  max?: number;
}

function envOrUndefined(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env for it: treat as unset
  }
}

/** The admin server URL tests use (TEST_DATABASE_URL, else DATABASE_URL, else the local default). */
export function testAdminUrl(): string {
  return envOrUndefined("TEST_DATABASE_URL") ?? envOrUndefined("DATABASE_URL") ?? DEFAULT_ADMIN_URL;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = "/" + database;
  return parsed.toString();
}

function uniqueName(): string {
  const random = Array.from(
    crypto.getRandomValues(new Uint8Array(5)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `kt_${Date.now().toString(36)}_${random}`;
}

/** Creates a fresh database (migrated unless `migrate: false`) on the admin server. */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl = options.adminUrl ?? testAdminUrl();
  const name = uniqueName();
  const admin = createPool(adminUrl, { max: 1, applicationName: "kalshi-test-admin" });
  try {
    // template0: never blocked by a stray session on template1.
    await admin.unsafe(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const sql = createPool(url, { max: options.max ?? 4, applicationName: "kalshi-test" });
  let dropped: Promise<void> | undefined;
  const drop = () => {
    dropped ??= (async () => {
      await sql.end({ timeout: 5 });
      const cleaner = createPool(adminUrl, { max: 1, applicationName: "kalshi-test-admin" });
      try {
        await cleaner.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await cleaner.end();
      }
    })();
    return dropped;
  };
  if (options.migrate ?? true) {
    try {
      await migrate(sql, { dir: options.migrationsDir });
    } catch (error) {
      await drop();
      throw error;
    }
  }
  return { name, url, sql, drop };
}

/** Runs `fn` with a fresh test database and drops it afterwards, whatever `fn` does. */
export async function withTestDatabase<T>(
  fn: (db: TestDatabase) => Promise<T>,
  options: TestDatabaseOptions = {},
): Promise<T> {
  const db = await createTestDatabase(options);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}
