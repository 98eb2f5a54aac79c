import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { withTestDatabase } from "../../lib/db/testing/database.ts";

const MAIN = new URL("./main.ts", import.meta.url).pathname;
const MIGRATIONS = new URL("../../migrations", import.meta.url).pathname;

/** Runs the migrator the way the launch step does: narrow permissions, DATABASE_URL given. */
async function runMigrator(databaseUrl: string, args: string[]) {
  const host = new URL(databaseUrl);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--allow-net=${host.hostname}:${host.port || 5432}`,
      "--allow-env=DATABASE_URL,LOG_LEVEL,MIGRATE_STATUS,MIGRATIONS_DIR,PGAPPNAME,PGTARGETSESSIONATTRS",
      `--allow-read=${MIGRATIONS}`,
      MAIN,
      `--migrations-dir=${MIGRATIONS}`,
      ...args,
    ],
    env: { DATABASE_URL: databaseUrl },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("the migrator reports pending, migrates, then reports applied, with narrow permissions", async () => {
  await withTestDatabase(async ({ url }) => {
    const before = await runMigrator(url, ["--status"]);
    assertEquals(before.code, 0, before.stderr);
    assertOk(/^pending\s+0001_core\.sql/m.test(before.stdout), before.stdout);

    const run = await runMigrator(url, []);
    assertEquals(run.code, 0, run.stderr);
    const lines = run.stderr.trim().split("\n").map((l) => JSON.parse(l));
    assertOk(lines.some((l) => l.message === "migration applied" && l.name === "0001_core.sql"));

    const again = await runMigrator(url, []);
    assertEquals(again.code, 0, again.stderr);
    assertOk(!again.stderr.includes("migration applied"), "a second run applies nothing");

    const after = await runMigrator(url, ["--status"]);
    assertOk(/^applied\s+0001_core\.sql\s+\d{4}-/m.test(after.stdout), after.stdout);
  }, { migrate: false });
});

Deno.test("the migrator exits non-zero naming the file when an applied file was edited", async () => {
  await withTestDatabase(async ({ sql, url }) => {
    await sql`UPDATE schema_migrations SET checksum = 'edited' WHERE name = '0001_core.sql'`;
    const run = await runMigrator(url, []);
    assertEquals(run.code, 1);
    const error = JSON.parse(run.stderr.trim().split("\n").at(-1)!);
    assertEquals([error.level, error.file, error.kind], ["error", "0001_core.sql", "modified"]);
    const status = await runMigrator(url, ["--status"]);
    assertEquals(status.code, 1);
    assertOk(/^modified\s+0001_core\.sql/m.test(status.stdout), status.stdout);
  });
});
