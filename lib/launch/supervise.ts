/** Supervision: run commands as child processes, restart crashed ones with backoff, merge their logs. */
import type { Logger } from "../log/mod.ts";
import type { LaunchPlan } from "./launch.ts";

/** One supervised child. */
export interface ChildSpec {
  /** Name in the merged log (`service` field). */
  name: string;
  /** The planned command (see `planLaunch`). */
  plan: LaunchPlan;
  /** Restart after a crash (default true); one-shot children (the migrator) set false. */
  restart?: boolean;
}

/** Options of {@linkcode supervise}. */
export interface SuperviseOptions {
  /** Writes merged log lines and supervision events. */
  logger: Logger;
  /** Stops every child (SIGTERM, then SIGKILL after `killAfterMs`). */
  signal: AbortSignal;
  /** Grace period between SIGTERM and SIGKILL (default 15 s). */
  killAfterMs?: number;
  /** First restart delay (default 1 s), doubled per consecutive crash up to `maxBackoffMs`. */
  backoffMs?: number;
  /** Longest restart delay (default 60 s). */
  maxBackoffMs?: number;
  /** Receives each child output line; defaults to stderr, JSON lines tagged with the child name. */
  sink?: (line: string) => void;
  /** A run that lasted this long resets the backoff (default 60 s). */
  healthyAfterMs?: number;
  /** Once this fires, children that exit are not restarted (they are still stopped by `signal`). */
  noRestart?: AbortSignal;
}

const encoder = new TextEncoder();

/** Tags a child's output line: JSON objects get `service` if missing; other text is wrapped. */
export function tagLine(name: string, line: string): string {
  try {
    const value = JSON.parse(line);
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return JSON.stringify({ service: name, ...value });
    }
  } catch { /* not JSON: wrap it */ }
  return JSON.stringify({
    time: new Date().toISOString(),
    level: "info",
    service: name,
    message: line,
  });
}

async function pipeLines(
  stream: ReadableStream<Uint8Array>,
  name: string,
  sink: (line: string) => void,
): Promise<void> {
  let buffered = "";
  for await (
    const chunk of stream.pipeThrough(
      new TextDecoderStream() as TransformStream<Uint8Array, string>,
    )
  ) {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim()) sink(tagLine(name, line));
    }
  }
  if (buffered.trim()) sink(tagLine(name, buffered));
}

/** Runs one child to completion, returning its exit code; SIGTERM on abort, SIGKILL after the grace. */
export async function runChild(
  spec: ChildSpec,
  options: SuperviseOptions,
): Promise<number> {
  const sink = options.sink ??
    ((line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n")));
  const child = new Deno.Command(spec.plan.program, {
    args: spec.plan.args,
    env: spec.plan.env,
    cwd: spec.plan.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const onAbort = () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, options.killAfterMs ?? 15_000);
    child.status.finally(() => clearTimeout(timer));
  };
  options.signal.addEventListener("abort", onAbort, { once: true });
  const pipes = Promise.all([
    pipeLines(child.stdout, spec.name, sink),
    pipeLines(child.stderr, spec.name, sink),
  ]);
  const status = await child.status;
  await pipes;
  options.signal.removeEventListener("abort", onAbort);
  return status.code;
}

/**
 * Keeps every child running until `signal` fires: a crashed child is restarted after a backoff
 * that doubles per consecutive crash; resolves once every child has exited.
 */
export async function supervise(
  children: readonly ChildSpec[],
  options: SuperviseOptions,
): Promise<void> {
  const { logger, signal } = options;
  const base = options.backoffMs ?? 1_000;
  const max = options.maxBackoffMs ?? 60_000;
  const healthyAfter = options.healthyAfterMs ?? 60_000;
  await Promise.all(children.map(async (spec) => {
    let delay = base;
    while (!signal.aborted) {
      const started = performance.now();
      logger.info("child starting", { child: spec.name });
      const code = await runChild(spec, options);
      if (signal.aborted || options.noRestart?.aborted) {
        logger.info("child stopped", { child: spec.name, code });
        return;
      }
      if (spec.restart === false) {
        logger.info("child finished", { child: spec.name, code });
        return;
      }
      if (performance.now() - started >= healthyAfter) delay = base;
      logger.warn("child exited; restarting after backoff", {
        child: spec.name,
        code,
        backoff_ms: delay,
      });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
      delay = Math.min(max, delay * 2);
    }
  }));
}
