/**
 * Keeps the repository self-contained: a fresh clone with nothing beside it must run and test.
 * No tracked source, script or configuration names a folder outside the repository.
 */
import { fileURLToPath } from "node:url";
import { assertEquals } from "./assert.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Places outside the clone: our machines' sibling folders, personal homes (App Service's /home/site is a deployment path). */
const OUTSIDE = [/\.\.\/shared\b/, /(^|[^\w.])\/work\//, /(^|[^\w.])\/home\/(?!site\/)[a-z]/];
const CHECKED = /\.(ts|tsx|js|json|sh|sbatch|def|ya?ml|sql|md|css)$|(^|\/)run$/;

async function trackedFiles(): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "-co", "--exclude-standard"],
    cwd: root,
  })
    .output();
  if (!out.success) {
    throw new Error(`git ls-files failed in ${root}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).split("\n").filter((f) => CHECKED.test(f));
}

Deno.test("no tracked file names a folder outside the repository", async () => {
  const offenders: string[] = [];
  for (const file of await trackedFiles()) {
    if (file === "lib/testing/self_contained_test.ts") continue;
    let text: string;
    try {
      text = await Deno.readTextFile(`${root}${file}`);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue; // deleted in the work tree
      throw e;
    }
    text.split("\n").forEach((line, i) => {
      if (OUTSIDE.some((re) => re.test(line))) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assertEquals(offenders, []);
});

Deno.test("the recorded Kalshi payloads are inside the repository, each named in SOURCES.md", async () => {
  const dir = `${root}lib/kalshi/testdata`;
  const sources = await Deno.readTextFile(`${dir}/SOURCES.md`);
  const missing: string[] = [];
  let count = 0;
  for (const sub of ["rest", "ws"]) {
    for await (const entry of Deno.readDir(`${dir}/${sub}`)) {
      count++;
      if (!sources.includes(`\`${entry.name}\``)) missing.push(`${sub}/${entry.name}`);
    }
  }
  assertEquals(missing, []);
  assertEquals(count > 0, true);
});
