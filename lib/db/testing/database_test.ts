import { assertEquals, assertOk } from "../../testing/assert.ts";
import { createPool } from "../pool.ts";
import { createTestDatabase, testAdminUrl, withTestDatabase } from "./database.ts";

async function databaseExists(name: string): Promise<boolean> {
  const admin = createPool(testAdminUrl(), { max: 1 });
  try {
    const rows = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    return rows.length === 1;
  } finally {
    await admin.end();
  }
}

Deno.test("each test database is new, migrated, and gone after drop", async () => {
  const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  try {
    assertOk(a.name !== b.name);
    const [{ n }] = await a.sql`SELECT count(*)::int AS n FROM schema_migrations`;
    assertOk(n >= 1);
  } finally {
    await Promise.all([a.drop(), b.drop()]);
  }
  assertEquals(await databaseExists(a.name), false);
  await a.drop(); // idempotent
});

Deno.test("withTestDatabase drops the database even when the test body throws", async () => {
  let name = "";
  const failure = new Error("test body failed");
  try {
    await withTestDatabase(async (db) => {
      name = db.name;
      // an open extra connection must not keep the database alive
      const other = createPool(db.url, { max: 1 });
      await other`SELECT 1`;
      throw failure;
    }, { migrate: false });
  } catch (error) {
    assertEquals(error, failure);
  }
  assertOk(name.startsWith("kt_"));
  assertEquals(await databaseExists(name), false);
});
