/**
 * Ctrl-C on `deno task start --sim` (the terminal sends SIGINT to the whole foreground process
 * group: deno task, the launcher, every child) stops the services first and the embedded
 * PostgreSQL last, so ws_service writes its last batches into the database and spools nothing.
 *
 * Real run from a fresh copy of the checkout (its own .data/ and .spool/; the first run installs
 * node_modules/ there): the process group is made by spawning `deno task` in a session of its own,
 * and SIGINT goes to that group once ws_service has written rows.
 */
import { join } from "node:path";
import { createPool } from "@kalshi-data/lib/db";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { exists, freshCopy, freshShellEnv } from "../../lib/testing/fresh_copy.ts";
import { collectLines, jsonLine } from "../../lib/testing/lines.ts";

/** Two consecutive ports free on every interface (the services' metrics ports). */
function freePortPair(): number {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const held: Deno.Listener[] = [];
    try {
      for (const port of [base, base + 1]) held.push(Deno.listen({ hostname: "0.0.0.0", port }));
      return base;
    } catch {
      // taken: try another base
    } finally {
      for (const listener of held) listener.close();
    }
  }
}

async function spoolFiles(dir: string): Promise<string[]> {
  if (!(await exists(dir))) return [];
  const names: string[] = [];
  // The lock file (.lock) stays; segment files are what a spooled batch leaves.
  for await (const entry of Deno.readDir(dir)) if (entry.name !== ".lock") names.push(entry.name);
  return names;
}

Deno.test("Ctrl-C on `deno task start --sim` stops the services before the embedded PostgreSQL: nothing is spooled", async () => {
  await using copy = await freshCopy();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "-q",
      "start",
      "--sim",
      "--sim-port",
      "0",
      "--sim-markets",
      "50",
      "--services",
      "rest_service,ws_service",
      "--metrics-base-port",
      String(freePortPair()),
    ],
    cwd: copy.dir,
    clearEnv: true,
    // DATABASE_URL unset: the embedded PostgreSQL in the copy's .data/postgres. A faster
    // simulated clock and watch-set refresh only make ticks arrive sooner.
    env: freshShellEnv({ SIM_SPEED: "60", WS_REFRESH_MS: "1000" }),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    detached: true, // a session and process group of its own, as a terminal's job has
  }).spawn();
  const lines = collectLines(child.stderr);
  const logged = (service: string, message: string) =>
    lines.until((l) => {
      const j = jsonLine(l);
      return j?.service === service && j?.message === message;
    }, `${service} logs "${message}"`);
  let interrupted = false;
  try {
    await logged("launcher", "system running");
    const state = JSON.parse(
      await Deno.readTextFile(join(copy.dir, ".data", "postgres", "kalshi_embedded.json")),
    );
    const sql = createPool(
      `postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/postgres`,
      { max: 1 },
    );
    try {
      // Until ws_service has written ticks or trades (each check is a round trip; the stream of
      // the launcher's log ending first means it died, which fails the test).
      for (;;) {
        const [row] = await sql<{ n: number }[]>`
          SELECT (SELECT count(*) FROM ticks)::int + (SELECT count(*) FROM trades)::int AS n`;
        if (row.n > 0) break;
        await Promise.race([
          lines.ended.then(() => {
            throw new Error(`start exited before ws_service wrote rows:\n${lines.all.join("\n")}`);
          }),
          new Promise((resolve) => setTimeout(resolve, 250)),
        ]);
      }
    } finally {
      await sql.end({ timeout: 1 });
    }
    Deno.kill(-child.pid, "SIGINT"); // Ctrl-C: the whole process group
    interrupted = true;
    const status = await child.status;
    await lines.ended;
    const log = lines.all.map(jsonLine).filter((j) => j !== undefined);
    const text = lines.all.join("\n");
    assertEquals(status.code, 0, text);
    const spooled = await spoolFiles(join(copy.dir, ".spool", "ws"));
    assertEquals(spooled.filter((name) => name.endsWith(".ndjson")), [], text);
    const capture = log.find((j) => j.service === "ws_service" && j.message === "capture stopped");
    assertOk(capture?.flushed === true && capture.spooledBatches === 0, text);
    // Order: every child stopped (code 0), then the database, then the launcher.
    const at = (match: (j: Record<string, unknown>) => boolean) => log.findIndex(match);
    const children = log.filter((j) => j.message === "child stopped");
    assertEquals(children.map((j) => j.child).sort(), ["rest_service", "sim", "ws_service"]);
    assertOk(children.every((j) => j.code === 0), text);
    const lastChild = Math.max(...children.map((j) => log.indexOf(j)));
    const dbStopped = at((j) => j.message === "embedded postgres stopped");
    assertOk(dbStopped > lastChild, `the database stopped before a service:\n${text}`);
    const launcherStopped = at((j) => j.service === "launcher" && j.message === "stopped");
    assertOk(launcherStopped > dbStopped, text);
    assertEquals(log[launcherStopped].code, 0);
    assertOk(!(await exists(join(copy.dir, ".data", "postgres", "postmaster.pid"))), text);
  } finally {
    if (!interrupted) {
      try {
        Deno.kill(-child.pid, "SIGTERM");
      } catch { /* gone */ }
    }
    await child.status;
    await lines.ended;
  }
});
