/**
 * The entry of `deno task launch` (so of every service task, the Apptainer apps and the App
 * Service startup). When node_modules/ exists — always in the image and the App Service artifact,
 * which carry it and no npm cache — it runs the launch step (./main.ts) in this very process.
 *
 * On a fresh clone node_modules/ does not exist yet, and with `"nodeModulesDir": "manual"` this
 * process could not load npm packages (zod) from it. Then the launch step runs as a child process
 * that takes them from Deno's global cache (`--node-modules-dir=none`): it validates the arguments
 * and answers `--help` before anything else, and installs node_modules/ only for a command it is
 * about to run (see ./install.ts).
 *
 * This module imports no npm package (only `node:` built-ins), so it starts without node_modules/.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The permission flags of the `launch` task in deno.json (a test keeps the two equal). */
export const LAUNCH_FLAGS: readonly string[] = [
  "--allow-env",
  "--allow-read",
  "--allow-write=.data,/tmp",
  "--allow-run",
  "--allow-net=127.0.0.1,localhost",
  "--allow-sys",
];

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = new URL("./main.ts", import.meta.url);

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Runs the launch step with the npm packages of Deno's global cache; resolves with its exit code. */
async function launchWithoutNodeModules(args: readonly string[]): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--node-modules-dir=none",
      // Deno's one-time notice that the global cache runs no lifecycle scripts would only mislead
      // here: the launch step installs node_modules/ (with them) before it runs a command.
      "--quiet",
      "--no-prompt",
      `--config=${join(ROOT, "deno.json")}`,
      ...LAUNCH_FLAGS,
      fileURLToPath(MAIN),
      ...args,
    ],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // A terminal's Ctrl-C reaches the child too; SIGTERM from a scheduler reaches only this process.
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => {
      try {
        child.kill(sig);
      } catch { /* already gone */ }
    });
  }
  return (await child.status).code;
}

if (import.meta.main) {
  if (await exists(join(ROOT, "node_modules"))) {
    // A computed specifier: Deno loads (and resolves the npm packages of) main.ts only here.
    await import(MAIN.href);
  } else {
    Deno.exit(await launchWithoutNodeModules(Deno.args));
  }
}
