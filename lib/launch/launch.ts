/** The launch step: validate a command's settings, derive its permissions, run it as a child. */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, helpText, parseCommandLine } from "../config/mod.ts";
import { permissionFlags, planPermissions } from "./permissions.ts";
import type { Runnable } from "./registry.ts";
import { moveSecretFlags } from "./secret_args.ts";

/** The project root (two folders above this file). */
export const PROJECT_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** A planned child process. */
export interface LaunchPlan {
  /** Program to run (the current Deno). */
  program: string;
  /** Its arguments: `run`, permission flags, entry, the command's own arguments. */
  args: string[];
  /** Folder the child runs in. */
  cwd: string;
  /** Environment for the child, on top of the inherited one (it may read only its own variables). */
  env: Record<string, string>;
  /** Variables of `env` set from secret flags, which never reach the child's command line. */
  fromFlags?: string[];
}

/** Options of {@linkcode planLaunch}. */
export interface PlanOptions {
  /** The command's own arguments. */
  args: readonly string[];
  /** Environment the settings are read from (and extra variables given to the child). */
  env: Record<string, string | undefined>;
}

/**
 * Validates `runnable`'s settings and returns the child command with least-privilege flags;
 * throws {@linkcode ConfigError} before anything runs. `--help` returns `{ help }` instead.
 * Secret settings given as flags move into the child's environment (./secret_args.ts).
 */
export function planLaunch(
  runnable: Runnable,
  options: PlanOptions,
): LaunchPlan | { help: string } {
  const own = runnable.command.ownArguments === true;
  const parsed = parseCommandLine(runnable.command, {
    args: own ? [] : options.args,
    env: options.env,
  });
  if (parsed.help) return { help: helpText(runnable.command) };
  const plan = planPermissions(runnable.command, parsed.config);
  const env: Record<string, string> = {};
  for (const name of plan.env) {
    const value = options.env[name];
    if (value !== undefined) env[name] = value;
  }
  // Secrets given as flags reach the child by environment, never on its command line.
  const moved = own
    ? { args: [...options.args], env: {} }
    : moveSecretFlags(runnable.command, options.args);
  Object.assign(env, moved.env);
  return {
    program: Deno.execPath(),
    cwd: own ? options.env.INIT_CWD ?? PROJECT_ROOT : PROJECT_ROOT,
    args: [
      "run",
      "--no-prompt",
      `--config=${join(PROJECT_ROOT, "deno.json")}`,
      ...permissionFlags(plan),
      join(PROJECT_ROOT, runnable.entry),
      ...moved.args,
    ],
    env,
    fromFlags: Object.keys(moved.env),
  };
}

/** The plan of `runnable`'s prepare step (e.g. the portal's asset build), if it has one. */
export function planPrepare(runnable: Runnable): LaunchPlan | undefined {
  const step = runnable.prepare;
  if (!step) return undefined;
  return {
    program: Deno.execPath(),
    cwd: PROJECT_ROOT,
    args: [
      "run",
      "--no-prompt",
      `--config=${join(PROJECT_ROOT, "deno.json")}`,
      ...step.flags,
      join(PROJECT_ROOT, step.entry),
      ...step.args,
    ],
    env: {},
  };
}

/** Runs a planned child, forwarding SIGTERM/SIGINT, and resolves with its exit code. */
export async function runPlan(
  plan: LaunchPlan,
  options: { signal?: AbortSignal } = {},
): Promise<number> {
  const child = new Deno.Command(plan.program, {
    args: plan.args,
    env: plan.env,
    cwd: plan.cwd,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  let signalled = false;
  const forward = (sig: Deno.Signal) => () => {
    signalled = true;
    try {
      child.kill(sig);
    } catch { /* already gone */ }
  };
  const handlers = (["SIGTERM", "SIGINT"] as const).map((sig) => [sig, forward(sig)] as const);
  for (const [sig, handler] of handlers) Deno.addSignalListener(sig, handler);
  options.signal?.addEventListener("abort", forward("SIGTERM"), { once: true });
  const status = await child.status;
  // After a stop signal, repeats (SLURM signals the whole step) are absorbed until exit.
  if (!signalled) {
    for (const [sig, handler] of handlers) {
      Deno.removeSignalListener(sig, handler);
    }
  }
  return status.code;
}

export { ConfigError };
