/**
 * rag_service's entry point as a subprocess started through the launch plan (so the derived
 * permission flags are proven sufficient): the interval loop's first pass, SIGTERM between passes
 * and in the middle of one, and a failed pass that does not end the loop. Every wait is for a log
 * line or database state, never a fixed sleep.
 */
import { type TestDatabase, withTestDatabase } from "../../lib/db/testing/database.ts";
import { planLaunch, RUNNABLES } from "@kalshi-data/lib/launch";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { intervalAsOf } from "./setup.ts";
import { postgresRunner } from "./sql_runner.ts";
import { startEmbeddingServer } from "./testing/openai_server.ts";
import { seedWorld } from "./testing/seed.ts";

const HOUR = 3_600_000;

type LogLine = { message: string; level: string } & Record<string, unknown>;

interface Service {
  child: Deno.ChildProcess;
  /** JSON log lines (stderr) so far. */
  lines: LogLine[];
  /** Resolves with the first log line (now or later) matching `message`; rejects on exit. */
  line(message: string): Promise<LogLine>;
  /** Waits for the exit; returns the code and every log line. */
  finish(): Promise<{ code: number; lines: LogLine[]; stderr: string }>;
}

function spawnService(db: TestDatabase, env: Record<string, string>): Service {
  const plan = planLaunch(RUNNABLES.rag_service, {
    args: [],
    env: { DATABASE_URL: db.url, LOG_LEVEL: "info", SHUTDOWN_TIMEOUT_MS: "5000", ...env },
  });
  if ("help" in plan) throw new Error("unexpected help");
  const child = new Deno.Command(plan.program, {
    args: plan.args,
    cwd: plan.cwd,
    env: plan.env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: LogLine[] = [];
  let text = "";
  let waiters: { message: string; resolve: (l: LogLine) => void; reject: (e: Error) => void }[] =
    [];
  const settle = () => {
    waiters = waiters.filter((w) => {
      const found = lines.find((l) => l.message === w.message);
      if (found) w.resolve(found);
      return !found;
    });
  };
  const drained = (async () => {
    const decoder = new TextDecoder();
    let partial = "";
    for await (const bytes of child.stderr) {
      const chunk = decoder.decode(bytes, { stream: true });
      text += chunk;
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const part of parts) {
        try {
          lines.push(JSON.parse(part));
        } catch {
          lines.push({ message: part, level: "raw" });
        }
      }
      settle();
    }
    for (const w of waiters) {
      w.reject(new Error(`the service exited without logging "${w.message}":\n${text}`));
    }
    waiters = [];
  })();
  return {
    child,
    lines,
    line(message) {
      const { promise, resolve, reject } = Promise.withResolvers<LogLine>();
      waiters.push({ message, resolve, reject });
      settle();
      return promise;
    },
    async finish() {
      const [status] = await Promise.all([child.status, drained]);
      return { code: status.code, lines, stderr: text };
    },
  };
}

/** A week: a pass's as_of is the start of the current interval, so passes stay a week apart. */
const INTERVAL_SECONDS = 604_800;

/**
 * Seeds a world whose latest markets are open at the as_of the interval loop will use now (wall
 * clock): listed every 2 h for 48 h each, the last one 8 h after that as_of.
 */
async function seedAroundNow(db: TestDatabase, markets: number): Promise<Date> {
  const asOf = intervalAsOf(new Date(), INTERVAL_SECONDS);
  const start = new Date(asOf.getTime() - (markets * 2 - 10) * HOUR);
  await seedWorld(postgresRunner(db.sql), { markets, start, open: 4 });
  return asOf;
}

/** Sends SIGTERM unless the service already exited (its exit is then what the test reports). */
function terminate(service: Service): void {
  try {
    service.child.kill("SIGTERM");
  } catch {
    // Already gone.
  }
}

function assertStoppedBySigterm(result: { code: number; lines: LogLine[]; stderr: string }) {
  assertEquals(result.code, 0, result.stderr.slice(-3000));
  const stopped = result.lines.find((l) => l.message === "stopped");
  // Exit 0 rather than 3: the program returned before the shutdown deadline passed.
  assertEquals([stopped?.code, stopped?.reason], [0, "SIGTERM"], result.stderr.slice(-3000));
  assertOk(!result.lines.some((l) => l.message === "shutdown deadline passed"));
  assertOk(!result.lines.some((l) => l.message === "service failed"), result.stderr.slice(-3000));
}

Deno.test("without --once the first pass writes predictions, the loop waits, and SIGTERM exits 0 within the deadline", async () => {
  await withTestDatabase(async (db) => {
    const expected = await seedAroundNow(db, 240);
    const service = spawnService(db, { RAG_INTERVAL_SECONDS: String(INTERVAL_SECONDS) });
    try {
      const finished = await service.line("run finished");
      await service.line("waiting for the next pass");
      const asOf = new Date(finished.asOf as string);
      assertEquals(asOf, expected); // the start of the current interval
      assertOk((finished.targets as number) > 10, `targets ${finished.targets}`);
      assertEquals([finished.written, finished.failed], [finished.targets, 0]);
      const [{ n, models }] = await db.sql<{ n: number; models: string[] }[]>`
        SELECT count(*)::int AS n, array_agg(DISTINCT model) AS models FROM predictions
        WHERE predicted_at = ${asOf}`;
      assertEquals([n, models], [finished.targets, ["rag-offline-v1"]]);
    } finally {
      terminate(service);
    }
    const result = await service.finish();
    assertStoppedBySigterm(result);
    // The signal arrived between passes: nothing more was started.
    assertEquals(result.lines.filter((l) => l.message === "run finished").length, 1);
  });
});

Deno.test("SIGTERM in the middle of a pass (an embedding request in flight) exits 0 within the deadline", async () => {
  const server = startEmbeddingServer([{ hang: true }], { dimensions: 8 });
  try {
    await withTestDatabase(async (db) => {
      await seedAroundNow(db, 30);
      const service = spawnService(db, {
        RAG_EMBEDDING_PROVIDER: "openai",
        RAG_EMBEDDING_URL: server.url.href,
        RAG_EMBEDDING_MODEL: "test-embed",
        RAG_EMBEDDING_DIMENSIONS: "8",
        // Far beyond the test: only the stop signal can end the hanging request.
        RAG_LLM_TIMEOUT_MS: "600000",
      });
      try {
        await server.waitForRequests(1);
      } finally {
        terminate(service);
      }
      const result = await service.finish();
      assertStoppedBySigterm(result);
      assertOk(!result.lines.some((l) => l.message === "pass failed"), "an abort is no failure");
      assertEquals(server.requests.length, 1); // no retry after the signal
      const [{ n }] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM predictions`;
      assertEquals(n, 0);
    });
  } finally {
    await server.close();
  }
});

Deno.test("a failed pass is logged and the loop keeps waiting for the next one instead of exiting", async () => {
  const server = startEmbeddingServer([{ status: 400 }], { dimensions: 8 });
  try {
    await withTestDatabase(async (db) => {
      await seedAroundNow(db, 30);
      const service = spawnService(db, {
        RAG_EMBEDDING_PROVIDER: "openai",
        RAG_EMBEDDING_URL: server.url.href,
        RAG_EMBEDDING_MODEL: "test-embed",
        RAG_EMBEDDING_DIMENSIONS: "8",
      });
      let failed: LogLine;
      try {
        failed = await service.line("pass failed");
        await service.line("waiting for the next pass");
      } finally {
        terminate(service);
      }
      assertEquals(failed.level, "error");
      assertOk(String(failed.error).includes("HTTP 400"), String(failed.error));
      const result = await service.finish();
      // Still running when the signal came: the failure did not end the process.
      assertStoppedBySigterm(result);
    });
  } finally {
    await server.close();
  }
});
