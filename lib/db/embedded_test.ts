import { join } from "node:path";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { createPool } from "./pool.ts";
import { createTestDatabase } from "./testing/database.ts";

async function scratchDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kalshi_embedded_" });
  // As root the server runs as the `postgres` OS user, which must be able to reach the data dir.
  await Deno.chmod(dir, 0o755);
  return dir;
}

Deno.test({
  name: "embedded postgres starts, answers, stops, and restarts on the same data with its rows",
  fn: async () => {
    const dir = await scratchDir();
    const dataDir = join(dir, "postgres");
    try {
      const first = await startEmbeddedPostgres({ dataDir });
      assertOk(first.port !== 5432);
      const sql = createPool(first.url, { max: 1 });
      const [{ version }] = await sql`SELECT current_setting('server_version_num')::int AS version`;
      assertOk(version >= 150000);
      await sql`CREATE TABLE kept (note text)`;
      await sql`INSERT INTO kept VALUES ('survives a restart')`;
      await sql.end();
      await first.stop();
      await first.stop(); // idempotent

      const second = await startEmbeddedPostgres({ dataDir });
      assertEquals(second.port, first.port, "the previous port is reused when free");
      const again = createPool(second.url, { max: 1 });
      try {
        const rows = await again`SELECT note FROM kept`;
        assertEquals(rows.map((r) => r.note), ["survives a restart"]);
      } finally {
        await again.end();
        await second.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a fresh embedded cluster gets the roles once when several databases migrate at once",
  fn: async () => {
    const dir = await scratchDir();
    const server = await startEmbeddedPostgres({ dataDir: join(dir, "postgres") });
    try {
      const dbs = await Promise.all(
        [1, 2, 3, 4].map(() => createTestDatabase({ adminUrl: server.url })),
      );
      for (const db of dbs) {
        const [{ n }] = await db.sql`
          SELECT count(*)::int AS n FROM pg_roles
          WHERE rolname IN ('kalshi_writer', 'kalshi_reader')`;
        assertEquals(n, 2);
      }
      await Promise.all(dbs.map((db) => db.drop()));
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
