/** The whole system as one supervised tree: database, migrator, simulator, services. */
import type { Logger } from "../log/mod.ts";
import { freePort } from "../runtime/mod.ts";
import { planLaunch } from "./launch.ts";
import { RUNNABLES } from "./registry.ts";
import { type ChildSpec, runChild, supervise } from "./supervise.ts";

/** Services `start` runs by default, in start order (those not registered yet are left out). */
export const SYSTEM_SERVICES = [
  "rest_service",
  "worker_service",
  "ws_service",
  "rag_service",
  "portal",
] as const;

/** Options of {@linkcode runSystem}. */
export interface SystemOptions {
  /** Merged log and supervision events. */
  logger: Logger;
  /** Stops everything. */
  signal: AbortSignal;
  /** Environment given to every child (DATABASE_URL and Kalshi URLs included). */
  env: Record<string, string | undefined>;
  /** Services to run; empty means every registered one of {@linkcode SYSTEM_SERVICES}. */
  services: readonly string[];
  /** Simulator to start first, when asked for. */
  sim?: { port: number; markets: number };
  /** First metrics port; each service gets the next. */
  metricsBasePort: number;
  /** Receives child log lines (default stderr). */
  sink?: (line: string) => void;
  /** Called once everything is started, with what runs where. */
  onStarted?: (summary: Record<string, unknown>) => void;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.href;
  } catch {
    return "<unparseable>";
  }
}

function plan(name: string, args: string[], env: Record<string, string | undefined>) {
  const runnable = RUNNABLES[name];
  if (!runnable) throw new Error(`"${name}" is not a registered command`);
  const planned = planLaunch(runnable, { args, env });
  if ("help" in planned) throw new Error(`unexpected --help for ${name}`);
  return planned;
}

/**
 * Migrates, then runs the simulator (optionally) and the services under supervision until
 * `signal` fires. Throws when the migrator fails, before any service starts.
 */
export async function runSystem(options: SystemOptions): Promise<void> {
  const { logger, signal } = options;
  const env = { ...options.env };
  const chosen = options.services.length
    ? options.services
    : SYSTEM_SERVICES.filter((s) => s in RUNNABLES);
  for (const name of chosen) {
    if (!(name in RUNNABLES)) {
      throw new Error(
        `START_SERVICES names "${name}", which is not a service; expected some of ${
          SYSTEM_SERVICES.filter((s) => s in RUNNABLES).join(", ")
        }`,
      );
    }
  }
  const migrate = await runChild(
    { name: "migrator", plan: plan("migrator", [], env) },
    { logger, signal, sink: options.sink },
  );
  if (migrate !== 0) throw new Error(`the migrator failed (exit ${migrate}); nothing else started`);

  const children: ChildSpec[] = [];
  let simulator: { spec: ChildSpec; port: number } | undefined;
  const summary: Record<string, unknown> = {
    database: redact(env.DATABASE_URL ?? ""),
  };
  if (options.sim) {
    const port = options.sim.port || freePort();
    env.KALSHI_REST_URL = `http://127.0.0.1:${port}/trade-api/v2`;
    env.KALSHI_WS_URL = `ws://127.0.0.1:${port}/trade-api/ws/v2`;
    const simArgs = ["--port", String(port), "--markets", String(options.sim.markets)];
    simulator = { spec: { name: "sim", plan: plan("sim", simArgs, env) }, port };
    summary.simulator = env.KALSHI_REST_URL;
  }
  summary.kalshi_rest = env.KALSHI_REST_URL ?? "default (production)";
  const metrics: Record<string, string> = {};
  chosen.forEach((name, i) => {
    const port = options.metricsBasePort + i;
    const childEnv: Record<string, string | undefined> = {
      ...env,
      METRICS_PORT: env.METRICS_PORT ?? String(port),
    };
    const reads = readBudget(name, chosen, env.KALSHI_READS_PER_SECOND);
    if (reads) childEnv.KALSHI_READS_PER_SECOND = reads;
    if (name === "portal") {
      summary.portal = `http://127.0.0.1:${env.PORT ?? env.WEBSITES_PORT ?? "8000"}/`;
    } else {
      metrics[name] = `http://127.0.0.1:${childEnv.METRICS_PORT}/metrics`;
    }
    children.push({ name, plan: plan(name, [], childEnv) });
  });
  summary.metrics = metrics;
  summary.services = chosen;
  // The simulator comes up before the services and goes down after them, so no service meets a
  // missing exchange (a WebSocket outage would be recorded as a capture gap).
  const simStop = new AbortController();
  const simRunning = simulator
    ? supervise([simulator.spec], {
      logger,
      signal: simStop.signal,
      noRestart: signal,
      sink: options.sink,
    })
    : Promise.resolve();
  if (simulator) await untilListening(simulator.port, signal);
  const running = supervise(children, { logger, signal, sink: options.sink });
  options.onStarted?.(summary);
  await running;
  simStop.abort();
  await simRunning;
}

/**
 * Kalshi counts its read budget per account, not per process: under `start`,
 * `KALSHI_READS_PER_SECOND` (default 20, the Basic tier) is split among the services that read,
 * most of it to the backfill workers.
 */
const READ_SHARES: Record<string, number> = { rest_service: 3, worker_service: 6, ws_service: 1 };

/** The share of the account's read budget `name` gets, as a decimal string (undefined: none). */
export function readBudget(
  name: string,
  running: readonly string[],
  accountBudget = "20",
): string | undefined {
  const share = READ_SHARES[name];
  if (!share) return undefined;
  const total = running.reduce((sum, n) => sum + (READ_SHARES[n] ?? 0), 0);
  return (Number(accountBudget) * share / total).toFixed(2);
}

/** Resolves once 127.0.0.1:`port` accepts a connection (or `signal` fires). */
async function untilListening(port: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
