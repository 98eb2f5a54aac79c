/** The report as a table for people, or as one JSON object for machines. @module */
import type { StatusReport } from "./report.ts";
import type { StatusRow } from "./section.ts";

function stateOf(row: StatusRow, stale: Set<string>): string {
  if (row.check === undefined) return "";
  return stale.has(row.check) ? "STALE" : "ok";
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
}

/** The report as a table, then either "healthy" or one line per failed check. */
export function renderText(report: StatusReport): string {
  const stale = new Set(report.stale.map((f) => f.check));
  const head = report.healthy ? "healthy" : `STALE (${report.stale.length} check(s) failed)`;
  const lines = [
    `kalshi-data status at ${report.generatedAt}: ${head}`,
    "",
    ...table([
      ["WHAT", "VALUE", "AGE", "STATE"],
      ...report.rows.map((r) => [r.what, r.value, r.age ?? "", stateOf(r, stale)]),
    ]),
  ];
  if (!report.healthy) {
    lines.push("", "stale:", ...report.stale.map((f) => `  ${f.check}: ${f.message}`));
  }
  return lines.join("\n");
}

/** The limits as the `--json` output shows them (seconds and minutes, like the settings). */
function limitsOf(report: StatusReport) {
  const l = report.context.limits;
  return {
    wsSilenceSeconds: l.wsSilenceMs / 1000,
    wsChannels: [...l.wsChannels],
    maxPassAgeSeconds: l.maxPassAgeMs / 1000,
    maxDueAgeSeconds: l.maxDueAgeMs / 1000,
    deadWindowMinutes: l.deadWindowMs / 60_000,
  };
}

/**
 * The report as one JSON object: `generatedAt`, `status` ("healthy" | "stale"), `exitCode`,
 * `stale` (the failed checks), `limits`, then each section's facts under its name.
 */
export function renderJson(report: StatusReport): string {
  return JSON.stringify({
    generatedAt: report.generatedAt,
    status: report.healthy ? "healthy" : "stale",
    exitCode: report.healthy ? 0 : 1,
    stale: report.stale,
    limits: limitsOf(report),
    ...report.sections,
  });
}

/** The `--json` output when the status cannot be told (exit 3). */
export function renderUnknownJson(generatedAt: Date, error: string): string {
  return JSON.stringify({
    generatedAt: generatedAt.toISOString(),
    status: "unknown",
    exitCode: 3,
    error,
  });
}
