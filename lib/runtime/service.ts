/**
 * The service runtime: an abort signal on SIGTERM/SIGINT, a bounded shutdown, and an HTTP port
 * with /healthz (liveness: the process answers), /readyz (readiness: the service does its job,
 * see ./readiness.ts) and Prometheus /metrics.
 * @module
 */
import type { Logger } from "../log/mod.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createReadiness, type Readiness } from "./readiness.ts";

/** Options of {@linkcode runService}. */
export interface ServiceOptions {
  /** Service name, used in logs and metrics. */
  name: string;
  /** Where the runtime logs start, stop and errors. */
  logger: Logger;
  /** Port for /healthz and /metrics; `undefined` serves nothing, 0 picks a free port. */
  port?: number;
  /** Address to listen on; defaults to 0.0.0.0. */
  hostname?: string;
  /** How long the program may take to stop after the signal fires (default 10 s). */
  shutdownMs?: number;
  /** An outside signal that also stops the service (tests use it instead of OS signals). */
  signal?: AbortSignal;
  /** Listens to SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
  /** Registry to expose; a fresh one by default. */
  metrics?: Metrics;
  /** Readiness checks are also evaluated this often, for the metrics (default 15 000 ms; 0 off). */
  readinessIntervalMs?: number;
}

/** What a running program receives from the runtime. */
export interface ServiceContext {
  /** Fires when the service must stop. */
  signal: AbortSignal;
  /** The service's metrics registry, rendered on /metrics. */
  metrics: Metrics;
  /** Address of the health server when one was asked for. */
  healthUrl?: URL;
  /** Marks the service healthy or not (/healthz answers 200 or 503). */
  setHealthy(healthy: boolean, detail?: string): void;
  /** The service's readiness checks, answered on /readyz. */
  readiness: Readiness;
}

/** How a run ended. */
export interface ServiceOutcome {
  /** 0 clean, 1 the program failed, 3 the shutdown deadline passed. */
  code: number;
  /** Why the run stopped. */
  reason: string;
}

/**
 * Runs `program` until it returns or a stop signal arrives; on a signal the program gets
 * `shutdownMs` to finish (flush buffers, release leases) before the run is declared stuck.
 */
export async function runService(
  options: ServiceOptions,
  program: (context: ServiceContext) => Promise<void>,
): Promise<ServiceOutcome> {
  const { logger, name } = options;
  const shutdownMs = options.shutdownMs ?? 10_000;
  const controller = new AbortController();
  const metrics = options.metrics ?? createMetrics();
  const readiness = createReadiness({ metrics });
  let healthy = true;
  let healthDetail = "ok";
  let stopReason = "finished";
  let signalled = false;
  const stop = (reason: string) => {
    if (controller.signal.aborted) return;
    stopReason = reason;
    readiness.stopping();
    logger.info("stopping", { reason, deadline_ms: shutdownMs });
    controller.abort(new Error(`service stopping: ${reason}`));
  };
  const signals: Deno.Signal[] = options.handleSignals === false ? [] : ["SIGTERM", "SIGINT"];
  const handlers = signals.map((sig) => {
    const handler = () => {
      signalled = true;
      stop(sig);
    };
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });
  options.signal?.addEventListener("abort", () => stop("abort signal"), { once: true });
  if (options.signal?.aborted) stop("abort signal");

  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  let healthUrl: URL | undefined;
  if (options.port !== undefined) {
    const started = Promise.withResolvers<Deno.NetAddr>();
    server = Deno.serve({
      port: options.port,
      hostname: options.hostname ?? "0.0.0.0",
      onListen: (addr) => started.resolve(addr),
    }, async (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/healthz") {
        return Response.json({ service: name, healthy, detail: healthDetail }, {
          status: healthy ? 200 : 503,
        });
      }
      if (path === "/readyz") {
        const report = await readiness.evaluate();
        const reasons = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.reason}`);
        return Response.json({ service: name, ...report, reasons }, {
          status: report.ready ? 200 : 503,
        });
      }
      if (path === "/metrics") {
        return new Response(await metrics.render(), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      }
      return new Response("not found: try /healthz, /readyz or /metrics\n", { status: 404 });
    });
    const addr = await started.promise;
    const host = addr.hostname === "0.0.0.0" ? "127.0.0.1" : addr.hostname;
    healthUrl = new URL(`http://${host}:${addr.port}/`);
    logger.info("health server listening", { url: healthUrl.href });
  }

  const context: ServiceContext = {
    signal: controller.signal,
    metrics,
    healthUrl,
    setHealthy(value, detail) {
      healthy = value;
      healthDetail = detail ?? (value ? "ok" : "unhealthy");
    },
    readiness,
  };
  const readinessEvery = options.readinessIntervalMs ?? 15_000;
  const readinessTimer = readinessEvery > 0
    ? setInterval(() => void readiness.evaluate(), readinessEvery)
    : undefined;
  if (readinessTimer !== undefined) Deno.unrefTimer(readinessTimer);
  const running = program(context).then(
    () => ({ code: 0, reason: stopReason }),
    (error: unknown) => {
      if (controller.signal.aborted && (error as Error)?.name === "AbortError") {
        return { code: 0, reason: stopReason };
      }
      logger.error("service failed", { error });
      return { code: 1, reason: `failed: ${(error as Error)?.message ?? String(error)}` };
    },
  );
  const deadline = new Promise<ServiceOutcome>((resolve) => {
    controller.signal.addEventListener("abort", () => {
      const timer = setTimeout(
        () => resolve({ code: 3, reason: `shutdown deadline of ${shutdownMs} ms passed` }),
        shutdownMs,
      );
      running.finally(() => clearTimeout(timer));
    }, { once: true });
  });
  const outcome = await Promise.race([running, deadline]);
  clearInterval(readinessTimer);
  // Once a stop signal arrived, keep absorbing repeats until the process exits: SLURM's scancel
  // signals every process of a step, and launchers forward the same signal again.
  if (!signalled) {
    for (const [sig, handler] of handlers) {
      Deno.removeSignalListener(sig, handler);
    }
  }
  await server?.shutdown();
  if (outcome.code === 3) logger.error("shutdown deadline passed", { deadline_ms: shutdownMs });
  logger.info("stopped", { code: outcome.code, reason: outcome.reason });
  return outcome;
}
