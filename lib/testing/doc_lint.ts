/**
 * `deno doc --lint` over every face `lib/deno.json` exports, together (a type one face exports is
 * public for the others): every export documented, explicitly typed, and naming no private type
 * (a public signature never names zod's, postgres.js's or DuckDB's types). Any problem fails.
 *
 * Usage: deno run --allow-read --allow-run=deno lib/testing/doc_lint.ts
 */
import { fileURLToPath } from "node:url";

const lib = fileURLToPath(new URL("../", import.meta.url));

/** The faces: files named by lib/deno.json `exports`, relative to the repository root. */
function faces(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${lib}deno.json`));
  return Object.values(config.exports as Record<string, string>).map((file) =>
    `lib/${file.slice(2)}`
  );
}

const USAGE = `Usage: deno task doc:lint

Runs deno doc --lint over every face lib/deno.json exports; any problem (an export without JSDoc
or an explicit type, a public type naming a private one) fails with deno doc's own report.`;

if (import.meta.main) {
  if (Deno.args.length > 0) {
    const wrong = Deno.args.find((arg) => arg !== "--help");
    if (wrong) console.error(`doc lint: unknown argument ${wrong}`);
    console.log(USAGE);
    Deno.exit(wrong ? 2 : 0);
  }
  const list = faces();
  const { success, stdout, stderr } = await new Deno.Command("deno", {
    args: ["doc", "--lint", ...list],
    cwd: `${lib}..`,
  }).output();
  if (!success) {
    await Deno.stdout.write(stdout);
    await Deno.stderr.write(stderr);
    console.error(
      `doc lint: deno doc --lint found problems in the faces above (${list.length} faces)`,
    );
    Deno.exit(1);
  }
  console.log(`doc lint: ${list.length} faces, no problems`);
}
