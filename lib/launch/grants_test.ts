/**
 * Every registered command, run with the flags the launch step derives for it, is denied network,
 * file, environment and subprocess access outside its grant: a probe takes the place of the entry
 * module under the exact same flags (the same flags the Apptainer apps and SLURM steps use,
 * since they all go through the launch step) and tries to step outside.
 */
import { join } from "node:path";
import { createTestDatabase } from "../db/testing/database.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { type LaunchPlan, planLaunch, PROJECT_ROOT } from "./launch.ts";
import type { ProbeRequest, ProbeResult } from "./grant_probe.ts";
import { RUNNABLES } from "./registry.ts";

const PROBE = join(PROJECT_ROOT, "lib", "launch", "grant_probe.ts");

/** A deployment-like environment: the database on one host, Kalshi on another. */
const ENV: Record<string, string> = {
  DATABASE_URL: "postgres://kalshi:secret@db.grant.test:5432/kalshi",
  KALSHI_REST_URL: "http://kalshi.grant.test:8080/trade-api/v2",
  KALSHI_WS_URL: "ws://kalshi.grant.test:8080/trade-api/ws/v2",
  METRICS_PORT: "19001",
  PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  HOME: Deno.env.get("HOME") ?? "/root",
};

/** Commands whose grants include a whole permission class on purpose (a CLI tool, not a service). */
const BROAD_READ_ALLOWED = new Set(["kalshi"]);

function plan(name: string): LaunchPlan {
  const planned = planLaunch(RUNNABLES[name], { args: [], env: ENV });
  if ("help" in planned) throw new Error("unexpected help");
  return planned;
}

/** The plan's permission flags (between `--config=…` and the entry module). */
function flagsOf(planned: LaunchPlan): string[] {
  return planned.args.filter((a) => a.startsWith("--allow-") || a.startsWith("--deny-"));
}

async function probe(planned: LaunchPlan, request: ProbeRequest): Promise<ProbeResult> {
  const out = await new Deno.Command(planned.program, {
    args: [
      "run",
      "--no-prompt",
      `--config=${join(PROJECT_ROOT, "deno.json")}`,
      ...flagsOf(planned),
      PROBE,
      JSON.stringify(request),
    ],
    cwd: planned.cwd,
    env: planned.env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assertOk(out.success, `probe failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text);
}

function assertDenied(result: ProbeResult, what: string, kind: string, name: string) {
  const outcome = result.attempts[what];
  assertOk(outcome && !outcome.ok, `${name}: ${what} outside the grant succeeded`);
  assertEquals(
    outcome.name,
    "NotCapable",
    `${name}: ${what} failed for another reason: ${outcome.message}`,
  );
  assertOk(
    outcome.message.includes(`Requires ${kind} access`),
    `${name}: ${what}: ${outcome.message}`,
  );
}

for (const name of Object.keys(RUNNABLES)) {
  Deno.test(`${name}, run through the launch step, is denied network, file, env and subprocess access outside its grant`, async () => {
    const planned = plan(name);
    const flags = flagsOf(planned);
    assertOk(!flags.includes("--allow-all") && !flags.includes("-A"), `${name} runs with -A`);
    for (const kind of ["net", "env", "run", "write", "ffi", "sys"]) {
      assertOk(!flags.includes(`--allow-${kind}`), `${name} holds the whole --allow-${kind}`);
    }
    const broadRead = flags.includes("--allow-read");
    assertOk(!broadRead || BROAD_READ_ALLOWED.has(name), `${name} holds the whole --allow-read`);
    const netGrant = flags.find((f) => f.startsWith("--allow-net="))?.slice(12).split(",") ?? [];
    const envGrant = flags.find((f) => f.startsWith("--allow-env="))?.slice(12).split(",") ?? [];

    const outside = join(await Deno.makeTempDir({ prefix: "kalshi-grant-" }), "outside.txt");
    await Deno.writeTextFile(outside, "not yours");
    try {
      const result = await probe(planned, {
        fetch: "http://elsewhere.grant.test:8080/",
        read: broadRead ? undefined : outside,
        write: outside,
        env: "HOME",
        run: "/usr/bin/true",
        query: [
          ...netGrant.map((host) => ({ name: "net" as const, host })),
          ...envGrant.map((variable) => ({ name: "env" as const, variable })),
        ],
      });
      assertDenied(result, "fetch", "net", name);
      if (!broadRead) assertDenied(result, "read", "read", name);
      assertDenied(result, "write", "write", name);
      assertDenied(result, "env", "env", name);
      assertDenied(result, "run", "run", name);
      assertOk(
        result.queries.every((state) => state === "granted"),
        `${name}: its own grant (${[...netGrant, ...envGrant].join(", ")}) reads ${result.queries}`,
      );
      if (RUNNABLES[name].command.database) {
        assertOk(netGrant.includes("db.grant.test:5432"), `${name} may reach its database`);
        assertOk(envGrant.includes("DATABASE_URL"), `${name} may read DATABASE_URL`);
      }
    } finally {
      await Deno.remove(join(outside, ".."), { recursive: true });
    }
  });
}

Deno.test("the migrator's launch flags are enough to migrate a real database, and nothing more", async () => {
  const db = await createTestDatabase({ migrate: false, max: 1 });
  try {
    const planned = planLaunch(RUNNABLES.migrator, {
      args: [],
      env: { ...ENV, DATABASE_URL: db.url },
    });
    if ("help" in planned) throw new Error("unexpected help");
    const host = new URL(db.url).host;
    assertEquals(
      flagsOf(planned).find((f) => f.startsWith("--allow-net=")),
      `--allow-net=${host}`,
      "the migrator may reach its database host and no other",
    );
    const out = await new Deno.Command(planned.program, {
      args: planned.args,
      cwd: planned.cwd,
      env: planned.env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertOk(out.success, `migrator failed: ${new TextDecoder().decode(out.stderr)}`);
    const applied = await db.sql`SELECT count(*)::int AS n FROM schema_migrations`;
    assertOk(applied[0].n > 0, "the migrator applied the schema under its own flags");
    const elsewhere = await probe(planned, { fetch: "http://127.0.0.2:5432/" });
    assertDenied(elsewhere, "fetch", "net", "migrator");
  } finally {
    await db.drop();
  }
});
