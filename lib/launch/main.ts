/**
 * `deno run <launch flags> lib/launch/main.ts <command> [args]`: runs one command with the
 * least-privilege permissions its configuration implies. Used by `deno task`, the launcher and
 * the SLURM scripts alike. `--dry-run` prints the child command instead of running it.
 */
import { join } from "node:path";
import { ConfigError } from "../config/mod.ts";
import { createLogger } from "../log/mod.ts";
import { startEmbeddedPostgres } from "../db/embedded.ts";
import { planLaunch, PROJECT_ROOT, runPlan } from "./launch.ts";
import { RUNNABLES } from "./registry.ts";

const [first, ...rest] = Deno.args;
const dryRun = first === "--dry-run";
const [name, ...args] = dryRun ? rest : [first, ...rest];
const runnable = name ? RUNNABLES[name] : undefined;
if (!runnable) {
  console.error(
    `launch: ${name ? `unknown command "${name}"` : "no command given"}; ` +
      `expected one of: ${Object.keys(RUNNABLES).join(", ")}.\n` +
      `Usage: launch [--dry-run] <command> [options]   (each command has --help)`,
  );
  Deno.exit(2);
}

const env = Deno.env.toObject();
const logger = createLogger("launch", { level: env.LOG_LEVEL === "debug" ? "debug" : "info" });
let embedded: { url: string; stop(): Promise<void> } | undefined;
const wantsHelp = args.includes("--help");
const namesDatabase = ["DATABASE_URL", ...(runnable.command.databaseAlternatives ?? [])]
  .some((name) => env[name]) || args.some((a) => /^--(portal-)?database-url/.test(a));
if (runnable.command.database && !namesDatabase && !wantsHelp) {
  if (dryRun) {
    env.DATABASE_URL = "postgres://postgres@127.0.0.1:0/kalshi";
  } else {
    logger.info("DATABASE_URL is unset: using the embedded PostgreSQL in .data/postgres");
    embedded = await startEmbeddedPostgres({
      dataDir: join(PROJECT_ROOT, ".data", "postgres"),
      logger,
    });
    env.DATABASE_URL = embedded.url;
  }
}

let code = 2;
try {
  const plan = planLaunch(runnable, { args, env });
  if ("help" in plan) {
    console.log(plan.help);
    code = 0;
  } else if (dryRun) {
    console.log(
      [plan.program, ...plan.args].map((a) => /[\s"']/.test(a) ? JSON.stringify(a) : a).join(" "),
    );
    code = 0;
  } else {
    code = await runPlan(plan);
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`${runnable.command.name}: ${error.message}`);
  console.error(`Run it with --help for the list of settings.`);
} finally {
  await embedded?.stop();
}
Deno.exit(code);
