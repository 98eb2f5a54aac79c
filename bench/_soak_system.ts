/**
 * The system a soak run drives: `deno task start --sim` as a child process group, its services
 * found by process ancestry (SIGKILL, RSS), and its ws_service metrics sampled.
 */
import { PROJECT_ROOT } from "@kalshi-data/lib/launch";
import { freePort } from "@kalshi-data/lib/runtime";

/** The services a soak run starts (and kills once each). */
export const SOAK_SERVICES = ["rest_service", "worker_service", "ws_service"] as const;

/** A running `deno task start --sim`. */
export interface SoakSystem {
  /** The simulator's base URL (control routes under /_sim/). */
  simUrl: string;
  /** ws_service's /metrics URL. */
  wsMetricsUrl: string;
  /** Resolves once every service process runs and the simulator answers. */
  running: Promise<void>;
  /** A service's current process (a descendant of the launcher), if it runs. */
  serviceProcess(service: string): Promise<ServiceProcess | undefined>;
  /** SIGTERM to the launcher; resolves with its exit code. */
  stop(): Promise<number>;
}

/** Options of {@linkcode startSoakSystem}. */
export interface SoakSystemOptions {
  databaseUrl: string;
  markets: number;
  groundTruthDir: string;
  spoolDir: string;
}

/** Starts the system on free ports; every child's log is drained (kept: the last 200 lines). */
export function startSoakSystem(options: SoakSystemOptions): SoakSystem {
  const simPort = freePort();
  const metricsBase = freePort();
  const child = new Deno.Command("deno", {
    args: [
      "task",
      "--quiet",
      "start",
      "--sim",
      `--sim-port=${simPort}`,
      `--sim-markets=${options.markets}`,
      `--metrics-base-port=${metricsBase}`,
      `--services=${SOAK_SERVICES.join(",")}`,
      "--log-level=warn",
    ],
    cwd: PROJECT_ROOT,
    env: {
      DATABASE_URL: options.databaseUrl,
      SIM_GROUND_TRUTH_DIR: options.groundTruthDir,
      WS_SPOOL_DIR: options.spoolDir,
      REST_AUDIT_INTERVAL_SECONDS: "60",
      LOG_LEVEL: "warn",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const running = Promise.withResolvers<void>();
  const tail: string[] = [];
  const drain = async (stream: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    let buffer = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      buffer += text;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 200) tail.shift();
      }
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  // The launcher logs "system running" at info, which --log-level=warn hides: watch for the
  // services' processes and the simulator's control route instead.
  const poll = setInterval(async () => {
    for (const service of SOAK_SERVICES) {
      if (!await descendantRunning(child.pid, `services/${service}/main.ts`)) return;
    }
    const status = await fetch(`http://127.0.0.1:${simPort}/_sim/status`).catch(() => undefined);
    await status?.body?.cancel();
    if (status?.ok) running.resolve();
  }, 1_000);
  running.promise.finally(() => clearInterval(poll)).catch(() => {});
  child.status.then((s) =>
    running.reject(new Error(`start exited (${s.code}): ${tail.join("\n")}`))
  );
  running.promise.catch(() => {});
  const wsIndex = SOAK_SERVICES.indexOf("ws_service");
  return {
    simUrl: `http://127.0.0.1:${simPort}`,
    wsMetricsUrl: `http://127.0.0.1:${metricsBase + wsIndex}/metrics`,
    running: running.promise,
    serviceProcess: (service) => descendantRunning(child.pid, `services/${service}/main.ts`),
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const status = await child.status;
      await drained;
      return status.code;
    },
  };
}

/** A process as `ps` lists it (reading /proc directly needs --allow-all in Deno). */
export interface ServiceProcess {
  pid: number;
  /** Resident set size, bytes. */
  rss: number;
}

async function processes(): Promise<(ServiceProcess & { ppid: number; args: string })[]> {
  const out = await new Deno.Command("ps", {
    args: ["-eo", "pid=,ppid=,rss=,args="],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    return m ? [{ pid: +m[1], ppid: +m[2], rss: +m[3] * 1024, args: m[4] }] : [];
  });
}

/** The newest process under `root` whose command line contains `script`. */
async function descendantRunning(
  root: number,
  script: string,
): Promise<ServiceProcess | undefined> {
  const all = await processes();
  const parent = new Map(all.map((p) => [p.pid, p.ppid]));
  const under = (pid: number) => {
    for (
      let p = parent.get(pid), hops = 0;
      p !== undefined && hops < 10;
      p = parent.get(p), hops++
    ) {
      if (p === root) return true;
    }
    return false;
  };
  const found = all.filter((p) => p.args.includes(script) && under(p.pid));
  return found.sort((a, b) => b.pid - a.pid)[0];
}

/**
 * One sample of a Prometheus text exposition, the first whose labels contain `labels` (undefined
 * when absent or unreachable).
 */
export async function gauge(url: string, name: string, labels = ""): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    const text = await response.text();
    const line = text.split("\n").find((l) =>
      (l.startsWith(name + " ") || l.startsWith(name + "{")) && l.includes(labels)
    );
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
  } catch {
    return undefined;
  }
}
