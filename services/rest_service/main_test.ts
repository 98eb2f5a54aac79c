import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { withSimAndDatabase } from "../../lib/testing/sim_database.ts";
import { planLaunch, RUNNABLES } from "@kalshi-data/lib/launch";

Deno.test("rest_service --once runs through the launch plan's permissions, fills the database and exits 0", async () => {
  await withSimAndDatabase({ markets: 150, seed: 3 }, async ({ served, db: { sql, url } }) => {
    const plan = planLaunch(RUNNABLES.rest_service, {
      args: ["--once"],
      env: { DATABASE_URL: url, KALSHI_REST_URL: served.restUrl, LOG_LEVEL: "info" },
    });
    assertOk(!("help" in plan));
    assertOk(!plan.args.includes("-A") && !plan.args.includes("--allow-all"));
    const output = await new Deno.Command(plan.program, {
      args: plan.args,
      env: plan.env,
      cwd: plan.cwd,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 0, stderr);
    const lines = stderr.trim().split("\n").map((l) => JSON.parse(l));
    assertOk(lines.some((l) => l.message === "pass scheduled"), stderr);
    const [{ markets }] = await sql`SELECT count(*)::int AS markets FROM markets`;
    const w = served.sim.world;
    const now = served.sim.clock.now();
    let expected = 0;
    for (let m = 0; m < w.marketCount; m++) {
      if (w.eventCreatedMs[w.marketEvent[m]] <= now) expected++;
    }
    assertEquals(markets, expected);
    const [{ jobs }] = await sql`SELECT count(*)::int AS jobs FROM backfill_jobs`;
    assertOk(jobs > markets, `jobs: ${jobs}`);
  });
});
