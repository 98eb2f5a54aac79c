import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { createTestDatabase } from "../../lib/db/testing/database.ts";

const main = new URL("./main.ts", import.meta.url).pathname;

async function start(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-env",
      "--allow-read",
      "--allow-write=.data,/tmp",
      "--allow-run",
      "--allow-net=127.0.0.1,localhost",
      "--allow-sys",
      main,
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stderr).split("\n").filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
  return { code: out.code, lines, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("start migrates the database, runs the simulator supervised and reports what runs where", async () => {
  const db = await createTestDatabase({ migrate: false });
  try {
    const run = await start(["--sim", "--sim-port", "0", "--once", "--sim-markets", "20"], {
      DATABASE_URL: db.url,
    });
    assertEquals(run.code, 0, run.stderr);
    const summary = run.lines.find((l) => l.message === "system running");
    assertOk(summary, run.stderr);
    assertOk(String(summary.simulator).startsWith("http://127.0.0.1:"));
    const expected = new URL(db.url);
    if (expected.password) expected.password = "***";
    assertEquals(summary.database, expected.href);
    const applied = await db.sql`SELECT count(*)::int AS n FROM schema_migrations`;
    assertOk(applied[0].n >= 1);
    assertOk(run.lines.some((l) => l.service === "migrator"));
  } finally {
    await db.drop();
  }
});

Deno.test("start refuses a wrong setting before starting anything", async () => {
  const run = await start(["--services", "no_such_service", "--once"], {
    DATABASE_URL: "postgres://postgres@127.0.0.1:1/none",
  });
  assertEquals(run.code, 2);
  assertOk(run.stderr.includes("no_such_service"), run.stderr);
});

Deno.test("start --help lists its settings", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", "--allow-read", main, "--help"],
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0);
  assertOk(text.includes("--sim") && text.includes("DATABASE_URL"));
});
