/**
 * `deno task test`: runs the whole suite against PostgreSQL. With `DATABASE_URL` set, tests create
 * their databases on that server; without it, an embedded PostgreSQL is started for the run (in a
 * session of its own, so a Ctrl-C stops the tests before the database). The arguments are checked
 * by `deno test` itself, and `--help` answered, before anything is installed or started.
 */
import { join } from "node:path";
import { createLogger } from "../log/mod.ts";
import { exitOnEmbeddedError, startEmbeddedPostgresProcess } from "../db/embedded_mod.ts";
import { installDependencies, PROJECT_ROOT } from "../launch/mod.ts";

const logger = createLogger("test-harness");
const args = Deno.args;
/** The harness's own `deno test` flags; the caller's arguments follow them. */
const TEST_FLAGS = [
  "--parallel",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
  // DuckDB (lib/archive) is a native addon.
  "--allow-ffi",
];
if (args.includes("--help") || args.includes("-h")) {
  console.log(`Usage: deno task test [deno test arguments, e.g. a path or --filter]

Runs every *_test.ts with explicit permissions. DATABASE_URL (or TEST_DATABASE_URL) names the
PostgreSQL server tests create their own databases on; unset, an embedded PostgreSQL is started
under .data/test-postgres and stopped afterwards. KALSHI_STRICT_TESTS=1 turns every skip for a
missing RabbitMQ, Chromium or SLURM into a failure (CI sets it).`);
  Deno.exit(0);
}

// `deno test --help <arguments>` parses every argument (an unknown flag, a missing or wrong value
// fails) and, when they are fine, prints help and does nothing else; --help first, so that no
// flag takes it as its value.
const check = await new Deno.Command(Deno.execPath(), {
  args: ["test", "--help", ...TEST_FLAGS, ...args],
  cwd: PROJECT_ROOT,
  stdin: "null",
  stdout: "null",
  stderr: "piped",
  env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
}).output();
if (!check.success) {
  const said = new TextDecoder().decode(check.stderr).split("\n")
    .filter((line) => line.trim() && !/^\s*(Stack backtrace|\d+: )/.test(line)).join(" ");
  console.error(`test: deno test refuses the arguments ${JSON.stringify(args.join(" "))}: ${said}`);
  console.error("Run 'deno task test --help' for the usage; other flags are deno test's own.");
  Deno.exit(2);
}
await installDependencies().catch((error: Error) => {
  console.error(`test: ${error.message}`);
  Deno.exit(1);
});

let adminUrl = Deno.env.get("TEST_DATABASE_URL") ?? Deno.env.get("DATABASE_URL");
let embedded: { url: string; stop(): Promise<void> } | undefined;
if (!adminUrl) {
  logger.info("DATABASE_URL is unset: starting the embedded PostgreSQL for the tests");
  embedded = await startEmbeddedPostgresProcess({
    dataDir: join(PROJECT_ROOT, ".data", "test-postgres"),
  }).catch(exitOnEmbeddedError("test"));
  adminUrl = embedded.url;
}

const child = new Deno.Command(Deno.execPath(), {
  args: ["test", ...TEST_FLAGS, ...args],
  cwd: PROJECT_ROOT,
  env: { TEST_DATABASE_URL: adminUrl },
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const stopChild = () => child.kill("SIGTERM");
Deno.addSignalListener("SIGINT", stopChild);
Deno.addSignalListener("SIGTERM", stopChild);
const status = await child.status;
await embedded?.stop();
Deno.exit(status.code);
