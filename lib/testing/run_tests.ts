/**
 * `deno task test`: runs the whole suite against PostgreSQL. With `DATABASE_URL` set, tests create
 * their databases on that server; without it, an embedded PostgreSQL is started for the run.
 */
import { join } from "node:path";
import { createLogger } from "../log/mod.ts";
import { startEmbeddedPostgres } from "../db/embedded.ts";
import { PROJECT_ROOT } from "../launch/launch.ts";

const logger = createLogger("test-harness");
const args = Deno.args;
if (args.includes("--help")) {
  console.log(`Usage: deno task test [deno test arguments, e.g. a path or --filter]

Runs every *_test.ts with explicit permissions. DATABASE_URL (or TEST_DATABASE_URL) names the
PostgreSQL server tests create their own databases on; unset, an embedded PostgreSQL is started
under .data/test-postgres and stopped afterwards. KALSHI_STRICT_TESTS=1 turns every skip for a
missing RabbitMQ, Chromium or SLURM into a failure (CI sets it).`);
  Deno.exit(0);
}

let adminUrl = Deno.env.get("TEST_DATABASE_URL") ?? Deno.env.get("DATABASE_URL");
let embedded: { url: string; stop(): Promise<void> } | undefined;
if (!adminUrl) {
  logger.info("DATABASE_URL is unset: starting the embedded PostgreSQL for the tests");
  embedded = await startEmbeddedPostgres({
    dataDir: join(PROJECT_ROOT, ".data", "test-postgres"),
    logger,
  });
  adminUrl = embedded.url;
}

const child = new Deno.Command(Deno.execPath(), {
  args: [
    "test",
    "--parallel",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-sys",
    ...args,
  ],
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
