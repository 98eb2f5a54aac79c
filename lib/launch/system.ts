/** The whole system as one supervised tree: database, migrator, simulator, services. */
import { ConfigError } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import { freePort } from "../runtime/mod.ts";
import { planLaunch, planPrepare } from "./launch.ts";
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
  /**
   * Address the portal and every service's /healthz and /metrics listen on (START_LISTEN_HOST),
   * given to each child as METRICS_HOST and PORTAL_HOSTNAME; default 127.0.0.1.
   */
  listenHost?: string;
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
 * The services `start` runs: `services`, or every registered one of {@linkcode SYSTEM_SERVICES}
 * when empty. Throws {@linkcode ConfigError} (START_SERVICES) for a name that is not a service.
 */
export function chosenServices(services: readonly string[]): readonly string[] {
  const known = SYSTEM_SERVICES.filter((s) => s in RUNNABLES);
  const unknown = services.filter((name) => !known.includes(name as typeof known[number]));
  if (unknown.length) {
    throw new ConfigError(
      "START_SERVICES (--services)",
      services.join(","),
      `some of ${known.join(", ")} (${unknown.join(", ")} is not a service)`,
    );
  }
  return services.length ? services : known;
}

/** The URL host for an address: unspecified (every interface) becomes loopback; IPv6 in brackets. */
function urlHost(address: string): string {
  const host = address === "0.0.0.0" ? "127.0.0.1" : address === "::" ? "::1" : address;
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Migrates, then runs the simulator (optionally) and the services under supervision until
 * `signal` fires. Throws when the migrator fails, before any service starts.
 */
export async function runSystem(options: SystemOptions): Promise<void> {
  const { logger, signal } = options;
  const env = { ...options.env };
  const chosen = chosenServices(options.services);
  const listenHost = options.listenHost ?? "127.0.0.1";
  const migrate = await runChild(
    { name: "migrator", plan: plan("migrator", [], env) },
    { logger, signal, sink: options.sink },
  );
  if (migrate !== 0) throw new Error(`the migrator failed (exit ${migrate}); nothing else started`);
  for (const name of chosen) {
    const prepare = planPrepare(RUNNABLES[name]);
    if (!prepare || signal.aborted) continue;
    const step = `${name}:prepare`;
    const code = await runChild({ name: step, plan: prepare }, {
      logger,
      signal,
      sink: options.sink,
    });
    if (code !== 0) throw new Error(`${step} failed (exit ${code}); no service started`);
  }

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
  const host = urlHost(listenHost);
  chosen.forEach((name, i) => {
    const port = options.metricsBasePort + i;
    const childEnv: Record<string, string | undefined> = {
      ...env,
      METRICS_PORT: env.METRICS_PORT ?? String(port),
      // The launcher's listen address wins over a METRICS_HOST/PORTAL_HOSTNAME left in the
      // environment: nothing under `start` opens to the network unless START_LISTEN_HOST says so.
      METRICS_HOST: listenHost,
      PORTAL_HOSTNAME: listenHost,
    };
    const reads = readBudget(name, chosen, env.KALSHI_READS_PER_SECOND);
    if (reads) childEnv.KALSHI_READS_PER_SECOND = reads;
    if (name === "portal") {
      summary.portal = `http://${host}:${env.WEBSITES_PORT ?? env.PORT ?? "8000"}/`;
    } else {
      metrics[name] = `http://${host}:${childEnv.METRICS_PORT}/metrics`;
    }
    children.push({ name, plan: plan(name, [], childEnv) });
  });
  summary.metrics = metrics;
  summary.listen = listenSummary(listenHost);
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

/** Where the endpoints listen, and the setting that changes it, for the start summary. */
export function listenSummary(listenHost: string): string {
  const loopback = listenHost === "127.0.0.1" || listenHost === "::1";
  const every = listenHost === "0.0.0.0" || listenHost === "::";
  const where = loopback
    ? "this machine only"
    : every
    ? "every network interface: other machines can reach them"
    : "that address only";
  const how = loopback
    ? "START_LISTEN_HOST (--listen-host), e.g. 0.0.0.0, opens them to other machines"
    : "START_LISTEN_HOST (--listen-host) 127.0.0.1 keeps them on this machine";
  return `the portal and /healthz, /metrics listen on ${listenHost} (${where}); ${how}`;
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
