/**
 * The SLURM scripts on a real single-node cluster (start it with slurm/testing/start_cluster.sh),
 * without the container (KALSHI_CONTAINER=none runs the same apptainer/app.sh commands), against
 * the Kalshi simulator. With KALSHI_TEST_IMAGE naming a built image, every step runs from it
 * (KALSHI_CONTAINER=apptainer): apptainer/check.sh does that inside its sid root. The services
 * under test are the registered ones of the ingest set, so the test covers each service as soon as
 * it is registered with the launch step.
 */
import { join } from "node:path";
import { createPool, type Sql } from "@kalshi-data/lib/db";
import { createTestDatabase, type TestDatabase } from "../lib/db/testing/database.ts";
import { PROJECT_ROOT, RUNNABLES } from "@kalshi-data/lib/launch";
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { fileRequirement, testRequiring } from "../lib/testing/requirements.ts";

const slurm = await fileRequirement("SLURM", "/usr/bin/sbatch");

/** Services the ingest job runs, in order, when registered. */
const INGEST_SET = ["rest_service", "ws_service", "worker_service"];
const services = INGEST_SET.filter((name) => name in RUNNABLES);

/** What proves a service's data landed (a row count that must become positive). */
const EVIDENCE: Record<string, string> = {
  rest_service: "SELECT count(*)::int AS n FROM markets",
  ws_service: "SELECT ((SELECT count(*) FROM ticks) + (SELECT count(*) FROM market_lifecycle) + " +
    "(SELECT count(*) FROM trades WHERE source = 'ws'))::int AS n",
  worker_service: "SELECT count(*)::int AS n FROM backfill_jobs WHERE state = 'succeeded'",
};

const MIGRATIONS = [...Deno.readDirSync(join(PROJECT_ROOT, "migrations"))]
  .filter((e) => e.name.endsWith(".sql")).length;

interface LogLine {
  message?: string;
  restart?: number;
  step?: string;
  code?: string | number;
  [key: string]: unknown;
}

async function run(program: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${program} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}${text}`,
    );
  }
  return text.trim();
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** `scontrol show job -o` as a record ({} once the job record is gone). */
async function jobInfo(id: string): Promise<Record<string, string>> {
  const out = await new Deno.Command("scontrol", {
    args: ["show", "job", "-o", id],
    stdout: "piped",
  })
    .output();
  const info: Record<string, string> = {};
  for (const field of new TextDecoder().decode(out.stdout).trim().split(/\s+/)) {
    const eq = field.indexOf("=");
    if (eq > 0) info[field.slice(0, eq)] = field.slice(eq + 1);
  }
  return info;
}

/** Polls `check` every 500 ms until it returns a value; fails with `what` after `limitMs`. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  limitMs = 120_000,
  diagnose?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  while (true) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${what}${diagnose ? `\n${await diagnose()}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function jsonLines(path: string): Promise<LogLine[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

/** A scratch folder, a site.env and helpers around one submitted job. */
class Site {
  readonly data: string;
  constructor(readonly dir: string) {
    this.data = join(dir, "data");
  }
  async writeEnv(name: string, values: Record<string, string>): Promise<string> {
    const path = join(this.dir, name);
    const text = Object.entries(values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n");
    await Deno.writeTextFile(path, text + "\n", { mode: 0o600 });
    return path;
  }
  async submit(script: string, siteEnv: string, extra: string[] = []): Promise<string> {
    const id = await run("sbatch", [
      "--parsable",
      `--chdir=${this.dir}`,
      "--cpus-per-task=1",
      "--mem=1G",
      "--time=30",
      `--output=${this.dir}/job-%j.out`,
      `--export=ALL,KALSHI_HOME=${PROJECT_ROOT},KALSHI_SITE_ENV=${siteEnv}`,
      ...extra,
      join(PROJECT_ROOT, "slurm", script),
    ]);
    return id.split(";")[0];
  }
  batchLog(id: string): Promise<LogLine[]> {
    return jsonLines(join(this.dir, `job-${id}.out`));
  }
  stepLog(id: string, step: string): Promise<LogLine[]> {
    return jsonLines(join(this.data, "logs", `${id}-${step}.log`));
  }
  async diagnose(id: string): Promise<string> {
    const parts = [`job ${id}: ${JSON.stringify(await jobInfo(id))}`];
    for (const file of [join(this.dir, `job-${id}.out`)]) {
      parts.push(`--- ${file}\n${await Deno.readTextFile(file).catch(() => "(none)")}`);
    }
    try {
      for await (const e of Deno.readDir(join(this.data, "logs"))) {
        const text = await Deno.readTextFile(join(this.data, "logs", e.name));
        parts.push(`--- ${e.name}\n${text.split("\n").slice(-15).join("\n")}`);
      }
    } catch { /* no logs yet */ }
    return parts.join("\n");
  }
}

async function count(sql: Sql, query: string): Promise<number> {
  const rows = await sql.unsafe(query);
  return Number(rows[0].n);
}

/** Waits until the migrator of run `restart` finished and each service's evidence is positive. */
async function waitForData(site: Site, id: string, sql: () => Sql, restart: number) {
  await waitFor(
    `the migrator of run ${restart}`,
    async () =>
      (await site.batchLog(id)).find((l) =>
        l.message === "step finished" && l.step === "migrator" && l.restart === restart
      ),
    120_000,
    () => site.diagnose(id),
  );
  const counts: Record<string, number> = {};
  for (const name of services) {
    counts[name] = await waitFor(
      `data from ${name} (${EVIDENCE[name]})`,
      async () => {
        const n = await count(sql(), EVIDENCE[name]);
        return n > 0 ? n : undefined;
      },
      120_000,
      () => site.diagnose(id),
    );
  }
  return counts;
}

/** Checks that every service step of run `restart` stopped cleanly (exit 0, own log says so). */
async function assertCleanStop(site: Site, id: string, restart: number) {
  const batch = (await site.batchLog(id)).filter((l) => l.restart === restart);
  for (const name of [...services, "sim"]) {
    const stopped = batch.find((l) => l.message === "step stopped" && l.step === name);
    assertOk(stopped, `run ${restart}: the job logged no stop of ${name}`);
    assertEquals(String(stopped.code), "0", `run ${restart}: ${name} exit code`);
    const own = await site.stepLog(id, name);
    const stops = own.filter((l) => l.message === "stopped");
    assertOk(stops.length > restart, `${name} logged "stopped" for run ${restart}`);
    assertEquals(stops[restart].code, 0, `${name}: runtime outcome of run ${restart}`);
    assertOk(
      !own.some((l) => l.message === "shutdown deadline passed"),
      `${name} met its shutdown deadline`,
    );
  }
}

/**
 * Waits until every service answers /healthz on its metrics port: its runtime is up and handles
 * SIGTERM (a signal before that point would kill it with the default action).
 */
async function waitHealthy(site: Site, id: string, base: number, names: string[]) {
  for (const [i, name] of names.entries()) {
    await waitFor(
      `${name} to answer /healthz on port ${base + i}`,
      async () => {
        try {
          const response = await fetch(`http://127.0.0.1:${base + i}/healthz`);
          await response.body?.cancel();
          return response.status === 200 ? true : undefined;
        } catch {
          return undefined;
        }
      },
      120_000,
      () => site.diagnose(id),
    );
  }
}

/**
 * Nothing left unflushed: live capture's on-disk spool holds no batch after a clean stop (its lock
 * file `.lock` stays: a flock, released by the kernel, never removed).
 */
async function assertSpoolEmpty(site: Site) {
  const left: string[] = [];
  try {
    for await (const e of Deno.readDir(join(site.data, "spool", "ws"))) {
      if (e.name !== ".lock") left.push(e.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  assertEquals(left, [], "batches left in the spool after the clean stop");
}

async function assertNoLeaseHeld(sql: Sql) {
  const held = await count(
    sql,
    "SELECT count(*)::int AS n FROM backfill_jobs WHERE state = 'running'",
  );
  assertEquals(held, 0, "backfill jobs still leased after the clean stop");
}

async function waitGone(site: Site, id: string): Promise<Record<string, string>> {
  return await waitFor(
    `job ${id} to end`,
    async () => {
      const info = await jobInfo(id);
      return ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"].includes(info.JobState ?? "")
        ? info
        : undefined;
    },
    120_000,
    () => site.diagnose(id),
  );
}

async function withSite(fn: (site: Site, cleanup: (() => Promise<void>)[]) => Promise<void>) {
  await run("sinfo", ["-h"]).catch((error) => {
    throw new Error(`SLURM does not answer: run slurm/testing/start_cluster.sh (${error.message})`);
  });
  const dir = await Deno.makeTempDir({ prefix: "kalshi-slurm-" });
  // Run as root, the node-local PostgreSQL drops to the postgres user, who must reach its data.
  await Deno.chmod(dir, 0o755);
  const cleanup: (() => Promise<void>)[] = [];
  let passed = false;
  try {
    await fn(new Site(dir), cleanup);
    passed = true;
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => {});
    if (passed) await Deno.remove(dir, { recursive: true }).catch(() => {});
    else console.error(`job files kept for inspection in ${dir}`);
  }
}

/** The image the steps run from (KALSHI_CONTAINER=apptainer), or none: the checkout's app.sh. */
const IMAGE = Deno.env.get("KALSHI_TEST_IMAGE");

function baseEnv(site: Site, simPort: number): Record<string, string> {
  return {
    ...(IMAGE
      ? { KALSHI_CONTAINER: "apptainer", KALSHI_IMAGE: IMAGE }
      : { KALSHI_CONTAINER: "none" }),
    KALSHI_DATA_DIR: site.data,
    KALSHI_SIM: "1",
    KALSHI_SIM_PORT: String(simPort),
    SIM_MARKETS: "8",
    // A minute of market activity per second, so live capture has something to capture.
    SIM_SPEED: "60",
    WS_REFRESH_MS: "1000",
    WS_SPOOL_DIR: join(site.data, "spool", "ws"),
    KALSHI_INGEST_SERVICES: services.join(" "),
    SHUTDOWN_TIMEOUT_MS: "20000",
    WORKER_POLL_MS: "1000",
    LOG_LEVEL: "info",
  };
}

Deno.test(testRequiring(
  slurm,
  "the ingest job migrates and runs every registered service, worker arrays join it, and scancel --signal=TERM stops everything cleanly",
  async () => {
    let db: TestDatabase | undefined;
    await withSite(async (site, cleanup) => {
      db = await createTestDatabase({ migrate: false, max: 2 });
      cleanup.push(() => db!.drop());
      const simPort = freePort();
      const metricsBase = freePort();
      const env = await site.writeEnv("site.env", {
        ...baseEnv(site, simPort),
        KALSHI_POSTGRES: "external",
        DATABASE_URL: db.url,
        METRICS_BASE_PORT: String(metricsBase),
      });
      const id = await site.submit("ingest.sbatch", env);
      cleanup.push(() => run("scancel", ["--signal=KILL", id]).then(() => {}));

      const before = await waitForData(site, id, () => db!.sql, 0);
      assertEquals(
        await count(db.sql, "SELECT count(*)::int AS n FROM schema_migrations"),
        MIGRATIONS,
        "the migrator step applied every migration",
      );
      await waitHealthy(site, id, metricsBase, services);

      let workersJob: string | undefined;
      const workersBase = freePort();
      if (services.includes("worker_service")) {
        const workersEnv = await site.writeEnv("workers.env", {
          ...baseEnv(site, simPort),
          KALSHI_SIM: "0",
          KALSHI_REST_URL: `http://127.0.0.1:${simPort}/trade-api/v2`,
          KALSHI_WS_URL: `ws://127.0.0.1:${simPort}/trade-api/ws/v2`,
          KALSHI_POSTGRES: "external",
          DATABASE_URL: db.url,
          WORKERS_METRICS_BASE_PORT: String(workersBase),
        });
        workersJob = await site.submit("workers.sbatch", workersEnv, ["--array=0-1"]);
        cleanup.push(() => run("scancel", ["--signal=KILL", workersJob!]).then(() => {}));
        for (const task of ["0", "1"]) {
          await waitFor(
            `worker array task ${task} to run worker_service`,
            async () => {
              const info = await jobInfo(`${workersJob}_${task}`);
              if (info.JobState !== "RUNNING") return undefined;
              const log = await site.stepLog(info.JobId, "worker_service");
              return log.length > 0 ? true : undefined;
            },
            120_000,
            () => site.diagnose(workersJob!),
          );
        }
      }

      await run("scancel", ["--signal=TERM", id]);
      const done = await waitGone(site, id);
      assertEquals(done.JobState, "COMPLETED", "the job ends as COMPLETED");
      assertEquals(done.ExitCode, "0:0", "every step exited 0");
      assertEquals(done.Restarts, "0", "a scancel --signal=TERM does not requeue");
      await assertCleanStop(site, id, 0);
      const finished = (await site.batchLog(id)).find((l) => l.message === "job finished");
      assertEquals(finished?.requeue, "0", "the job ended without requeueing");

      if (workersJob) {
        await run("scancel", ["--signal=TERM", workersJob]);
        for (const task of ["0", "1"]) {
          const info = await waitGone(site, `${workersJob}_${task}`);
          assertEquals(info.ExitCode, "0:0", `worker array task ${task} stopped cleanly`);
          const own = await site.stepLog(info.JobId, "worker_service");
          assertEquals(own.filter((l) => l.message === "stopped").at(-1)?.code, 0);
        }
      }

      await assertNoLeaseHeld(db.sql);
      await assertSpoolEmpty(site);
      for (const name of services) {
        const after = await count(db.sql, EVIDENCE[name]);
        assertOk(
          after >= before[name],
          `${name}: ${after} rows after the stop, ${before[name]} before`,
        );
      }
    });
  },
));

Deno.test(testRequiring(
  slurm,
  "the time-limit warning stops every service cleanly and requeues the job, which resumes on the node-local database",
  async () => {
    await withSite(async (site, cleanup) => {
      const simPort = freePort();
      const metricsBase = freePort();
      const env = await site.writeEnv("site.env", {
        ...baseEnv(site, simPort),
        KALSHI_POSTGRES: "instance",
        METRICS_BASE_PORT: String(metricsBase),
      });
      const id = await site.submit("ingest.sbatch", env);
      cleanup.push(() => run("scancel", ["--signal=KILL", id]).then(() => {}));
      const urlFile = join(site.data, "postgres.url");
      let pool: { url: string; sql: Sql } | undefined;
      const sql = () => {
        const url = Deno.readTextFileSync(urlFile).trim();
        if (pool?.url !== url) {
          pool?.sql.end({ timeout: 1 });
          pool = { url, sql: createPool(url, { max: 1 }) };
        }
        return pool.sql;
      };
      cleanup.push(async () => {
        await pool?.sql.end({ timeout: 1 });
      });

      const first = await waitForData(site, id, sql, 0);
      await waitHealthy(site, id, metricsBase, services);
      const state = await count(sql(), "SELECT count(*)::int AS n FROM ingest_state");

      // What SLURM sends `--signal=B:USR1@300` seconds before the time limit.
      await run("scancel", ["--batch", "--signal=USR1", id]);
      await waitFor(
        "the requeued run's migrator",
        async () => {
          return (await site.batchLog(id)).some((l) =>
              l.restart === 1 && l.message === "step finished" && l.step === "migrator"
            )
            ? true
            : undefined;
        },
        150_000,
        () => site.diagnose(id),
      );
      await waitFor(
        "the services of the requeued run",
        async () => {
          const started = (await site.batchLog(id)).filter((l) =>
            l.restart === 1 && l.message === "step started"
          );
          return services.every((name) => started.some((l) => l.step === name)) ? true : undefined;
        },
        60_000,
        () => site.diagnose(id),
      );
      const log = await site.batchLog(id);
      assertOk(
        log.some((l) => l.restart === 0 && l.message?.startsWith("every service stopped cleanly")),
        "run 0 requeued after a clean stop",
      );
      await assertCleanStop(site, id, 0);
      assertEquals((await jobInfo(id)).Restarts, "1", "SLURM counts one requeue");

      const migrations = (await site.stepLog(id, "migrator")).filter((l) =>
        l.message === "schema up to date"
      );
      assertEquals(migrations.length, 2, "the migrator ran once per allocation");
      assertEquals(migrations[1].applied, [], "the second run found the schema in place");
      assertEquals(migrations[1].alreadyApplied, MIGRATIONS);

      // The database on the persistent path came back with everything of the first run.
      for (const name of services) {
        const n = await count(sql(), EVIDENCE[name]);
        assertOk(n >= first[name], `${name}: ${n} rows after the requeue, ${first[name]} before`);
      }
      assertOk(
        await count(sql(), "SELECT count(*)::int AS n FROM ingest_state") >= state,
        "ingest_state survived the requeue",
      );
      for (const name of services) {
        assertOk(
          log.some((l) => l.restart === 1 && l.message === "step started" && l.step === name),
          `${name} started again in the requeued run`,
        );
      }

      await waitHealthy(site, id, metricsBase, services);
      await run("scancel", ["--signal=TERM", id]);
      const done = await waitGone(site, id);
      assertEquals(done.JobState, "COMPLETED");
      assertEquals(done.ExitCode, "0:0");
      await assertCleanStop(site, id, 1);
      await assertSpoolEmpty(site);
      const pg = await jsonLines(join(site.data, "logs", `${id}-postgres.log`));
      assertEquals(
        pg.filter((l) => l.message === "stopped").map((l) => l.code),
        [0, 0],
        "the node-local PostgreSQL stopped cleanly at the end of each run",
      );
    });
  },
));
