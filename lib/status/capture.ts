/** Capture problems kept in the database: open capture gaps and recent dead letters. @module */
import { ageSeconds, defineSection, showAge } from "./section.ts";

/** Open capture gaps (not yet filled by the coverage audit). */
export interface GapFacts {
  open: number;
  /** Start of the oldest open gap. */
  oldestStart: string | null;
  ageSeconds: number | null;
}

/** Dead letters received in the last day. */
export interface DeadLetterFacts {
  since: string;
  total: number;
  bySource: Record<string, number>;
}

const DAY_MS = 86_400_000;

/** Open capture gaps (the partial index `capture_gaps_open_idx`). */
export const captureGapsSection = defineSection<GapFacts>({
  name: "captureGaps",
  async gather({ sql }, ctx) {
    const [row] = await sql<{ open: number; oldest: Date | null }[]>`
      SELECT count(*)::int AS open, min(gap_start) AS oldest
      FROM capture_gaps WHERE filled_at IS NULL`;
    return {
      open: row.open,
      oldestStart: row.oldest?.toISOString() ?? null,
      ageSeconds: ageSeconds(row.oldest, ctx.now),
    };
  },
  evaluate: () => [],
  rows: (facts) => [{
    what: "open capture gaps",
    value: facts.open === 0 ? "0" : `${facts.open}, oldest from ${facts.oldestStart}`,
    age: showAge(facts.ageSeconds),
  }],
});

/** Dead letters of the last day by source (`dead_letters_received_at_idx`). */
export const deadLettersSection = defineSection<DeadLetterFacts>({
  name: "deadLetters",
  async gather({ sql }, ctx) {
    const since = new Date(ctx.now.getTime() - DAY_MS);
    const rows = await sql<{ source: string; n: number }[]>`
      SELECT source, count(*)::int AS n FROM dead_letters
      WHERE received_at >= ${since} AND received_at <= ${ctx.now}
      GROUP BY source ORDER BY source`;
    return {
      since: since.toISOString(),
      total: rows.reduce((sum, r) => sum + r.n, 0),
      bySource: Object.fromEntries(rows.map((r) => [r.source, r.n])),
    };
  },
  evaluate: () => [],
  rows: (facts) => [{
    what: "dead letters (last 24 h)",
    value: facts.total === 0
      ? "0"
      : Object.entries(facts.bySource).map(([source, n]) => `${source}: ${n}`).join(", "),
  }],
});
