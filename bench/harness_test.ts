/**
 * The harness contract of every `bench/*_bench.ts`, checked without running a benchmark: the
 * module's default export is a `Benchmark` function, and importing it starts nothing — no output,
 * no request, no server, no timer or open resource left behind (Deno's op and resource
 * sanitizers fail the test on the last two).
 */
import { assertEquals, assertOk as assert } from "../lib/testing/assert.ts";
import { ratio, renderTable } from "./harness.ts";

const dir = new URL(".", import.meta.url);
const benchFiles = [...Deno.readDirSync(dir)]
  .map((entry) => entry.name)
  .filter((name) => name.endsWith("_bench.ts"))
  .sort();

/** What importing a module did that can be observed from here. */
interface ImportEffects {
  printed: string[];
  fetched: string[];
  served: number;
}

/** Imports `url` with console output, `fetch` and `Deno.serve` watched (and the last two refused). */
async function importWatched(url: URL): Promise<{ module: unknown; effects: ImportEffects }> {
  const effects: ImportEffects = { printed: [], fetched: [], served: 0 };
  const saved = { log: console.log, error: console.error, fetch: globalThis.fetch };
  const serve = Deno.serve;
  console.log = (...args: unknown[]) => void effects.printed.push(args.join(" "));
  console.error = console.log;
  globalThis.fetch = (input: RequestInfo | URL) => {
    effects.fetched.push(String(input));
    return Promise.reject(new Error("no request at import"));
  };
  (Deno as { serve: unknown }).serve = () => {
    effects.served++;
    throw new Error("no server at import");
  };
  try {
    return { module: await import(url.href), effects };
  } finally {
    Object.assign(console, { log: saved.log, error: saved.error });
    globalThis.fetch = saved.fetch;
    (Deno as { serve: unknown }).serve = serve;
  }
}

Deno.test("bench/ holds the benchmarks main.ts runs", () => {
  assert(benchFiles.length >= 6, `found only ${benchFiles.join(", ")}`);
});

for (const file of benchFiles) {
  Deno.test({
    name: `${file}: default export is a Benchmark and importing it starts nothing`,
    // Opt-in in this Deno: a timer, listener, socket or file left open by the import fails here.
    sanitizeOps: true,
    sanitizeResources: true,
    async fn() {
      const { module, effects } = await importWatched(new URL(file, dir));
      assertEquals(effects, { printed: [], fetched: [], served: 0 });
      const benchmark = (module as { default?: unknown }).default;
      assertEquals(typeof benchmark, "function", `${file} has no default export function`);
      // `({ quick }) => Promise<BenchRow[]>`: one options argument at most.
      assert((benchmark as (options: unknown) => unknown).length <= 1);
    },
  });
}

Deno.test("ratio and renderTable: a row beside its baseline", () => {
  const row = { name: "x", unit: "ms", value: 3, baselineName: "y", baseline: 2 };
  assertEquals(ratio(row), 1.5);
  assert(Number.isNaN(ratio({ ...row, baseline: 0 })));
  const table = renderTable([{ ...row, file: "a_bench.ts" }]).split("\n");
  assertEquals(table.length, 3);
  assert(table[2].includes("1.50x") && table[2].startsWith("a_bench.ts"));
});
