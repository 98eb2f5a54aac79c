import { join } from "node:path";
import { planLaunch, PROJECT_ROOT, RUNNABLES } from "../launch/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { DUCKDB_ADDON_DIR, DUCKDB_FFI_FLAG } from "./archive.ts";

Deno.test("only export and query may load native code, and only DuckDB's addon", () => {
  const env = { DATABASE_URL: "postgres://u@db:5432/kalshi", ARCHIVE_DIR: "/srv/archive" };
  const withFfi: string[] = [];
  for (const [name, runnable] of Object.entries(RUNNABLES)) {
    const plan = planLaunch(runnable, { args: [], env });
    if ("help" in plan) throw new Error("unexpected help");
    const ffi = plan.args.filter((a) => a.startsWith("--allow-ffi"));
    if (ffi.length) withFfi.push(name);
    assertOk(ffi.every((f) => f === DUCKDB_FFI_FLAG), `${name}: ${ffi.join(" ")}`);
  }
  assertEquals(withFfi.sort(), ["export", "query"]);
});

Deno.test("the granted addon folder is the installed DuckDB binding of the pinned version", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(PROJECT_ROOT, "deno.json")));
  const pinned = String(config.imports["@duckdb/node-api"]).split("@").at(-1);
  assertOk(DUCKDB_ADDON_DIR.endsWith(`@${pinned}`), `${DUCKDB_ADDON_DIR} is not version ${pinned}`);
  const addon = join(
    PROJECT_ROOT,
    DUCKDB_ADDON_DIR,
    "node_modules",
    "@duckdb",
    "node-bindings-linux-x64",
    "duckdb.node",
  );
  assertOk((await Deno.stat(addon)).isFile, `${addon} is missing: run deno task install`);
});

Deno.test("export and query read their archive folder; only export writes it", () => {
  const env = { DATABASE_URL: "postgres://u@db:5432/kalshi", ARCHIVE_DIR: "/srv/archive" };
  const exportPlan = planLaunch(RUNNABLES.export, { args: [], env });
  const queryPlan = planLaunch(RUNNABLES.query, { args: ["SELECT 1"], env });
  if ("help" in exportPlan || "help" in queryPlan) throw new Error("unexpected help");
  assertOk(exportPlan.args.includes("--allow-write=/srv/archive"));
  assertOk(queryPlan.args.includes("--allow-read=/srv/archive"));
  assertOk(
    !queryPlan.args.some((a) => a.startsWith("--allow-write") || a.startsWith("--allow-net")),
  );
});
