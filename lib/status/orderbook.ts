/**
 * Order-book capture as the database shows it: the newest stored delta and snapshot, the books
 * stored whole (snapshot or checkpoint) within the last hour, and the order-book capture gaps of
 * the last day. The channel's silence is judged by the websocket section (`orderbook_delta` in
 * `STATUS_WS_CHANNELS`); this section only describes.
 * @module
 */
import { ageSeconds, defineSection, showAge } from "./section.ts";

/** What the section reports. */
export interface OrderbookFacts {
  /** Newest stored delta's exchange time, or null. */
  lastDeltaAt: string | null;
  lastDeltaAgeSeconds: number | null;
  /** Newest stored snapshot (any kind), or null. */
  lastSnapshotAt: string | null;
  /** Markets with a snapshot or checkpoint in the last hour (the books maintained). */
  booksLastHour: number;
  /** Order-book capture gaps that started in the last day, and those not yet filled. */
  gapsLastDay: number;
  openGaps: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The order-book section (BRIN on `ts`: each query reads the newest partitions only). */
export const orderbookSection = defineSection<OrderbookFacts>({
  name: "orderbook",
  async gather({ sql }, ctx) {
    const hourAgo = new Date(ctx.now.getTime() - HOUR_MS);
    const dayAgo = new Date(ctx.now.getTime() - DAY_MS);
    const [row] = await sql<
      {
        delta: Date | null;
        snap: Date | null;
        books: number;
        gaps: number;
        open: number;
      }[]
    >`
      SELECT
        (SELECT max(ts) FROM orderbook_deltas WHERE ts >= ${dayAgo} AND ts <= ${ctx.now}) AS delta,
        (SELECT max(ts) FROM orderbook_snapshots WHERE ts >= ${dayAgo} AND ts <= ${ctx.now})
          AS snap,
        (SELECT count(DISTINCT market_id)::int FROM orderbook_snapshots
          WHERE ts >= ${hourAgo} AND ts <= ${ctx.now}) AS books,
        (SELECT count(*)::int FROM capture_gaps
          WHERE channel = 'orderbook_delta' AND gap_start >= ${dayAgo}) AS gaps,
        (SELECT count(*)::int FROM capture_gaps
          WHERE channel = 'orderbook_delta' AND filled_at IS NULL) AS open`;
    return {
      lastDeltaAt: row.delta?.toISOString() ?? null,
      lastDeltaAgeSeconds: ageSeconds(row.delta, ctx.now),
      lastSnapshotAt: row.snap?.toISOString() ?? null,
      booksLastHour: row.books,
      gapsLastDay: row.gaps,
      openGaps: row.open,
    };
  },
  evaluate: () => [],
  rows: (facts) => [
    {
      what: "order-book deltas",
      value: facts.lastDeltaAt === null ? "none in the last day" : `newest ${facts.lastDeltaAt}`,
      age: showAge(facts.lastDeltaAgeSeconds),
    },
    {
      what: "order books stored (last hour)",
      value: `${facts.booksLastHour} market(s), newest snapshot ${facts.lastSnapshotAt ?? "-"}`,
    },
    {
      what: "order-book gaps",
      value: `${facts.gapsLastDay} in the last day, ${facts.openGaps} not filled`,
    },
  ],
});
