/**
 * Opportunities: active mutually exclusive events whose outcomes' YES prices do not sum to 1.
 * Exactly one outcome of such an event pays $1, so the best asks summing below 1 − threshold (or
 * the bid/ask midpoints away from 1 by more than the threshold) mark a possible mispricing. Only
 * events whose every market is active with a best ask count (a closed or unquoted outcome makes
 * the sum meaningless); multivariate events are left out. Prices come from the markets rows.
 * @module
 */
import type { Sql } from "@kalshi-data/lib/db";
import { type KeysetCursor, type KeysetPage, keysetPage, type SortOrder } from "./keyset.ts";

/** Keys opportunities can be sorted by. */
export const OPPORTUNITY_SORTS = ["gap", "ask_sum", "mid_sum", "ask_size", "markets"] as const;

/** An opportunity sort key. */
export type OpportunitySort = (typeof OPPORTUNITY_SORTS)[number];

/** One event off by more than the threshold (decimals as exact strings). */
export interface Opportunity {
  event_ticker: string;
  title: string | null;
  markets: number;
  /** Sum of the markets' best YES asks. */
  ask_sum: string;
  /** Sum of the bid/ask midpoints; null when a market has no bid. */
  mid_sum: string | null;
  /** The larger distance from 1 of the two sums. */
  gap: string;
  /** The least size offered at those asks (complete sets that can be bought at once); null when a
   * market's size is unknown. */
  ask_size: string | null;
  /** The earliest close of its markets. */
  close_time: Date | null;
  sort_key: string | null;
}

/** What {@linkcode loadOpportunities} lists. */
export interface OpportunityQuery {
  /** Distance from 1, a decimal string (default "0.05" at the edge). */
  threshold: string;
  sort: OpportunitySort;
  order: SortOrder;
  after?: KeysetCursor;
  limit: number;
}

/** One page of opportunities. */
export function loadOpportunities(
  sql: Sql,
  query: OpportunityQuery,
): Promise<KeysetPage<Opportunity>> {
  const sums = sql`(
    SELECT s.*, greatest(abs(s.ask_sum - 1), coalesce(abs(s.mid_sum - 1), 0)) AS gap
    FROM (
      SELECT e.event_ticker, e.title, count(*)::int AS markets,
             sum(m.yes_ask) AS ask_sum,
             CASE WHEN count(m.yes_bid) = count(*)
               THEN trim_scale(sum((m.yes_bid + m.yes_ask) / 2)) END AS mid_sum,
             CASE WHEN count(m.yes_ask_size) = count(*) THEN min(m.yes_ask_size) END AS ask_size,
             min(m.close_time) AS close_time
      FROM events e JOIN markets m ON m.event_ticker = e.event_ticker
      WHERE e.mutually_exclusive AND NOT e.is_multivariate
      GROUP BY e.event_ticker, e.title
      HAVING count(*) >= 2 AND bool_and(m.status = 'active' AND m.yes_ask IS NOT NULL)
    ) s
  ) o`;
  return keysetPage<Opportunity>(sql, {
    columns: sql`o.event_ticker, o.title, o.markets, o.ask_sum::text, o.mid_sum::text,
      o.gap::text, o.ask_size::text, o.close_time`,
    from: sums,
    conditions: [sql`o.gap > ${query.threshold}::numeric`],
    sort: { key: `o.${query.sort}`, type: "numeric", id: "o.event_ticker", order: query.order },
    after: query.after,
    limit: query.limit,
  });
}
