/**
 * `deno doc --lint` over every face `lib/deno.json` exports, as a ratchet: a module listed in
 * ./doc_lint_baseline.json may keep that many problems in its files (JSDoc still missing, or a
 * public type naming a private one, e.g. zod's or postgres.js's types: denoland/deno#27364),
 * every other module must be clean. More problems than the baseline fails (document what you
 * export); fewer asks for the baseline to be lowered, so it only goes down.
 *
 * Usage: deno run --allow-read --allow-run=deno lib/testing/doc_lint.ts
 * (`--update`, with --allow-write=lib/testing, rewrites the baseline).
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

const lib = fileURLToPath(new URL("../", import.meta.url));
const baselineUrl = new URL("./doc_lint_baseline.json", import.meta.url);

/** The faces: files named by lib/deno.json `exports`, relative to the repository root. */
function faces(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${lib}deno.json`));
  return Object.values(config.exports as Record<string, string>).map((file) =>
    `lib/${file.slice(2)}`
  );
}

/** Where a problem is: its module folder (lib/kalshi/sim/ apart from lib/kalshi/). */
function moduleOf(path: string): string {
  const match = /^lib\/(kalshi\/sim|[^/]+)\//.exec(path);
  return match ? `lib/${match[1]}/` : path;
}

/**
 * Problems per module folder of one `deno doc --lint` over all faces together (a type one face
 * exports is public for the others).
 */
async function problems(): Promise<Record<string, number>> {
  const { stdout, stderr } = await new Deno.Command("deno", {
    args: ["doc", "--lint", ...faces()],
    cwd: `${lib}..`,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^error\[[a-z-]+\][^\n]*\n\s*--> (.+?):\d+:\d+$/gm)) {
    const module = moduleOf(relative(`${lib}..`, match[1]));
    counts[module] = (counts[module] ?? 0) + 1;
  }
  return counts;
}

const USAGE = `Usage: deno task doc:lint [--update]

Runs deno doc --lint over every face lib/deno.json exports and compares the problems per module
with lib/testing/doc_lint_baseline.json: more fails (document what you export); fewer asks you to
lower the baseline: deno run --allow-read --allow-run=deno --allow-write=lib/testing
lib/testing/doc_lint.ts --update`;

if (import.meta.main && Deno.args.some((arg) => arg !== "--update")) {
  const wrong = Deno.args.find((arg) => arg !== "--update" && arg !== "--help");
  if (wrong) console.error(`doc lint: unknown argument ${wrong}`);
  console.log(USAGE);
  Deno.exit(wrong ? 2 : 0);
}

if (import.meta.main) {
  const baseline: Record<string, number> = JSON.parse(Deno.readTextFileSync(baselineUrl));
  const failures: string[] = [];
  const lower: string[] = [];
  const found = await problems();
  for (const module of new Set([...Object.keys(found), ...Object.keys(baseline)])) {
    const count = found[module] ?? 0;
    const allowed = baseline[module] ?? 0;
    if (count > allowed) {
      failures.push(
        `${module}: ${count} problems, ${allowed} allowed — run deno doc --lint on its face`,
      );
    } else if (count < allowed) {
      lower.push(`${module}: ${count} problems, baseline says ${allowed}`);
    }
  }
  if (Deno.args.includes("--update")) {
    const sorted = Object.fromEntries(Object.entries(found).sort(([a], [b]) => a.localeCompare(b)));
    Deno.writeTextFileSync(baselineUrl, JSON.stringify(sorted, null, 2) + "\n");
    console.log(`doc lint: baseline written (${Object.keys(found).length} modules with problems)`);
  } else if (failures.length > 0) {
    console.error(failures.join("\n"));
    Deno.exit(1);
  } else {
    if (lower.length > 0) {
      console.log(`doc lint: fewer problems, lower the baseline (--update):\n${lower.join("\n")}`);
    }
    const total = Object.values(found).reduce((a, b) => a + b, 0);
    console.log(`doc lint: ${faces().length} faces; ${total} known problems left in the baseline`);
  }
}
