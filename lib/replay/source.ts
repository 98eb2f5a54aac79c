/**
 * What a replay reads: a source hands one time-ordered stream per stored channel for a window, and
 * `mergeByTime` interleaves them into one exchange-time order. A new channel (order books) or a new
 * store (the Parquet archive) plugs in as another stream; the session never knows which.
 * @module
 */
import type { OrderbookLevels } from "../kalshi/mod.ts";
import type { ReplayMessage } from "./protocol.ts";

/** The span replayed, `[fromMs, toMs)`, optionally only some markets. */
export interface ReplayWindow {
  /** The first instant replayed, Unix ms (exchange time, inclusive). */
  fromMs: number;
  /** The end, Unix ms (exclusive). */
  toMs: number;
  /** Only these markets' ticker, trade, lifecycle and order-book messages; absent = all. */
  markets?: string[];
}

/** Stored messages: one stream per channel, each in time order, in pages. */
export interface ReplaySource {
  /** The window's streams (each read once, lazily). */
  messages(window: ReplayWindow): AsyncIterable<ReplayMessage[]>[];
  /**
   * The stored order book of `ticker` at `atMs` (every stored delta with ts ≤ atMs applied), or
   * null when none is stored by then; absent: the source stores no books.
   */
  book?(ticker: string, atMs: number): Promise<OrderbookLevels | null>;
}

/** One stream's current page and position in it. */
interface Head {
  iterator: AsyncIterator<ReplayMessage[]>;
  page: ReplayMessage[];
  at: number;
  rank: number;
}

/** The next non-empty page of `iterator`, or null at its end. */
async function nextPage(iterator: AsyncIterator<ReplayMessage[]>): Promise<ReplayMessage[] | null> {
  for (;;) {
    const next = await iterator.next();
    if (next.done) return null;
    if (next.value.length > 0) return next.value;
  }
}

/**
 * Interleaves time-ordered streams of pages into one time order, on equal times the earlier
 * stream first. It yields batches: everything that can be ordered before some stream needs its
 * next page, so the consumer awaits once per page, not once per message.
 *
 * @example
 * ```ts
 * import { mergeByTime } from "./source.ts";
 * const at = (...ts: number[]) => ts.map((timeMs) => ({
 *   timeMs, channel: "c", type: "t", marketTicker: null, msg: {},
 * }));
 * async function* pages(...p: number[][]) {
 *   for (const times of p) yield at(...times);
 * }
 * const out: number[] = [];
 * for await (const batch of mergeByTime([pages([1, 4]), pages([2], [3])])) {
 *   out.push(...batch.map((m) => m.timeMs));
 * }
 * console.log(out); // [1, 2, 3, 4]
 * ```
 */
export async function* mergeByTime(
  streams: AsyncIterable<ReplayMessage[]>[],
): AsyncGenerator<ReplayMessage[]> {
  const heads: Head[] = [];
  try {
    for (const [rank, stream] of streams.entries()) {
      const iterator = stream[Symbol.asyncIterator]();
      const page = await nextPage(iterator);
      if (page) heads.push({ iterator, page, at: 0, rank });
    }
    while (heads.length > 0) {
      const batch: ReplayMessage[] = [];
      let emptied: Head | null = null;
      while (emptied === null) {
        const head = earliest(heads);
        batch.push(head.page[head.at++]);
        if (head.at === head.page.length) emptied = head;
      }
      yield batch;
      const page = await nextPage(emptied.iterator);
      if (page) Object.assign(emptied, { page, at: 0 });
      else heads.splice(heads.indexOf(emptied), 1);
    }
  } finally {
    // An abandoned replay closes the streams still open (their cursors release their connections).
    await Promise.allSettled(heads.map((h) => h.iterator.return?.()));
  }
}

/** The head whose next message comes first (ties: the earlier stream). */
function earliest(heads: Head[]): Head {
  let best = heads[0];
  for (let i = 1; i < heads.length; i++) {
    const a = heads[i].page[heads[i].at].timeMs, b = best.page[best.at].timeMs;
    if (a < b || (a === b && heads[i].rank < best.rank)) best = heads[i];
  }
  return best;
}
