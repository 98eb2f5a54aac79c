/** Runs every section and assembles the report that the table and `--json` render. @module */
import type { Finding, GatherDeps, StatusContext, StatusRow, StatusSection } from "./section.ts";
import { STATUS_SECTIONS } from "./sections.ts";

/** The status at one instant. */
export interface StatusReport {
  /** The instant described. */
  generatedAt: string;
  /** True when no check failed. */
  healthy: boolean;
  /** Every failed check, in section order. */
  stale: Finding[];
  /** Each section's facts, by section name. */
  sections: Record<string, unknown>;
  /** The table lines, in section order. */
  rows: StatusRow[];
  /** The limits judged by. */
  context: StatusContext;
}

/**
 * Runs `sections` (default: all) concurrently — their queries pipeline on one connection — and
 * combines their facts, findings and rows.
 */
export async function collectStatus(
  deps: GatherDeps,
  ctx: StatusContext,
  sections: readonly StatusSection[] = STATUS_SECTIONS,
): Promise<StatusReport> {
  const results = await Promise.all(sections.map((s) => s.run(deps, ctx)));
  const stale = results.flatMap((r) => r.findings);
  return {
    generatedAt: ctx.now.toISOString(),
    healthy: stale.length === 0,
    stale,
    sections: Object.fromEntries(sections.map((s, i) => [s.name, results[i].data])),
    rows: results.flatMap((r) => r.rows),
    context: ctx,
  };
}

/** The exit code of a report: 0 healthy, 1 stale. */
export function exitCodeOf(report: StatusReport): 0 | 1 {
  return report.healthy ? 0 : 1;
}
