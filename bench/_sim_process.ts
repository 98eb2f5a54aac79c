/** A simulator in its own process, through the launch step, so its CPU is not the benchmark's. */
import { planLaunch, PROJECT_ROOT, RUNNABLES } from "@kalshi-data/lib/launch";

/** A running simulator process. */
export interface SimProcess {
  /** REST base URL (…/trade-api/v2). */
  restUrl: string;
  /** WebSocket URL (…/trade-api/ws/v2). */
  wsUrl: string;
  /** SIGTERM, then waits for it to exit. */
  close(): Promise<void>;
}

/** Starts `deno task sim` with `args` (plus a free port) and resolves once it is listening. */
export async function startSimProcess(args: readonly string[]): Promise<SimProcess> {
  const plan = planLaunch(RUNNABLES.sim, {
    args: ["--port=0", "--log-level=info", ...args],
    env: {},
  });
  if ("help" in plan) throw new Error("unexpected help");
  const child = new Deno.Command(plan.program, {
    args: plan.args,
    env: plan.env,
    cwd: PROJECT_ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let listening: { rest_url: string; ws_url: string } | undefined;
  while (listening === undefined) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`simulator exited before listening: ${buffer}`);
    buffer += value;
    for (const line of buffer.split("\n").slice(0, -1)) {
      const entry = JSON.parse(line) as { message?: string; rest_url: string; ws_url: string };
      if (entry.message === "listening") listening = entry;
    }
    buffer = buffer.slice(buffer.lastIndexOf("\n") + 1);
  }
  // Keep draining its log so the pipe never fills.
  const drained = (async () => {
    while (!(await lines.read()).done) { /* discard */ }
  })();
  return {
    restUrl: listening.rest_url,
    wsUrl: listening.ws_url,
    async close() {
      child.kill("SIGTERM");
      await child.status;
      await drained.catch(() => {});
    },
  };
}
