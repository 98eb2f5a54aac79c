/**
 * Shared support of the end-to-end tests: a paused simulator "now", and services started as
 * subprocesses through the launch plan (so the derived permission flags are proven sufficient),
 * with their output collected.
 * @module
 */
import type { TestDatabase } from "../../lib/db/testing/database.ts";
import type { ServedSimulator } from "@kalshi-data/lib/kalshi/sim";
import { planLaunch, PROJECT_ROOT, RUNNABLES } from "@kalshi-data/lib/launch";
import { assertOk } from "../../lib/testing/assert.ts";

/** One day in milliseconds. */
export const DAY = 86_400_000;

/**
 * A paused simulator "now": a month before the wall clock the services run on, at 15:30 UTC.
 * Their scheduler therefore finds every market's whole life reachable, and the simulator serves
 * what it held at its paused time — a truth that cannot move, whatever the second the test runs.
 */
export function pausedSimNow(wallMs: number = Date.now()): number {
  return Math.floor(wallMs / DAY) * DAY - 30 * DAY + 15.5 * 3_600_000;
}

/** A running subprocess and its output. */
export interface Child {
  child: Deno.ChildProcess;
  /** All of stdout, once the process closed it. */
  stdout: Promise<string>;
  /** All of stderr, once the process closed it. */
  stderr: Promise<string>;
  /** The output read so far (grows while the process runs). */
  sofar: { stdout: string; stderr: string };
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  append: (text: string) => void,
): Promise<string> {
  let out = "";
  const decoder = new TextDecoder();
  for await (const bytes of stream) {
    const text = decoder.decode(bytes, { stream: true });
    out += text;
    append(text);
  }
  return out;
}

/** Starts runnable `name` through the launch plan, with only the environment it may read. */
export function spawnLaunched(
  name: keyof typeof RUNNABLES,
  options: { args: string[]; env: Record<string, string> },
): Child {
  const plan = planLaunch(RUNNABLES[name], options);
  if ("help" in plan) throw new Error("unexpected help");
  assertOk(!plan.args.includes("-A") && !plan.args.includes("--allow-all"), "least privilege");
  const child = new Deno.Command(plan.program, {
    args: plan.args,
    env: plan.env,
    cwd: PROJECT_ROOT,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const sofar = { stdout: "", stderr: "" };
  return {
    child,
    stdout: collect(child.stdout, (t) => sofar.stdout += t),
    stderr: collect(child.stderr, (t) => sofar.stderr += t),
    sofar,
  };
}

/** Starts a backfill service against `db` and the simulator, with fast test timings. */
export function spawnService(
  name: "rest_service" | "worker_service",
  options: {
    db: TestDatabase;
    served: ServedSimulator;
    args: string[];
    env?: Record<string, string>;
  },
): Child {
  return spawnLaunched(name, {
    args: options.args,
    env: {
      DATABASE_URL: options.db.url,
      KALSHI_REST_URL: options.served.restUrl,
      KALSHI_READS_PER_SECOND: "2000",
      WORKER_POLL_MS: "100",
      WORKER_PROGRESS_MS: "1000",
      WORKER_RETRY_BASE_MS: "50",
      LOG_LEVEL: "info",
      ...options.env,
    },
  });
}

/** Waits for the process to exit and returns its code and output. */
export async function finish(c: Child): Promise<{ code: number; stdout: string; stderr: string }> {
  const [status, stdout, stderr] = await Promise.all([c.child.status, c.stdout, c.stderr]);
  return { code: status.code, stdout, stderr };
}
