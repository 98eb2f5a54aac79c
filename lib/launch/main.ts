/**
 * `deno run <launch flags> lib/launch/main.ts <command> [args]`: runs one command with the
 * least-privilege permissions its configuration implies. Used by `deno task` (through
 * ./entry.ts), the launcher and the SLURM scripts alike. `--dry-run` prints the child command
 * instead of running it. The settings are validated (and `--help` answered) before anything is
 * installed, started or connected. Secrets given as flags reach the child by environment, and the
 * dry run prints them masked (./secret_args.ts).
 */
import { join } from "node:path";
import { ConfigError } from "../config/mod.ts";
import { createLogger } from "../log/mod.ts";
import { exitOnEmbeddedError, startEmbeddedPostgresProcess } from "../db/embedded_mod.ts";
import { installDependencies } from "./install.ts";
import { type LaunchPlan, planLaunch, planPrepare, PROJECT_ROOT, runPlan } from "./launch.ts";
import { RUNNABLES } from "./registry.ts";
import { describeCommand } from "./secret_args.ts";

// The launch step's own options come before the command's name.
const LAUNCH_OPTIONS = ["--dry-run", "--prepare"];
let ownCount = 0;
while (LAUNCH_OPTIONS.includes(Deno.args[ownCount])) ownCount++;
const own = Deno.args.slice(0, ownCount);
const [name, ...args] = Deno.args.slice(own.length);
const dryRun = own.includes("--dry-run");
/** Run the command's prepare step first (`deno task portal`: the asset build), when it has one. */
const prepareFirst = own.includes("--prepare");
const runnable = name ? RUNNABLES[name] : undefined;
if (!runnable) {
  console.error(
    `launch: ${name ? `unknown command "${name}"` : "no command given"}; ` +
      `expected one of: ${Object.keys(RUNNABLES).join(", ")}.\n` +
      `Usage: launch [--dry-run] [--prepare] <command> [options]   (each command has --help)`,
  );
  Deno.exit(2);
}

const env = Deno.env.toObject();
const level = env.LOG_LEVEL === "debug" ? "debug" : "info";
const logger = createLogger("launch", { level });
let embedded: { url: string; stop(): Promise<void> } | undefined;
const namesDatabase = ["DATABASE_URL", ...(runnable.command.databaseAlternatives ?? [])]
  .some((name) => env[name]) || args.some((a) => /^--(portal-)?database-url/.test(a));
const useEmbedded = runnable.command.database === true && !namesDatabase;
// The embedded server's URL is known only once it runs: plan with a stand-in first.
const STAND_IN = "postgres://postgres@127.0.0.1:0/kalshi";

let code = 2;
try {
  const plan = planLaunch(runnable, {
    args,
    env: useEmbedded ? { ...env, DATABASE_URL: STAND_IN } : env,
  });
  if ("help" in plan) {
    console.log(plan.help);
    code = 0;
  } else if (dryRun) {
    // Secret values are masked: those moved from flags into the environment, and any other.
    const secrets = Object.values(runnable.command.settings).filter((s) => s.secret)
      .map((s) => env[s.env] ?? "");
    console.log(describeCommand(plan, plan.fromFlags ?? [], secrets));
    code = 0;
  } else {
    // The settings are valid: only now install node_modules/ (first run) and start a database.
    await installDependencies({
      ifMissing: true,
      onFirstInstall: () =>
        logger.info("installing the npm packages deno.lock names (deno install)"),
    }).catch((error: Error) => {
      console.error(`${name}: ${error.message}`);
      Deno.exit(1);
    });
    const prepare = prepareFirst ? planPrepare(runnable) : undefined;
    const prepared = prepare ? await runPlan(prepare) : 0;
    if (prepared !== 0) {
      console.error(
        `${name}: its prepare step (${runnable.prepare?.entry}) failed: exit ${prepared}`,
      );
      Deno.exit(prepared);
    }
    if (useEmbedded) {
      logger.info("DATABASE_URL is unset: using the embedded PostgreSQL in .data/postgres");
      embedded = await startEmbeddedPostgresProcess({
        dataDir: join(PROJECT_ROOT, ".data", "postgres"),
        logLevel: level,
      }).catch(exitOnEmbeddedError(name));
      env.DATABASE_URL = embedded.url;
    }
    code = await runPlan(useEmbedded ? planLaunch(runnable, { args, env }) as LaunchPlan : plan);
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`${runnable.command.name}: ${error.message}`);
  console.error(`Run it with --help for the list of settings.`);
} finally {
  await embedded?.stop();
}
Deno.exit(code);
