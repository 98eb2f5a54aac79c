/** docs/ARCHITECTURE.md is a map of the code: every path it names exists, and it names every module. */
import { fileURLToPath } from "node:url";
import { assertEquals, assertOk } from "../lib/testing/assert.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const map = Deno.readTextFileSync(new URL("./ARCHITECTURE.md", import.meta.url));
const TOP = /^(lib|services|portal|migrations|tests|bench|docs|slurm|apptainer|\.github|\.ci)\//;

/** Repository paths named in code spans: `lib/capture/store.ts`, `portal/routes/`, … */
function namedPaths(text: string): string[] {
  const spans = [...text.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]);
  return [...new Set(spans.filter((span) => TOP.test(span)))];
}

function exists(path: string): boolean {
  try {
    Deno.statSync(root + path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("every repository path docs/ARCHITECTURE.md names exists", () => {
  const paths = namedPaths(map);
  assertOk(paths.includes("lib/capture/store.ts"), "the map names the files a tick goes through");
  assertEquals(paths.filter((path) => !exists(path)), []);
});

Deno.test("docs/ARCHITECTURE.md names every lib module and every service folder", () => {
  const paths = new Set(namedPaths(map));
  const folders = ["lib", "services"].flatMap((top) =>
    [...Deno.readDirSync(root + top)].filter((e) => e.isDirectory).map((e) => `${top}/${e.name}/`)
  );
  const grouped = map.match(/`services\/[^`]+`(, `services\/[^`]+`)+/g)?.join(" ") ?? "";
  assertEquals(folders.filter((f) => !paths.has(f) && !grouped.includes(f)), []);
});

Deno.test("a path that does not exist is reported", () => {
  const paths = namedPaths("see `lib/capture/no_such_file.ts` and `not/a/repo/path.ts`");
  assertEquals(paths.filter((path) => !exists(path)), ["lib/capture/no_such_file.ts"]);
});
