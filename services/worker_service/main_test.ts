/**
 * worker_service end to end, as subprocesses started through the launch plan (so the derived
 * permission flags are proven sufficient), against an in-process simulator and a test database.
 */
import { countJobs } from "@kalshi-data/lib/backfill";
import {
  diffLines,
  insertJobs,
  readStored,
  simWorkload,
  type Truth,
} from "../../lib/backfill/testing/workload.ts";
import { createTestDatabase, type TestDatabase } from "../../lib/db/testing/database.ts";
import type { ServedSimulator } from "@kalshi-data/lib/kalshi/sim";
import { BACKFILL_NOW, backfillSimulator } from "../../lib/kalshi/sim/testing/paused.ts";
import { planLaunch, PROJECT_ROOT, RUNNABLES } from "@kalshi-data/lib/launch";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { rabbitRequirement, testAmqpUrl, testRequiring } from "../../lib/testing/requirements.ts";
import { startTcpProxy } from "../../lib/testing/tcp_proxy.ts";
import { until } from "../../lib/testing/wait.ts";

const SIM_NOW = BACKFILL_NOW;

function startSim(markets: number, extra: Parameters<typeof backfillSimulator>[1] = {}) {
  return backfillSimulator(markets, { seed: 11, groundTruth: { memory: false }, ...extra });
}

interface Worker {
  child: Deno.ChildProcess;
  stdout: Promise<string>;
  stderr: Promise<string>;
  /** Stderr lines so far (JSON log lines). */
  lines: string[];
}

function drain(stream: ReadableStream<Uint8Array>, lines?: string[]): Promise<string> {
  return (async () => {
    let text = "";
    let partial = "";
    const decoder = new TextDecoder();
    for await (const bytes of stream) {
      const chunk = decoder.decode(bytes, { stream: true });
      text += chunk;
      if (lines) {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop() ?? "";
        lines.push(...parts);
      }
    }
    return text;
  })();
}

function spawnWorker(
  db: TestDatabase,
  served: ServedSimulator,
  args: string[],
  env: Record<string, string> = {},
): Worker {
  const plan = planLaunch(RUNNABLES.worker_service, {
    args,
    env: {
      DATABASE_URL: db.url,
      KALSHI_REST_URL: served.restUrl,
      KALSHI_READS_PER_SECOND: "2000",
      WORKER_POLL_MS: "100",
      WORKER_PROGRESS_MS: "500",
      WORKER_RETRY_BASE_MS: "50",
      LOG_LEVEL: "info",
      ...env,
    },
  });
  if ("help" in plan) throw new Error("unexpected help");
  const child = new Deno.Command(plan.program, {
    args: plan.args,
    env: plan.env,
    cwd: PROJECT_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  return { child, stdout: drain(child.stdout), stderr: drain(child.stderr, lines), lines };
}

async function finish(worker: Worker): Promise<{ code: number; stdout: string; stderr: string }> {
  const [status, stdout, stderr] = await Promise.all([
    worker.child.status,
    worker.stdout,
    worker.stderr,
  ]);
  return { code: status.code, stdout, stderr };
}

function assertMatchesTruth(truth: Truth, stored: Truth & { duplicateTrades: number }) {
  assertEquals({
    candles: diffLines(truth.candles, stored.candles),
    trades: diffLines(truth.trades, stored.trades),
    duplicateTrades: stored.duplicateTrades,
  }, {
    candles: { missing: [], extra: [], missingCount: 0, extraCount: 0 },
    trades: { missing: [], extra: [], missingCount: 0, extraCount: 0 },
    duplicateTrades: 0,
  });
}

async function withSetup(
  markets: number,
  fn: (db: TestDatabase, served: ServedSimulator, truth: Truth) => Promise<void>,
  simOptions: Parameters<typeof backfillSimulator>[1] = {},
): Promise<void> {
  const served = startSim(markets, simOptions);
  const db = await createTestDatabase();
  try {
    const workload = simWorkload(served.sim.world, SIM_NOW);
    await insertJobs(db.sql, workload.jobs);
    await fn(db, served, workload.truth);
  } finally {
    await db.drop();
    await served.close();
  }
}

Deno.test("two worker processes drain the queue side by side, never sharing a job, and match the truth", async () => {
  await withSetup(120, async (db, served, truth) => {
    const a = spawnWorker(db, served, [
      "--until-empty",
      "--concurrency",
      "3",
      "--batch-size",
      "20",
    ]);
    const b = spawnWorker(db, served, [
      "--until-empty",
      "--concurrency",
      "3",
      "--batch-size",
      "20",
    ]);
    const [ra, rb] = await Promise.all([finish(a), finish(b)]);
    assertEquals([ra.code, rb.code], [0, 0], ra.stderr.slice(-2000) + rb.stderr.slice(-2000));
    assertOk(ra.stdout.includes("0 dead job(s)"), ra.stdout);
    // No lease ever expired or was taken twice: every job ran exactly once.
    const [{ n, multi }] = await db.sql`SELECT count(*)::int AS n,
      count(*) FILTER (WHERE attempts <> 1)::int AS multi FROM backfill_jobs
      WHERE state = 'succeeded'`;
    assertEquals(multi, 0);
    assertEquals(n, (await countJobs(db.sql)).succeeded);
    assertOk(ra.stderr.includes("backfill progress") && ra.stderr.includes("eta_seconds"));
    assertMatchesTruth(truth, await readStored(db.sql));
  });
});

Deno.test("a worker killed with SIGKILL mid-run is replaced and the run converges to the truth", async () => {
  await withSetup(120, async (db, served, truth) => {
    const first = spawnWorker(db, served, ["--concurrency", "2", "--batch-size", "10"], {
      WORKER_LEASE_MS: "1500",
    });
    await until(async () => (await countJobs(db.sql)).succeeded >= 30, "30 jobs done");
    first.child.kill("SIGKILL");
    const killed = await finish(first);
    assertOk(killed.code !== 0);
    const before = await countJobs(db.sql);
    assertOk(before.pending + before.running > 0, "the kill left work behind");
    const second = spawnWorker(db, served, ["--until-empty", "--fail-on-dead"]);
    const result = await finish(second);
    assertEquals(result.code, 0, result.stderr.slice(-3000));
    assertOk(result.stdout.includes("0 dead job(s)"), result.stdout);
    assertMatchesTruth(truth, await readStored(db.sql));
  });
});

Deno.test("SIGTERM stops claiming and releases leases within the shutdown deadline", async () => {
  // The simulator's slow answers end when the test ends, so it can close at once.
  const slow = new AbortController();
  let slowInFlight = 0;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms >= 60_000) slowInFlight++;
      const timer = setTimeout(resolve, ms);
      slow.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  await withSetup(60, async (db, served) => {
    const worker = spawnWorker(db, served, ["--concurrency", "2", "--batch-size", "5"], {
      SHUTDOWN_TIMEOUT_MS: "5000",
    });
    await until(async () => (await countJobs(db.sql)).succeeded >= 5, "first jobs done");
    // Slow answers keep requests in flight when the signal arrives.
    served.sim.setFaults({ slowResponses: { probability: 1, delayMs: 60_000 } });
    // A request held by the slow fault: its job's lease is open when the signal arrives (a job
    // leased before the fault could finish first and leave nothing to release).
    await until(() => slowInFlight > 0, "a request held by the slow fault");
    await until(async () => (await countJobs(db.sql)).running > 0, "jobs leased");
    worker.child.kill("SIGTERM");
    const result = await finish(worker);
    assertEquals(result.code, 0, result.stderr.slice(-2000));
    const after = await countJobs(db.sql);
    assertEquals(after.running, 0);
    assertOk(result.stderr.includes("released leases"), result.stderr.slice(-2000));
    const [{ n }] = await db.sql`SELECT count(*)::int AS n FROM backfill_jobs
      WHERE state = 'pending' AND attempts > 0`;
    assertEquals(n, 0);
    slow.abort();
  }, { sleep });
});

Deno.test("with a bad payload and --fail-on-dead the run exits 1 and names the dead jobs", async () => {
  await withSetup(5, async (db, served) => {
    await db.sql`INSERT INTO backfill_jobs (kind, job_key, payload)
      VALUES ('trades', 'trades:bad', '{"ticker": ""}')`;
    const result = await finish(
      spawnWorker(db, served, ["--until-empty", "--fail-on-dead"]),
    );
    assertEquals(result.code, 1, result.stderr.slice(-2000));
    assertOk(result.stdout.includes("1 dead job(s)"), result.stdout);
    assertOk(result.stderr.includes("invalid trades payload"));
  });
});

const rabbit = await rabbitRequirement();

Deno.test(
  testRequiring(
    rabbit,
    "with AMQP_URL set but the broker unreachable, workers poll and still finish",
    async () => {
      await withSetup(30, async (db, served, truth) => {
        const amqp = new URL(testAmqpUrl());
        const proxy = startTcpProxy({ hostname: amqp.hostname, port: Number(amqp.port || 5672) });
        proxy.cut();
        try {
          const result = await finish(
            spawnWorker(db, served, ["--until-empty"], { AMQP_URL: proxy.url(amqp.href) }),
          );
          assertEquals(result.code, 0, result.stderr.slice(-2000));
          assertOk(result.stderr.includes("broker unreachable"), result.stderr.slice(-2000));
          assertMatchesTruth(truth, await readStored(db.sql));
        } finally {
          await proxy.close();
        }
      });
    },
  ),
);

Deno.test(
  testRequiring(
    rabbit,
    "with the broker reachable the service consumes notifications under its launch permissions",
    async () => {
      await withSetup(10, async (db, served, truth) => {
        const worker = spawnWorker(db, served, ["--until-empty"], { AMQP_URL: testAmqpUrl() });
        const result = await finish(worker);
        assertEquals(result.code, 0, result.stderr.slice(-2000));
        assertOk(result.stderr.includes("broker connected"), result.stderr.slice(-2000));
        assertMatchesTruth(truth, await readStored(db.sql));
      });
    },
  ),
);
