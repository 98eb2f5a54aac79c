/**
 * Under `deno task start` the portal and every service's /healthz and /metrics listen on
 * 127.0.0.1 (a login node is shared) unless START_LISTEN_HOST / --listen-host says otherwise, and
 * the start summary says where they listen and which setting opens them. Real launcher, real
 * children; "reachable" means a TCP connection to that address is accepted (127.0.0.2 is another
 * loopback address: a socket bound to 127.0.0.1 refuses it, as it refuses the machine's network
 * addresses).
 */
import { createTestDatabase } from "../../lib/db/testing/database.ts";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { collectLines, jsonLine } from "../../lib/testing/lines.ts";

const main = new URL("./main.ts", import.meta.url).pathname;

/** `count` consecutive ports free on every interface. */
function freePorts(count: number): number {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const held: Deno.Listener[] = [];
    try {
      for (let i = 0; i < count; i++) {
        held.push(Deno.listen({ hostname: "0.0.0.0", port: base + i }));
      }
      return base;
    } catch {
      // taken: try another base
    } finally {
      for (const listener of held) listener.close();
    }
  }
}

async function accepts(hostname: string, port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname, port })).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return false;
    throw error;
  }
}

function runLauncher(databaseUrl: string, listenArgs: string[]) {
  const metricsBase = freePorts(2);
  const portalPort = freePorts(1);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-env",
      "--allow-read",
      "--allow-write=.data,/tmp",
      "--allow-run",
      "--allow-net=127.0.0.1,localhost",
      "--allow-sys",
      main,
      "--sim",
      "--sim-port",
      "0",
      "--sim-markets",
      "20",
      "--services",
      "rest_service,ws_service,portal",
      "--metrics-base-port",
      String(metricsBase),
      ...listenArgs,
    ],
    env: { DATABASE_URL: databaseUrl, PORT: String(portalPort), LOG_LEVEL: "info" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = collectLines(child.stderr);
  const logged = (service: string, message: string) =>
    lines.until((l) => {
      const j = jsonLine(l);
      return j?.service === service && j?.message === message;
    }, `${service} logs "${message}"`).then((l) => jsonLine(l)!);
  return {
    child,
    lines,
    metricsBase,
    portalPort,
    /** Waits for the summary and until every endpoint listens. */
    async ready() {
      const summary = await logged("launcher", "system running");
      const rest = await logged("rest_service", "health server listening");
      const ws = await logged("ws_service", "health server listening");
      const portal = await logged("portal", "listening");
      return { summary, urls: [rest.url, ws.url, portal.url] as string[] };
    },
    async stop() {
      child.kill("SIGTERM");
      const status = await child.status;
      await lines.ended;
      return status;
    },
  };
}

Deno.test("under start the portal and /healthz, /metrics listen on 127.0.0.1, and where --listen-host says", async (t) => {
  const db = await createTestDatabase({ migrate: false });
  try {
    for (
      const { args, here, notHere } of [
        { args: [], here: "127.0.0.1", notHere: "127.0.0.2" },
        { args: ["--listen-host", "127.0.0.2"], here: "127.0.0.2", notHere: "127.0.0.1" },
      ]
    ) {
      await t.step(`start ${args.join(" ") || "(default)"}: ${here} only`, async () => {
        const run = runLauncher(db.url, args);
        try {
          const { summary, urls } = await run.ready();
          const ports = [run.metricsBase, run.metricsBase + 1, run.portalPort];
          for (const port of ports) {
            assertOk(await accepts(here, port), `port ${port} refuses ${here}`);
            assertEquals(await accepts(notHere, port), false, `port ${port} accepts ${notHere}`);
          }
          for (const url of urls) assertEquals(new URL(url).hostname, here, url);
          assertEquals(summary.portal, `http://${here}:${run.portalPort}/`);
          assertEquals(
            (summary.metrics as Record<string, string>).rest_service,
            `http://${here}:${run.metricsBase}/metrics`,
          );
          const listen = String(summary.listen);
          assertOk(listen.includes(here) && listen.includes("START_LISTEN_HOST"), listen);
        } finally {
          const status = await run.stop();
          assertEquals(status.code, 0, run.lines.all.slice(-40).join("\n"));
        }
      });
    }
  } finally {
    await db.drop();
  }
});
