import { join } from "node:path";
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import {
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
  MigrationError,
  migrationStatus,
} from "./migrate.ts";
import { createPool } from "./pool.ts";
import { withTestDatabase } from "./testing/database.ts";

const EXPECTED_TABLES = [
  "archive_days",
  "backfill_jobs",
  "candles",
  "capture_gaps",
  "dead_letters",
  "embeddings",
  "events",
  "ingest_state",
  "ingested_batches",
  "market_lifecycle",
  "markets",
  "orderbook_deltas",
  "orderbook_markets",
  "orderbook_snapshots",
  "predictions",
  "schema_migrations",
  "series",
  "ticks",
  "trades",
];

/** Names of the repository's migration files, in order. */
async function realNames(): Promise<string[]> {
  return (await loadMigrations()).map((f) => f.name);
}

/** Copies the real migrations plus `extra` files into a fresh temporary directory. */
async function migrationsDirWith(extra: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kalshi_migrations_" });
  for (const file of await loadMigrations()) {
    await Deno.writeTextFile(join(dir, file.name), file.sql);
  }
  for (const [name, sql] of Object.entries(extra)) await Deno.writeTextFile(join(dir, name), sql);
  return dir;
}

Deno.test("migrating an empty database creates every table and both roles", async () => {
  await withTestDatabase(async ({ sql }) => {
    const result = await migrate(sql);
    assertEquals(result.applied, await realNames());
    const tables = await sql<{ relname: string }[]>`
      SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`;
    assertEquals(tables.map((t) => t.relname), EXPECTED_TABLES);
    const roles = await sql<{ rolname: string; rolcanlogin: boolean }[]>`
      SELECT rolname, rolcanlogin FROM pg_roles
      WHERE rolname IN ('kalshi_writer', 'kalshi_reader') ORDER BY rolname`;
    assertEquals(roles.map((r) => ({ ...r })), [
      { rolname: "kalshi_reader", rolcanlogin: false },
      { rolname: "kalshi_writer", rolcanlogin: false },
    ]);
    const [partitioned] = await sql<{ partitions: number }[]>`
      SELECT count(*)::int AS partitions FROM pg_inherits WHERE inhparent = 'ticks'::regclass`;
    assertOk(partitioned.partitions >= 2, "ticks has a DEFAULT and daily partitions");
  }, { migrate: false });
});

Deno.test("a second migration run applies nothing and changes no catalog entry", async () => {
  await withTestDatabase(async ({ sql }) => {
    const snapshot = () =>
      sql<{ relname: string; relkind: string }[]>`
        SELECT c.relname, c.relkind::text AS relkind FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
        ORDER BY c.relname`.then((rows) => rows.map((r) => `${r.relname}:${r.relkind}`));
    const migrations = () =>
      sql`SELECT name, checksum, applied_at FROM schema_migrations ORDER BY name`.then((rows) =>
        rows.map((r) => ({ ...r }))
      );
    const before = { catalog: await snapshot(), rows: await migrations() };
    const result = await migrate(sql);
    assertEquals(result.applied, []);
    assertEquals(result.alreadyApplied, await realNames());
    assertEquals({ catalog: await snapshot(), rows: await migrations() }, before);
  });
});

Deno.test("two migrators started at once apply each file exactly once", async () => {
  await withTestDatabase(async ({ url, sql }) => {
    const dir = await migrationsDirWith({
      // Slow enough that the second migrator certainly arrives while the first holds the lock.
      "9001_slow.sql": "CREATE TABLE applied_once (n int); SELECT pg_sleep(0.3); " +
        "INSERT INTO applied_once VALUES (1);",
    });
    const first = createPool(url, { max: 1 });
    const second = createPool(url, { max: 1 });
    try {
      const [a, b] = await Promise.all([migrate(first, { dir }), migrate(second, { dir })]);
      const expected = [...await realNames(), "9001_slow.sql"];
      assertEquals([...a.applied, ...b.applied].sort(), expected);
      const rows = await sql`SELECT name FROM schema_migrations ORDER BY name`;
      assertEquals(rows.map((r) => r.name), expected);
      const [{ n }] = await sql`SELECT count(*)::int AS n FROM applied_once`;
      assertEquals(n, 1);
    } finally {
      await Promise.all([first.end(), second.end()]);
      await Deno.remove(dir, { recursive: true });
    }
  }, { migrate: false });
});

Deno.test("an applied file that was edited is refused with an error naming it", async () => {
  await withTestDatabase(async ({ sql }) => {
    const dir = await migrationsDirWith({ "9001_extra.sql": "CREATE TABLE extra (id int);" });
    try {
      await migrate(sql, { dir });
      await Deno.writeTextFile(join(dir, "9001_extra.sql"), "CREATE TABLE extra (id bigint);");
      await Deno.writeTextFile(join(dir, "9002_next.sql"), "CREATE TABLE never_applied (id int);");
      const error = await assertRejects(() => migrate(sql, { dir }), MigrationError);
      assertEquals(error.kind, "modified");
      assertEquals(error.file, "9001_extra.sql");
      assertOk(error.message.includes("9001_extra.sql"));
      const [{ exists }] = await sql`SELECT to_regclass('never_applied') IS NOT NULL AS exists`;
      assertEquals(exists, false, "nothing after the refusal was applied");
      const states = (await migrationStatus(sql, { dir })).map((s) => [s.name, s.state]);
      assertEquals(states, [
        ...(await realNames()).map((name) => [name, "applied"]),
        ["9001_extra.sql", "modified"],
        ["9002_next.sql", "pending"],
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }, { migrate: false });
});

Deno.test("an applied file deleted from the directory is refused", async () => {
  await withTestDatabase(async ({ sql }) => {
    const dir = await migrationsDirWith({ "9001_gone.sql": "SELECT 1;" });
    try {
      await migrate(sql, { dir });
      await Deno.remove(join(dir, "9001_gone.sql"));
      const error = await assertRejects(() => migrate(sql, { dir }), MigrationError);
      assertEquals([error.kind, error.file], ["missing", "9001_gone.sql"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }, { migrate: false });
});

Deno.test("a failing file is rolled back entirely and named in the error", async () => {
  await withTestDatabase(async ({ sql }) => {
    const dir = await migrationsDirWith({
      "9001_broken.sql": "CREATE TABLE half_done (id int); SELECT no_such_function();",
    });
    try {
      const error = await assertRejects(() => migrate(sql, { dir }), MigrationError);
      assertEquals([error.kind, error.file], ["failed", "9001_broken.sql"]);
      const rows = await sql`SELECT name FROM schema_migrations ORDER BY name`;
      assertEquals(rows.map((r) => r.name), await realNames());
      const [{ exists }] = await sql`SELECT to_regclass('half_done') IS NOT NULL AS exists`;
      assertEquals(exists, false);
      // The lock was released: a later run proceeds (and fails the same way, not hangs).
      await assertRejects(() => migrate(sql, { dir }), MigrationError);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }, { migrate: false });
});

Deno.test("status lists pending files before migrating and applied ones after", async () => {
  await withTestDatabase(async ({ sql }) => {
    const names = await realNames();
    assertEquals(
      (await migrationStatus(sql)).map((s) => [s.name, s.state]),
      names.map((name) => [name, "pending"]),
    );
    await migrate(sql);
    const statuses = await migrationStatus(sql);
    assertEquals(statuses.map((s) => [s.name, s.state]), names.map((name) => [name, "applied"]));
    assertOk(statuses.every((s) => s.appliedAt instanceof Date));
  }, { migrate: false });
});

Deno.test("migration files with a bad name or a shared number are rejected", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kalshi_migrations_" });
  try {
    await Deno.writeTextFile(join(dir, "0001_a.sql"), "SELECT 1;");
    await Deno.writeTextFile(join(dir, "0001_b.sql"), "SELECT 1;");
    const duplicate = await assertRejects(() => loadMigrations(dir), MigrationError);
    assertEquals([duplicate.kind, duplicate.file], ["duplicate_number", "0001_b.sql"]);
    await Deno.remove(join(dir, "0001_b.sql"));
    await Deno.writeTextFile(join(dir, "2-Add Things.sql"), "SELECT 1;");
    const badName = await assertRejects(() => loadMigrations(dir), MigrationError);
    assertEquals([badName.kind, badName.file], ["bad_name", "2-Add Things.sql"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the repository's migrations load in order with SHA-256 checksums", async () => {
  const files = await loadMigrations(DEFAULT_MIGRATIONS_DIR);
  assertOk(files.length >= 1);
  for (const file of files) assertOk(/^[0-9a-f]{64}$/.test(file.checksum), file.name);
  assertEquals(files.map((f) => f.name), [...files.map((f) => f.name)].sort());
});

Deno.test("0008 turns JSON strings left in market_lifecycle.raw and capture_gaps.detail into objects", async () => {
  const dir = await Deno.makeTempDir({ prefix: "migrations_0008_" });
  try {
    const files = [...Deno.readDirSync(new URL("../../migrations/", import.meta.url))]
      .map((e) => e.name).filter((n) => n.endsWith(".sql") && n < "0008").sort();
    for (const name of files) {
      await Deno.copyFile(new URL(`../../migrations/${name}`, import.meta.url), join(dir, name));
    }
    await withTestDatabase(async ({ sql }) => {
      await sql`INSERT INTO market_lifecycle (message_type, market_ticker, received_at, raw)
        VALUES ('market_lifecycle_v2', 'M', now(), ${'{"msg":{"a":1}}'})`;
      await sql`INSERT INTO capture_gaps (channel, gap_start, gap_end, reason, detail)
        VALUES ('ticker', now(), now(), 'restart', ${'{"sid":3}'})`;
      const [before] = await sql`SELECT jsonb_typeof(raw) AS t FROM market_lifecycle`;
      assertEquals(before.t, "string", "the old encoding");
      await Deno.copyFile(
        new URL("../../migrations/0008_jsonb_objects.sql", import.meta.url),
        join(dir, "0008_jsonb_objects.sql"),
      );
      await migrate(sql, { dir });
      const [after] = await sql`SELECT raw -> 'msg' ->> 'a' AS a FROM market_lifecycle`;
      const [gap] = await sql`SELECT detail ->> 'sid' AS sid FROM capture_gaps`;
      assertEquals([after.a, gap.sid], ["1", "3"]);
    }, { migrationsDir: dir });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
