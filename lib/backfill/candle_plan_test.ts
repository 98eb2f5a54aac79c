/**
 * Properties of the candle planner over job shapes it accepts: arbitrary valid payloads (any
 * period, windows inside a grid cell, across cells or identical off the grid, repeats,
 * historical) and the shapes the scheduler itself makes (`planMarketJobs`, two passes so tails
 * share cells, a claimed subset). Requests are derived from the units the way `execute.ts` walks
 * them. Proven: every job's window is fetched exactly once (no gap, no double fetch); no request
 * exceeds Kalshi's limits; a one-market unit makes exactly the fewest requests its span allows;
 * and the shape chosen for a batch group (k tickers × w periods a request) needs the fewest
 * requests of any such shape — computed here independently — and the group never sends more.
 */
import fc from "fast-check";
import { assertEquals, assertOk } from "../testing/assert.ts";
import {
  batchShape,
  CANDLE_LIMITS,
  type CandleUnit,
  type CandleWork,
  periodCount,
  planCandleUnits,
  type Window,
} from "./candle_plan.ts";
import {
  CANDLE_PERIODS,
  CANDLE_WINDOW_SECONDS,
  type CandleJobPayload,
  candleJobPayloadSchema,
  candleWindowCell,
} from "./job.ts";
import { planMarketJobs } from "./schedule.ts";

type Work = CandleWork<number>;

/** A request as `execute.ts` sends it for a unit's window (its fallbacks included). */
interface PlannedRequest {
  endpoint: "batch" | "single" | "historical";
  periodMinutes: number;
  window: Window;
  work: Work[];
}

/** The requests `execute.ts` makes for `unit` when every call succeeds. */
function requestsOf(unit: CandleUnit<number>): PlannedRequest[] {
  const out: PlannedRequest[] = [];
  for (const window of unit.windows) {
    const pending = unit.work.filter((w) =>
      w.payload.start_ts <= window.endTs && window.startTs <= w.payload.end_ts
    );
    if (pending.length === 0) continue;
    const base = { periodMinutes: unit.periodMinutes, window };
    if (unit.endpoint === "batch" && pending.length > 1) {
      out.push({ ...base, endpoint: "batch", work: pending });
    } else if (unit.endpoint === "batch") {
      out.push({ ...base, endpoint: "single", work: pending });
    } else out.push({ ...base, endpoint: unit.endpoint, work: pending });
  }
  return out;
}

// --- Generators ------------------------------------------------------------------------------

const EPOCH = 1_760_000_000 - (1_760_000_000 % CANDLE_WINDOW_SECONDS[1440]);
const period = fc.constantFrom(...CANDLE_PERIODS);

/** A window of `p`: inside one cell, across cells, or long (up to ~3 cells). */
function windowOf(p: 1 | 60 | 1440) {
  const cell = CANDLE_WINDOW_SECONDS[p];
  return fc.record({
    cellIndex: fc.integer({ min: 0, max: 3 }),
    offset: fc.integer({ min: 0, max: cell - 1 }),
    length: fc.oneof(
      fc.integer({ min: 0, max: cell - 1 }),
      fc.integer({ min: 0, max: 3 * cell }),
      fc.constant(cell - 1),
    ),
    aligned: fc.boolean(),
  }).map(({ cellIndex, offset, length, aligned }) => {
    const start = EPOCH + cellIndex * cell + (aligned ? 0 : offset);
    return { start_ts: start, end_ts: start + length };
  });
}

/** A few fixed windows across cell boundaries, so several markets share one off the grid. */
function offGrid(p: 1 | 60 | 1440) {
  const cell = CANDLE_WINDOW_SECONDS[p];
  return fc.constantFrom(
    { start_ts: EPOCH + cell - 600, end_ts: EPOCH + cell + 600 },
    { start_ts: EPOCH + cell / 2, end_ts: EPOCH + 5 * cell / 2 },
    { start_ts: EPOCH + 7, end_ts: EPOCH + 10 * cell },
  );
}

/** Any payload the planner accepts (validated with the job schema). */
const anyPayload = period.chain((p) =>
  fc.record({
    ticker: fc.integer({ min: 0, max: 12 }).map((i) => `M${i}`),
    window: fc.oneof(windowOf(p), offGrid(p)),
    historical: fc.integer({ min: 0, max: 4 }).map((i) => i === 0),
  }).map(({ ticker, window, historical }) =>
    candleJobPayloadSchema.parse({
      ticker,
      series_ticker: "S",
      period_minutes: p,
      ...window,
      historical,
    })
  )
);

/** Arbitrary claimed work: up to 250 jobs, repeats and all. */
const anyWork = fc.array(anyPayload, { maxLength: 250, size: "large" }).map(toWork);

/** A window inside the first cell of `p` (ending at the cell's end half of the time). */
function inCell(p: 1 | 60 | 1440) {
  const cell = CANDLE_WINDOW_SECONDS[p];
  const second = fc.noBias(fc.integer({ min: 0, max: cell - 1 }));
  return fc.record({ a: second, b: fc.oneof(fc.constant(cell - 1), second) }).map(({ a, b }) => ({
    start_ts: EPOCH + Math.min(a, b),
    end_ts: EPOCH + Math.max(a, b),
  }));
}

/** Many markets in one cell: the batch path with up to 300 distinct tickers. */
const crowdedWork = fc.record({
  p: period,
  // 7, 13, 42, 101, 201: a full cell's batch plus one market (a chunk of one is left).
  markets: fc.oneof(
    fc.noBias(fc.integer({ min: 2, max: 300 })),
    fc.constantFrom(7, 13, 42, 101, 201),
  ),
}).chain(({ p, markets }) =>
  fc.array(inCell(p), { minLength: markets, maxLength: markets }).map((windows) =>
    toWork(windows.map((window, i) => ({
      ticker: `M${i}`,
      series_ticker: "S",
      period_minutes: p,
      ...window,
      historical: false,
    })))
  )
);

/** Markets as the scheduler sees them, planned twice (a later pass adds tails), then claimed. */
const scheduledWork = fc.record({
  markets: fc.array(
    fc.record({
      openHoursAgo: fc.integer({ min: 1, max: 24 * 40 }),
      hours: fc.integer({ min: 1, max: 24 * 60 }),
      settled: fc.boolean(),
    }),
    { minLength: 1, maxLength: 60 },
  ),
  secondPassMinutes: fc.integer({ min: 0, max: 3 * 24 * 60 }),
  claim: fc.array(fc.boolean(), { minLength: 1, maxLength: 64 }),
}).map(({ markets, secondPassMinutes, claim }) => {
  const now = (EPOCH + 123_457) * 1000;
  const cutoff = { marketSettledTs: new Date(now - 5 * 86_400_000), tradesCreatedTs: new Date(0) };
  const payloads: CandleJobPayload[] = [];
  markets.forEach((m, i) => {
    const open = now - m.openHoursAgo * 3_600_000;
    const market = {
      ticker: `M${i}`,
      eventTicker: `E${i % 7}`,
      seriesTicker: "S",
      status: "open",
      openTime: new Date(open),
      closeTime: new Date(open + m.hours * 3_600_000),
      settlementTs: m.settled ? new Date(open + m.hours * 3_600_000) : null,
    };
    const first = planMarketJobs(market, {}, { now, cutoff });
    const second = planMarketJobs(market, first.watermarks, {
      now: now + secondPassMinutes * 60_000,
      cutoff,
    });
    for (const job of [...first.jobs, ...second.jobs]) {
      if (job.kind === "candles") payloads.push(job.payload);
    }
  });
  return toWork(payloads.filter((_, i) => claim[i % claim.length]));
});

function toWork(payloads: readonly CandleJobPayload[]): Work[] {
  return payloads.map((payload, job) => ({ job, payload }));
}

const shapes = fc.oneof(anyWork, crowdedWork, scheduledWork);

// --- Properties ------------------------------------------------------------------------------

Deno.test("every job lands in exactly one unit of its own period, endpoint and tier", () => {
  fc.assert(fc.property(shapes, (work) => {
    const units = planCandleUnits(work);
    const placed = units.flatMap((u) => u.work.map((w) => w.job)).sort((a, b) => a - b);
    assertEquals(placed, work.map((w) => w.job));
    for (const unit of units) {
      for (const w of unit.work) {
        assertEquals(w.payload.period_minutes, unit.periodMinutes);
        assertEquals(w.payload.historical, unit.endpoint === "historical");
      }
    }
  }));
});

Deno.test("a unit's windows tile the hull of its jobs' windows: sorted, adjacent, no overlap", () => {
  fc.assert(fc.property(shapes, (work) => {
    for (const unit of planCandleUnits(work)) {
      const hull = hullOf(unit.work);
      assertEquals(unit.windows[0].startTs, hull.startTs);
      assertEquals(unit.windows.at(-1)!.endTs, hull.endTs);
      unit.windows.forEach((w, i) => {
        assertOk(w.startTs <= w.endTs);
        if (i > 0) assertEquals(w.startTs, unit.windows[i - 1].endTs + 1);
      });
    }
  }));
});

Deno.test("each job's window is fetched exactly once: its requests tile it with no gap or overlap", () => {
  fc.assert(fc.property(shapes, (work) => {
    const requests = planCandleUnits(work).flatMap(requestsOf);
    for (const w of work) {
      const own = requests
        .filter((r) => r.work.includes(w))
        .map((r) => ({
          startTs: Math.max(r.window.startTs, w.payload.start_ts),
          endTs: Math.min(r.window.endTs, w.payload.end_ts),
        }))
        .sort((a, b) => a.startTs - b.startTs);
      assertOk(own.length > 0, `job ${w.job} is never fetched`);
      assertEquals(own[0].startTs, w.payload.start_ts);
      assertEquals(own.at(-1)!.endTs, w.payload.end_ts);
      for (let i = 1; i < own.length; i++) assertEquals(own[i].startTs, own[i - 1].endTs + 1);
    }
  }));
});

Deno.test("a unit asks for no more than documented: one market's adjacent windows, or one cell", () => {
  fc.assert(fc.property(shapes, (work) => {
    for (const unit of planCandleUnits(work)) {
      const tickers = new Set(unit.work.map((w) => w.payload.ticker));
      if (unit.endpoint !== "batch") {
        // One market, adjacent windows: the hull is exactly the union, nothing extra.
        assertEquals(tickers.size, 1);
        const sorted = [...unit.work].sort((a, b) => a.payload.start_ts - b.payload.start_ts);
        for (let i = 1; i < sorted.length; i++) {
          assertEquals(sorted[i].payload.start_ts, sorted[i - 1].payload.end_ts + 1);
        }
        continue;
      }
      // Batch: distinct live markets, one period, all in one grid cell (or one identical window).
      assertOk(unit.work.length >= 2);
      assertEquals(tickers.size, unit.work.length);
      const keys = new Set(unit.work.map((w) => groupKey(w.payload)));
      assertEquals(keys.size, 1);
    }
  }));
});

Deno.test("no request exceeds Kalshi's limits (the batch fallback to one market included)", () => {
  fc.assert(fc.property(shapes, (work) => {
    for (const r of planCandleUnits(work).flatMap(requestsOf)) {
      const periods = periodCount(r.window.startTs, r.window.endTs, r.periodMinutes);
      // A ticker absent from a batch answer is asked alone over the same window.
      assertOk(periods <= CANDLE_LIMITS.singleCandles, `${periods} periods in one request`);
      if (r.endpoint !== "batch") continue;
      assertOk(r.work.length <= CANDLE_LIMITS.batchTickers);
      assertEquals(new Set(r.work.map((w) => w.payload.ticker)).size, r.work.length);
      assertOk(periods * r.work.length <= CANDLE_LIMITS.batchCandles);
    }
  }));
});

Deno.test("a one-market unit makes the fewest requests its hull allows", () => {
  fc.assert(fc.property(shapes, (work) => {
    for (const unit of planCandleUnits(work)) {
      if (unit.endpoint === "batch") continue;
      // A request of ≤ 5000 period ends spans ≤ 5000 periods of seconds.
      const hull = hullOf(unit.work);
      const seconds = hull.endTs - hull.startTs + 1;
      const fewest = Math.ceil(seconds / (CANDLE_LIMITS.singleCandles * unit.periodMinutes * 60));
      assertEquals(unit.windows.length, fewest);
      assertEquals(requestsOf(unit).length, fewest);
    }
  }));
});

Deno.test("a batch group's shape needs the fewest requests of any k tickers × w periods", () => {
  fc.assert(fc.property(shapes, (work) => {
    const units = planCandleUnits(work);
    for (const group of batchGroups(work)) {
      const p = group[0].payload.period_minutes;
      const hull = hullOf(group);
      const periods = periodCount(hull.startTs, hull.endTs, p);
      const shape = batchShape(group.length, periods);
      const fewest = fewestRequests(group.length, periods);
      assertEquals(shape.requests, fewest);
      const batch = units.filter((u) => u.endpoint === "batch" && group.includes(u.work[0]));
      // Chunks of k markets; only a last chunk of one goes to the single-market endpoint.
      const sizes = batch.map((u) => u.work.length);
      const leftover = group.length - sizes.reduce((a, b) => a + b, 0);
      assertOk(leftover === 0 || leftover === 1, `${leftover} markets left over`);
      sizes.slice(0, -1).forEach((size) => assertEquals(size, shape.tickers));
      let requests = leftover * Math.ceil(periods / shape.periodsPerRequest);
      for (const unit of batch) {
        // Each chunk: the fewest pieces of ≤ w periods its own union needs.
        const own = hullOf(unit.work);
        const step = shape.periodsPerRequest * p * 60;
        assertEquals(unit.windows.length, Math.ceil((own.endTs - own.startTs + 1) / step));
        requests += unit.windows.length;
      }
      assertOk(requests <= fewest, `${requests} requests, ${fewest} would do`);
      assertOk(fewest >= Math.ceil((group.length * periods) / CANDLE_LIMITS.batchCandles));
    }
  }));
});

Deno.test("a full cell fits 6, 41 and 100 markets in one batch request (job.ts)", () => {
  for (const [p, fits] of [[1, 6], [60, 41], [1440, 100]] as const) {
    const cell = CANDLE_WINDOW_SECONDS[p];
    for (const markets of [fits, fits + 1]) {
      const work = toWork(Array.from({ length: markets }, (_, i) => ({
        ticker: `M${i}`,
        series_ticker: "S",
        period_minutes: p,
        start_ts: EPOCH,
        end_ts: EPOCH + cell - 1,
        historical: false,
      })));
      const requests = planCandleUnits(work).flatMap(requestsOf);
      assertEquals(requests.length, markets === fits ? 1 : 2, `${markets} markets at ${p} min`);
    }
  }
});

Deno.test("a chunk of a batch group asks for its own union, not the group's", () => {
  // 300 one-minute markets: chunks of 75 and pieces of 133 periods. The last 75 markets need
  // 101 periods across the group's first piece boundary: one request, not two.
  const payload = (i: number, start: number, end: number): CandleJobPayload => ({
    ticker: `M${i}`,
    series_ticker: "S",
    period_minutes: 1,
    start_ts: start,
    end_ts: end,
    historical: false,
  });
  const cellEnd = EPOCH + CANDLE_WINDOW_SECONDS[1] - 1;
  const work = toWork(Array.from(
    { length: 300 },
    (_, i) => i < 225 ? payload(i, EPOCH, cellEnd) : payload(i, EPOCH + 6000, EPOCH + 12_000),
  ));
  const units = planCandleUnits(work);
  assertEquals(units.map((u) => u.work.length), [75, 75, 75, 75]);
  assertEquals(units[3].windows, [{ startTs: EPOCH + 6000, endTs: EPOCH + 12_000 }]);
  assertEquals(units.flatMap(requestsOf).length, 3 * 11 + 1);
});

// --- Independent reckoning -------------------------------------------------------------------

function hullOf(work: readonly Work[]): Window {
  return {
    startTs: Math.min(...work.map((w) => w.payload.start_ts)),
    endTs: Math.max(...work.map((w) => w.payload.end_ts)),
  };
}

/** Live jobs batch together by period and grid cell, or by identical window off the grid. */
function groupKey(p: CandleJobPayload): string {
  const cell = candleWindowCell(p.period_minutes, p.start_ts, p.end_ts);
  return cell === null
    ? `${p.period_minutes}:${p.start_ts}:${p.end_ts}`
    : `${p.period_minutes}:cell:${cell}`;
}

/** The live groups of two or more distinct markets (first job of each market), as the doc says. */
function batchGroups(work: readonly Work[]): Work[][] {
  const groups = new Map<string, Map<string, Work>>();
  for (const w of work) {
    if (w.payload.historical) continue;
    const key = groupKey(w.payload);
    const group = groups.get(key) ?? new Map<string, Work>();
    if (!group.has(w.payload.ticker)) group.set(w.payload.ticker, w);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => [...g.values()]).filter((g) => g.length >= 2);
}

/**
 * The fewest requests covering `markets` markets over `periods` periods when every request asks
 * k markets (1 on the single endpoint) for one of m equal pieces of the window: a piece of
 * ceil(periods / m) periods must fit k's candle limit.
 */
function fewestRequests(markets: number, periods: number): number {
  let best = Infinity;
  for (let k = 1; k <= Math.min(markets, CANDLE_LIMITS.batchTickers); k++) {
    const cap = k === 1 ? CANDLE_LIMITS.singleCandles : CANDLE_LIMITS.batchCandles / k;
    let m = 1;
    while (Math.ceil(periods / m) > cap) m++;
    best = Math.min(best, Math.ceil(markets / k) * m);
  }
  return best;
}
