import { planLaunch, RUNNABLES } from "../launch/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { DUCKDB_FFI_FLAG } from "./archive.ts";

const env = { DATABASE_URL: "postgres://u@db:5432/kalshi", ARCHIVE_DIR: "/srv/archive" };
const window = ["--from=2026-11-25T12:00:00Z", "--to=2026-11-25T13:00:00Z", "--port=9100"];

function flags(args: string[]): string[] {
  const plan = planLaunch(RUNNABLES.replay, { args: [...window, ...args], env });
  if ("help" in plan) throw new Error("unexpected help");
  return plan.args.filter((a) => a.startsWith("--allow-"));
}

Deno.test("a database replay may not load native code; an archive replay loads only DuckDB's addon", () => {
  assertEquals(flags([]).filter((f) => f.startsWith("--allow-ffi")), []);
  const archive = flags(["--source=archive"]);
  assertEquals(archive.filter((f) => f.startsWith("--allow-ffi")), [DUCKDB_FFI_FLAG]);
  assertOk(archive.includes("--allow-read=/srv/archive"), archive.join(" "));
});

Deno.test("a replay listens on its port and reaches only its database", () => {
  const net = flags([]).find((f) => f.startsWith("--allow-net="));
  assertEquals(
    net?.slice("--allow-net=".length).split(",").sort(),
    ["0.0.0.0:9100", "127.0.0.1:9100", "db:5432"],
  );
});

Deno.test("a window edge on a day that does not exist is refused, not rolled into the next month", () => {
  let thrown: unknown;
  try {
    planLaunch(RUNNABLES.replay, {
      args: ["--from=2026-02-30T12:00:00Z", "--to=2026-03-05T13:00:00Z", "--port=9100"],
      env,
    });
  } catch (error) {
    thrown = error;
  }
  assertOk(thrown instanceof Error && thrown.message.includes("--from"), String(thrown));
});
