/**
 * Test helpers for first-run behaviour: a copy of this checkout as a fresh clone has it (the files
 * git tracks or would track — no node_modules/, .data/, .spool/ or build output), and `deno task`
 * run there with a fresh shell's environment.
 * @module
 */
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../launch/mod.ts";

/** A fresh copy of the checkout in a temporary folder, removed on dispose. */
export interface FreshCopy extends AsyncDisposable {
  /** The copy's root folder (mode 0755: the embedded PostgreSQL's `postgres` account may enter). */
  dir: string;
}

/** Copies every file `git ls-files -co --exclude-standard` names into a new temporary folder. */
export async function freshCopy(): Promise<FreshCopy> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "-co", "--exclude-standard"],
    cwd: PROJECT_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!listed.success) {
    throw new Error(
      `git ls-files failed in ${PROJECT_ROOT}: ${new TextDecoder().decode(listed.stderr)}`,
    );
  }
  const files = new TextDecoder().decode(listed.stdout).split("\0").filter(Boolean);
  const dir = await Deno.makeTempDir({ prefix: "kalshi-fresh-" });
  await Deno.chmod(dir, 0o755);
  for (const file of files) {
    await Deno.mkdir(dirname(join(dir, file)), { recursive: true });
    try {
      await Deno.copyFile(join(PROJECT_ROOT, file), join(dir, file));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // deleted in the work tree
    }
  }
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * The environment of a fresh shell: PATH (this Deno first), HOME and Deno's cache (shared with
 * this run, so nothing is downloaded again), and `extra`. Nothing else of ours leaks in
 * (DATABASE_URL in particular).
 */
export function freshShellEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${dirname(Deno.execPath())}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
    HOME: Deno.env.get("HOME") ?? "/tmp",
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    LANG: Deno.env.get("LANG") ?? "C.UTF-8",
  };
  for (const name of ["DENO_DIR", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR"]) {
    const value = Deno.env.get(name);
    if (value) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
