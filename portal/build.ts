/**
 * `deno task portal:build [--if-stale] [--out <dir>]`: bundles the browser entry (client.ts and
 * the islands it imports) with `deno bundle --platform browser --minify`, copies the stylesheet,
 * names both by content hash and writes manifest.json into portal/static/build/. With
 * `--if-stale` it does nothing when the manifest is newer than every portal source file.
 * @module
 */
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createAssets } from "./assets.ts";

const PORTAL_DIR = fileURLToPath(new URL(".", import.meta.url));
const PROJECT_ROOT = join(PORTAL_DIR, "..");

/** Options of {@linkcode buildAssets}. */
export interface BuildOptions {
  /** Output folder; default portal/static/build. */
  outDir?: string;
  /** Only build when a source is newer than the manifest. */
  ifStale?: boolean;
}

/** What a build did. */
export interface BuildResult {
  built: boolean;
  outDir: string;
  manifest: Record<string, string>;
}

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      if (["build", "testing"].includes(entry.name)) continue;
      newest = Math.max(newest, await newestSource(path));
    } else if (/\.(tsx?|css)$/.test(entry.name) && !entry.name.endsWith("_test.ts")) {
      newest = Math.max(newest, (await Deno.stat(path)).mtime?.getTime() ?? 0);
    }
  }
  return newest;
}

/** Whether `outDir` lacks a manifest older than the newest portal source (or deno.json/lock). */
export async function isStale(outDir: string): Promise<boolean> {
  let built: number;
  try {
    built = (await Deno.stat(join(outDir, "manifest.json"))).mtime?.getTime() ?? 0;
  } catch {
    return true;
  }
  let newest = await newestSource(PORTAL_DIR);
  for (const file of ["deno.json", "deno.lock"]) {
    newest = Math.max(newest, (await Deno.stat(join(PROJECT_ROOT, file))).mtime?.getTime() ?? 0);
  }
  return newest > built;
}

/** A failed bundle step, with the bundler's output. */
export class BuildError extends Error {
  /** The bundler's stderr. */
  readonly output: string;
  /** Creates the error. */
  constructor(message: string, output: string) {
    super(`${message}\n${output}`);
    this.name = "BuildError";
    this.output = output;
  }
}

/** Bundles and writes the assets. */
export async function buildAssets(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = options.outDir ?? join(PORTAL_DIR, "static", "build");
  if (options.ifStale && !(await isStale(outDir))) {
    const manifest = JSON.parse(await Deno.readTextFile(join(outDir, "manifest.json")));
    return { built: false, outDir, manifest };
  }
  // The scratch folder sits inside the output folder: the task may write nowhere else.
  await Deno.mkdir(outDir, { recursive: true });
  const tmp = join(outDir, `.tmp-${crypto.randomUUID()}`);
  await Deno.mkdir(tmp);
  try {
    const bundled = join(tmp, "client.js");
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "browser",
        "--minify",
        "-o",
        bundled,
        relative(PROJECT_ROOT, join(PORTAL_DIR, "client.ts")),
      ],
      cwd: PROJECT_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new BuildError("deno bundle failed", new TextDecoder().decode(result.stderr));
    }
    const { manifest, files } = await createAssets({
      "client.js": await Deno.readFile(bundled),
      "styles.css": await Deno.readFile(join(PORTAL_DIR, "static", "styles.css")),
    });
    const keep = new Set([...files.map((f) => f.file), "manifest.json"]);
    for await (const entry of Deno.readDir(outDir)) {
      if (entry.isFile && !keep.has(entry.name)) await Deno.remove(join(outDir, entry.name));
      if (entry.isDirectory && entry.name.startsWith(".tmp-") && join(outDir, entry.name) !== tmp) {
        await Deno.remove(join(outDir, entry.name), { recursive: true });
      }
    }
    for (const f of files) await Deno.writeFile(join(outDir, f.file), f.body);
    // The manifest last: its time stamp marks a complete build.
    await Deno.writeTextFile(
      join(outDir, "manifest.json"),
      JSON.stringify(manifest, null, 2) + "\n",
    );
    return { built: true, outDir, manifest };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "if-stale": { type: "boolean" },
      out: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(
      "Usage: deno task portal:build [--if-stale] [--out <dir>]\n\n" +
        "Bundles the portal's islands and stylesheet into portal/static/build/ (hashed names).",
    );
    Deno.exit(0);
  }
  try {
    const result = await buildAssets({ outDir: values.out, ifStale: values["if-stale"] });
    console.error(
      result.built
        ? `portal:build wrote ${Object.values(result.manifest).join(", ")} to ${result.outDir}`
        : `portal:build: ${result.outDir} is up to date`,
    );
  } catch (error) {
    console.error(`portal:build: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
