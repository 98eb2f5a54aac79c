/**
 * The project's npm packages in `node_modules/`. deno.json sets `"nodeModulesDir": "manual"`, so
 * neither `deno task` nor `deno run` creates or changes `node_modules/` on its own (with `auto`,
 * `deno task` installs every package of deno.lock before it even looks at the task, so
 * `deno task start --help` wrote node_modules/). The entry points that need it — `start`, `test`
 * and the launch step — validate their arguments first and only then call
 * {@linkcode installDependencies}, which runs `deno install --frozen`: exactly deno.lock, with the
 * lifecycle scripts deno.json's `allowScripts` lists (the embedded PostgreSQL's library symlinks).
 *
 * Those entry points themselves run with `--node-modules-dir=none` (their npm packages come from
 * Deno's global cache), or, for the launch step, through `lib/launch/entry.ts`, so that `--help`
 * and a wrong flag work before node_modules/ exists.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** `deno install` failed: the message names the command, its output and what to do. */
export class InstallError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "InstallError";
  }
}

/** Whether `<root>/node_modules` exists (installed by `deno install`, or shipped in an image). */
export async function dependenciesInstalled(root: string = ROOT): Promise<boolean> {
  try {
    return (await Deno.stat(join(root, "node_modules"))).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Options of {@linkcode installDependencies}. */
export interface InstallOptions {
  /** Project root (default: this checkout). */
  root?: string;
  /** Do nothing when node_modules/ exists (e.g. a read-only image); default false. */
  ifMissing?: boolean;
  /** Told once before a first install, which downloads into Deno's cache when it is cold. */
  onFirstInstall?: () => void;
}

/**
 * Runs `deno install --frozen` in the project root (a no-op taking milliseconds when
 * node_modules/ already matches deno.lock). Throws {@linkcode InstallError} when it fails.
 */
export async function installDependencies(options: InstallOptions = {}): Promise<void> {
  const root = options.root ?? ROOT;
  const present = await dependenciesInstalled(root);
  if (present && options.ifMissing) return;
  if (!present) options.onFirstInstall?.();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--frozen", `--config=${join(root, "deno.json")}`],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (out.success) return;
  const said = new TextDecoder().decode(out.stderr).split("\n")
    .filter((line) => line.trim() && !/^\s*(Stack backtrace|\d+: )/.test(line)).slice(-8)
    .join(" | ");
  throw new InstallError(
    `\`deno install --frozen\` in ${root} failed (exit ${out.code}): ${said || "no output"}. ` +
      "It installs the npm packages deno.lock names into node_modules/; check that the npm " +
      "registry is reachable (or that Deno's cache holds them), and that deno.lock matches " +
      "deno.json (run `deno install` to update it).",
  );
}
