/** The benchmark contract: each `bench/*_bench.ts` measures figures beside a baseline from the same run. */

/** One measured figure and the baseline it is compared to. */
export interface BenchRow {
  /** What was measured, e.g. "ticks written via COPY". */
  name: string;
  /** Unit of both numbers, e.g. "rows/s" or "ms". */
  unit: string;
  /** The measured figure. */
  value: number;
  /** What the baseline is, e.g. "one INSERT per row". */
  baselineName: string;
  /** The baseline figure, measured in the same run. */
  baseline: number;
}

/** A benchmark module's default export. */
export type Benchmark = (options: { quick: boolean }) => Promise<BenchRow[]>;

/** Ratio value/baseline (NaN when the baseline is 0). */
export function ratio(row: BenchRow): number {
  return row.baseline === 0 ? Number.NaN : row.value / row.baseline;
}

/** Renders rows as a fixed-width table. */
export function renderTable(rows: readonly (BenchRow & { file: string })[]): string {
  const header = ["benchmark", "figure", "value", "baseline", "baseline value", "ratio"];
  const body = rows.map((r) => [
    r.file,
    r.name,
    `${r.value.toFixed(2)} ${r.unit}`,
    r.baselineName,
    `${r.baseline.toFixed(2)} ${r.unit}`,
    `${ratio(r).toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(" | ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...body.map(line)].join("\n");
}
