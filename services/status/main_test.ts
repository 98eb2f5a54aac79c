/**
 * `deno task status` as a person or a cron job runs it: through the launch step (its
 * least-privilege flags), against a real database, judged by its exit code.
 */
import { PROJECT_ROOT } from "@kalshi-data/lib/launch";
import { withTestDatabase } from "../../lib/db/testing/database.ts";
import { seedDiscovery, seedHealthy } from "../../lib/status/testing/seed.ts";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";

async function status(databaseUrl: string, args: string[] = []) {
  const env = Deno.env.toObject();
  for (const name of Object.keys(env)) if (name.startsWith("STATUS_")) delete env[name];
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "status", ...args],
    cwd: PROJECT_ROOT,
    env: { ...env, DATABASE_URL: databaseUrl, NO_COLOR: "1", WS_SPOOL_DIR: ".spool/status-test" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("deno task status exits 0 healthy, 1 stale naming the check, 2 on a bad flag", async () => {
  await withTestDatabase(async ({ sql, url }) => {
    // Seeded relative to the clock the child reads; every age is far inside its limit.
    await seedHealthy(sql, new Date());
    const healthy = await status(url);
    assertEquals(healthy.code, 0, healthy.stderr + healthy.stdout);
    assertOk(/^kalshi-data status at \S+: healthy/.test(healthy.stdout), healthy.stdout);

    await seedDiscovery(sql, new Date(), 3 * 86_400_000);
    const stale = await status(url, ["--json"]);
    assertEquals(stale.code, 1, stale.stderr);
    const json = JSON.parse(stale.stdout);
    assertEquals([json.status, json.stale.map((f: { check: string }) => f.check)], [
      "stale",
      ["discovery"],
    ]);
    assertOk(/^last pass started 3d00h ago, limit 30m$/.test(json.stale[0].message));

    const usage = await status(url, ["--max-pass-age=soon"]);
    assertEquals(usage.code, 2);
    assertOk(usage.stderr.includes("STATUS_MAX_PASS_AGE_SECONDS (--max-pass-age)"), usage.stderr);
    assertOk(usage.stderr.includes("--help"), usage.stderr);
  });
});

Deno.test("deno task status exits 3 with one line when the database is unreachable", async () => {
  const run = await status(`postgres://postgres@127.0.0.1:${closedPort()}/kalshi`);
  assertEquals(run.code, 3, run.stderr);
  // `deno task` announces the nested `deno task launch` first; the command's own output follows.
  const lines = run.stderr.trim().split("\n").filter((l) => !l.startsWith("Task launch "));
  assertEquals(lines.length, 1, run.stderr);
  assertOk(
    lines[0].startsWith("status: cannot tell: database unreachable at postgres://"),
    lines[0],
  );
  assertEquals(run.stdout, "");
});
