/**
 * `deno task bench [--quick] [name...]`: runs every `bench/*_bench.ts`, prints one table of
 * figures beside their same-run baselines and ratios, and writes it to bench/results/latest.json.
 * Benchmarks report numbers; they never fail on a time.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Benchmark, type BenchRow, ratio, renderTable } from "./harness.ts";

const dir = fileURLToPath(new URL(".", import.meta.url));
const args = Deno.args.filter((a) => !a.startsWith("--"));
/** Benchmarks that run only when named (the soak takes minutes even with --quick). */
const NAMED_ONLY = ["soak_bench.ts"];
if (Deno.args.includes("--help")) {
  console.log(
    "Usage: deno task bench [--quick] [benchmark name ...]\n\n" +
      "Runs bench/*_bench.ts (or the named ones), prints a table and writes bench/results/latest.json.\n" +
      "The soak runs only when named: deno task bench soak [--quick] [--soak-markets=N] " +
      "[--soak-minutes=M].",
  );
  Deno.exit(0);
}
const quick = Deno.args.includes("--quick");
const files = [...Deno.readDirSync(dir)]
  .map((e) => e.name)
  .filter((n) => n.endsWith("_bench.ts"))
  .filter((n) => args.length === 0 ? !NAMED_ONLY.includes(n) : args.some((a) => n.startsWith(a)))
  .sort();
if (files.length === 0) {
  console.error(`bench: no benchmark matches ${args.join(", ") || "bench/*_bench.ts"}`);
  Deno.exit(2);
}
const rows: (BenchRow & { file: string })[] = [];
for (const file of files) {
  console.error(`bench: running ${file}`);
  const module = await import(join(dir, file)) as { default: Benchmark };
  for (const row of await module.default({ quick })) rows.push({ ...row, file });
}
console.log(renderTable(rows));
Deno.mkdirSync(join(dir, "results"), { recursive: true });
const out = join(dir, "results", "latest.json");
Deno.writeTextFileSync(
  out,
  JSON.stringify(
    { ran_at: new Date().toISOString(), rows: rows.map((r) => ({ ...r, ratio: ratio(r) })) },
    null,
    2,
  ),
);
console.error(`bench: wrote ${out}`);
