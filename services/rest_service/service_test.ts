import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { createTestDatabase, type TestDatabase } from "../../lib/db/testing/database.ts";
import { createRateLimiter, createRestClient } from "@kalshi-data/lib/kalshi";
import {
  isComboMarket,
  isHistorical,
  marketExists,
  marketStatus,
  type ServedSimulator,
  serveSimulator,
} from "@kalshi-data/lib/kalshi/sim";
import { createMetrics, createReadiness } from "@kalshi-data/lib/runtime";
import type { RestRecord } from "@kalshi-data/lib/kalshi/sim";
import { createLogger } from "@kalshi-data/lib/log";
import { EVERYTHING, type Scope, scopeFromConfig, scopeSettings } from "@kalshi-data/lib/scope";
import { defineCommand, loadConfig } from "@kalshi-data/lib/config";
import { TRACKS } from "@kalshi-data/lib/backfill";
import { type LoopOptions, type RestServiceDeps, runPass, runRestService } from "./service.ts";
import { syncCatalog } from "./discovery.ts";

const LOOP: LoopOptions = {
  once: true,
  syncIntervalMs: 60_000,
  fullSyncIntervalMs: 86_400_000,
  openRefreshMs: 900_000,
  auditIntervalMs: 3_600_000,
};

interface Harness {
  db: TestDatabase;
  served: ServedSimulator;
  deps: RestServiceDeps;
  logs: string[];
  restRequests(): RestRecord[];
  close(): Promise<void>;
}

async function harness(
  options: {
    markets?: number;
    scope?: Scope;
    seed?: number;
    maxRetries?: number;
    comboShare?: number;
  } = {},
): Promise<Harness> {
  const db = await createTestDatabase();
  const served = serveSimulator({
    markets: options.markets ?? 300,
    seed: options.seed ?? 5,
    comboShare: options.comboShare,
    paused: true,
    pumpIntervalMs: 0,
    pingSeconds: 0,
    groundTruth: { memory: true, restBodies: false },
  });
  const logs: string[] = [];
  const client = createRestClient({
    baseUrl: served.restUrl,
    limiter: createRateLimiter({ ratePerSecond: 2000 }),
    backoff: { baseMs: 1, maxMs: 4 },
    maxRetries: options.maxRetries ?? 30,
    timeoutMs: 2000,
    random: () => 0.5,
  });
  const deps: RestServiceDeps = {
    sql: db.sql,
    client,
    scope: options.scope ?? EVERYTHING,
    logger: createLogger("rest_service_test", { sink: (l) => logs.push(l), level: "debug" }),
    now: () => served.sim.clock.now(),
    // Small pages: a few hundred markets still make long walks.
    pageSize: { events: 20, markets: 50 },
  };
  return {
    db,
    served,
    deps,
    logs,
    restRequests: () => served.sim.groundTruth.records("rest") as RestRecord[],
    async close() {
      await served.close();
      await db.drop();
    },
  };
}

/** What the simulator serves at its current time: series, events and markets that exist. */
function truth(served: ServedSimulator) {
  const w = served.sim.world;
  const now = served.sim.clock.now();
  const markets = new Map<string, string>();
  for (let m = 0; m < w.marketCount; m++) {
    if (marketExists(w, m, now)) markets.set(w.marketTickers[m], marketStatus(w, m, now));
  }
  const events = w.eventTickers.filter((_, e) => w.eventCreatedMs[e] <= now).sort();
  return { series: w.series.map((s) => s.ticker).sort(), events, markets };
}

async function tableState(h: Harness) {
  const sql = h.db.sql;
  const series = (await sql<{ ticker: string }[]>`SELECT ticker FROM series ORDER BY ticker`)
    .map((r) => r.ticker);
  const events = (await sql<{ event_ticker: string }[]>`SELECT event_ticker FROM events ORDER BY 1`)
    .map((r) => r.event_ticker);
  const markets = new Map(
    (await sql<{ ticker: string; status: string }[]>`SELECT ticker, status FROM markets`)
      .map((r) => [r.ticker, r.status]),
  );
  return { series, events, markets };
}

async function xmins(h: Harness): Promise<string> {
  const [row] = await h.db.sql<{ x: string }[]>`
    SELECT md5(string_agg(t || ':' || k || ':' || x, ',' ORDER BY t, k)) AS x FROM (
      SELECT 's' AS t, ticker AS k, xmin::text AS x FROM series
      UNION ALL SELECT 'e', event_ticker, xmin::text FROM events
      UNION ALL SELECT 'm', ticker, xmin::text FROM markets
      UNION ALL SELECT 'w', scope, xmin::text FROM ingest_state WHERE key = 'backfill.scheduled'
    ) rows`;
  return row.x;
}

function assertSameCatalog(
  actual: Awaited<ReturnType<typeof tableState>>,
  expected: ReturnType<typeof truth>,
) {
  assertEquals(actual.series, expected.series);
  assertEquals(actual.events, expected.events);
  assertEquals(actual.markets.size, expected.markets.size);
  for (const [ticker, status] of expected.markets) {
    assertEquals(actual.markets.get(ticker), status, `status of ${ticker}`);
  }
}

/** Every market × track that should be covered by now is covered by job ranges without gaps. */
async function assertJobsCoverEveryMarket(h: Harness) {
  const nowS = Math.floor(h.served.sim.clock.now() / 1000);
  const markets = await h.db.sql<{ ticker: string; open_s: number; close_s: number }[]>`
    SELECT ticker, extract(epoch FROM open_time)::int AS open_s,
      extract(epoch FROM close_time)::int AS close_s FROM markets`;
  const jobs = await h.db.sql<{ ticker: string; kind: string; payload: Record<string, number> }[]>`
    SELECT payload ->> 'ticker' AS ticker, kind, payload FROM backfill_jobs`;
  const byKey = new Map<string, [number, number][]>();
  for (const j of jobs) {
    const track = j.kind === "candles" ? `candles${j.payload.period_minutes}` : "trades";
    const range: [number, number] = j.kind === "candles"
      ? [j.payload.start_ts, j.payload.end_ts]
      : [j.payload.min_ts, j.payload.max_ts];
    const key = `${j.ticker}|${track}`;
    byKey.set(key, [...(byKey.get(key) ?? []), range]);
  }
  let needed = 0;
  for (const m of markets) {
    for (const t of TRACKS) {
      const to = Math.min(m.close_s + t.pad, Math.floor((nowS - 120) / t.grid) * t.grid);
      if (to < m.open_s) continue;
      needed++;
      const ranges = (byKey.get(`${m.ticker}|${t.name}`) ?? []).sort((a, b) => a[0] - b[0]);
      assertOk(ranges.length > 0, `no ${t.name} job for ${m.ticker}`);
      assertEquals(ranges[0][0], m.open_s, `${t.name} of ${m.ticker} starts at open`);
      for (let i = 1; i < ranges.length; i++) {
        assertEquals(ranges[i][0], ranges[i - 1][1] + 1, `${t.name} of ${m.ticker} is contiguous`);
      }
      assertEquals(ranges.at(-1)![1], to, `${t.name} of ${m.ticker} reaches ${to}`);
      if (t.kind === "candles") {
        for (const [a, b] of ranges) {
          assertOk(Math.floor((b - a) / (t.period! * 60)) + 1 <= 5000, `${a}..${b} fits`);
        }
      }
    }
  }
  assertOk(needed > 0);
  return needed;
}

Deno.test("one pass stores exactly the simulator's series, events and markets (live and historical) and a job for every market and period", async () => {
  const h = await harness();
  try {
    const report = await runPass(h.deps, LOOP);
    assertEquals(report.sync.mode, "full");
    const expected = truth(h.served);
    const historical = [...expected.markets.keys()].filter((t) => {
      const w = h.served.sim.world;
      const m = w.marketByTicker.get(t)!;
      const e = w.marketEvent[m];
      return w.eventSettledMs[e] <
        Math.floor((h.served.sim.clock.now() - w.cutoffLagMs) / 86_400_000) * 86_400_000;
    });
    assertOk(historical.length > 10, `historical-only markets: ${historical.length}`);
    assertSameCatalog(await tableState(h), expected);
    const needed = await assertJobsCoverEveryMarket(h);
    assertOk(report.schedule.inserted >= needed, `${report.schedule.inserted} < ${needed}`);
    const [{ n }] = await h.db.sql`
      SELECT count(*)::int AS n FROM backfill_jobs WHERE (payload ->> 'historical')::boolean`;
    assertOk(n > 0, "historical markets get historical jobs");
    assertOk(report.sync.requests > 6, `a long walk: ${report.sync.requests} pages`);
    const [{ s }] = await h.db
      .sql`SELECT count(*)::int AS s FROM markets WHERE series_ticker IS NULL`;
    assertEquals(s, 0);
    assertOk(h.logs.some((l) => JSON.parse(l).message === "discovery progress"));
  } finally {
    await h.close();
  }
});

Deno.test("with the clock paused a second pass schedules nothing and rewrites no row", async () => {
  const h = await harness();
  try {
    await runPass(h.deps, LOOP);
    const before = await xmins(h);
    const [{ jobs }] = await h.db.sql`SELECT count(*)::int AS jobs FROM backfill_jobs`;
    const second = await runPass(h.deps, LOOP);
    assertEquals(second.sync.mode, "incremental");
    assertEquals(second.schedule.inserted, 0);
    assertEquals(second.sync.written, { series: 0, events: 0, markets: 0 });
    assertEquals(await xmins(h), before);
    const [{ again }] = await h.db.sql`SELECT count(*)::int AS again FROM backfill_jobs`;
    assertEquals(again, jobs);
  } finally {
    await h.close();
  }
});

Deno.test("a market that closes or settles is updated by the next incremental sync without a full re-walk", async () => {
  const h = await harness({ markets: 1200 });
  try {
    const first = await runPass(h.deps, LOOP);
    const fullRequests = h.restRequests().length;
    h.served.sim.clock.advance(3_600_000);
    const expected = truth(h.served);
    const before = await tableState(h);
    const changed = [...expected.markets].filter(([t, s]) => before.markets.get(t) !== s).length;
    assertOk(changed > 10, `markets that changed: ${changed}`);
    const second = await runPass(h.deps, LOOP);
    assertEquals(second.sync.mode, "incremental");
    const incrementalRequests = h.restRequests().length - fullRequests;
    assertSameCatalog(await tableState(h), expected);
    const rewalks = h.restRequests().slice(fullRequests).filter((r) =>
      r.query.includes("with_nested_markets=true") ||
      (r.path.endsWith("/historical/markets") && !r.query.includes("tickers="))
    );
    assertEquals(rewalks.length, 0, "no event or historical walk");
    assertOk(
      incrementalRequests < first.sync.requests,
      `incremental ${incrementalRequests} vs full ${first.sync.requests} requests`,
    );
    assertOk(
      second.sync.seen.markets * 2 < first.sync.seen.markets,
      `incremental read ${second.sync.seen.markets} markets, full ${first.sync.seen.markets}`,
    );
    assertOk(second.schedule.inserted > 0, "tails of open markets were scheduled");
    await assertJobsCoverEveryMarket(h);
  } finally {
    await h.close();
  }
});

Deno.test("an incremental pass a few minutes later costs at most a quarter of the full pass's requests and re-walks nothing", async () => {
  const h = await harness({ markets: 6000, seed: 11 });
  try {
    const full = await runPass(h.deps, LOOP);
    const fullRecords = h.restRequests();
    h.served.sim.clock.advance(5 * 60_000);
    const expected = truth(h.served);
    const second = await runPass(h.deps, LOOP);
    assertEquals([full.sync.mode, second.sync.mode], ["full", "incremental"]);
    assertOk(second.sync.seen.markets > 0, "the five minutes changed something");
    // The simulator's ground truth counts every request it answered, retries included.
    const incremental = h.restRequests().slice(fullRecords.length);
    assertOk(
      incremental.length * 4 <= fullRecords.length,
      `incremental ${incremental.length} vs full ${fullRecords.length} requests`,
    );
    const rewalks = incremental.filter((r) =>
      r.query.includes("with_nested_markets=true") ||
      (r.path.endsWith("/historical/markets") && !r.query.includes("tickers=")) ||
      (r.path.endsWith("/markets") && !/(min_|max_|tickers=|status=)/.test(r.query)) ||
      (r.path.endsWith("/events") && !/(min_updated_ts=|tickers=)/.test(r.query))
    );
    assertEquals(rewalks.map((r) => `${r.path}?${r.query}`), [], "no unfiltered walk");
    // Cheap because it asked only for what changed, not because it missed anything.
    assertSameCatalog(await tableState(h), expected);
    await assertJobsCoverEveryMarket(h);
  } finally {
    await h.close();
  }
});

Deno.test("429 storms and 5xx bursts slow discovery down but lose nothing", async () => {
  const h = await harness();
  try {
    h.served.sim.setFaults({
      serverErrors: { probability: 0.2, burst: 3 },
      rateLimitStorm: { probability: 0.2, burst: 5 },
    });
    await runPass(h.deps, LOOP);
    const faults = h.restRequests().filter((r) => r.fault !== undefined).length;
    assertOk(faults > 5, `faults injected: ${faults}`);
    assertSameCatalog(await tableState(h), truth(h.served));
    await assertJobsCoverEveryMarket(h);
  } finally {
    await h.close();
  }
});

Deno.test("a simulator that stops answering mid-walk leaves a consistent database and the next run resumes", async () => {
  const h = await harness({ markets: 1200, maxRetries: 2 });
  try {
    // Every request fails once the walk is under way.
    let served = 0;
    const original = h.deps.client.listEvents;
    h.deps.client.listEvents = (query, call) => {
      served++;
      if (served > 3) h.served.sim.setFaults({ serverErrors: { probability: 1, burst: 1000 } });
      return original(query, call);
    };
    let failed = false;
    try {
      await syncCatalog(h.deps);
    } catch {
      failed = true;
    }
    assertOk(failed, "the first sync fails");
    const walk = await h.db.sql`SELECT scope, value FROM ingest_state WHERE key = 'discovery.walk'`;
    assertOk(walk.length > 0, "the walk's cursor was saved");
    const partial = await tableState(h);
    assertOk(partial.events.length > 0 && partial.events.length < truth(h.served).events.length);
    // Every stored market's event is stored with it (pages commit whole).
    const [{ orphans }] = await h.db.sql`
      SELECT count(*)::int AS orphans FROM markets m
      WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_ticker = m.event_ticker)`;
    assertEquals(orphans, 0);

    h.served.sim.setFaults({});
    h.deps.client.listEvents = original;
    const before = h.restRequests().length;
    const resumed = await syncCatalog(h.deps);
    assertEquals(resumed.mode, "full");
    const resumedEventPages = h.restRequests().slice(before)
      .filter((r) => r.path.endsWith("/events") && r.status === 200).length;
    const eventPages = Math.ceil(truth(h.served).events.length / 20);
    assertOk(resumedEventPages < eventPages, `resumed ${resumedEventPages} of ${eventPages} pages`);
    assertSameCatalog(await tableState(h), truth(h.served));
    const [{ left }] = await h.db.sql`
      SELECT count(*)::int AS left FROM ingest_state WHERE key = 'discovery.walk'`;
    assertEquals(left, 0);
  } finally {
    await h.close();
  }
});

Deno.test("a narrowed scope stores only its series' markets and schedules only them", async () => {
  const probe = serveSimulator({ markets: 300, seed: 5, paused: true, pumpIntervalMs: 0 });
  const chosen = probe.sim.world.series.slice(0, 2).map((s) => s.ticker);
  await probe.close();
  const h = await harness({ scope: { ...EVERYTHING, series: chosen } });
  try {
    await runPass(h.deps, LOOP);
    const expected = truth(h.served);
    const state = await tableState(h);
    const want = [...expected.markets.keys()].filter((t) =>
      chosen.some((s) => t.startsWith(s + "-"))
    );
    assertEquals([...state.markets.keys()].sort(), want.sort());
    const [{ other }] = await h.db.sql`
      SELECT count(*)::int AS other FROM backfill_jobs
      WHERE NOT (payload ->> 'ticker' LIKE ANY(${chosen.map((s) => s + "-%")}::text[]))`;
    assertEquals(other, 0);
  } finally {
    await h.close();
  }
});

Deno.test("closed markets the audit finds without settlement are re-read by ticker in the same pass", async () => {
  const h = await harness();
  try {
    await runPass(h.deps, LOOP);
    const w = h.served.sim.world;
    const now = h.served.sim.clock.now();
    const settled = await h.db.sql<{ ticker: string; status: string; result: string }[]>`
      SELECT ticker, status, result FROM markets
      WHERE status = 'finalized' AND close_time < ${new Date(now - 7_200_000)}
      ORDER BY ticker`;
    const archived = settled.find((m) => isHistorical(w, w.marketByTicker.get(m.ticker)!, now));
    const live = settled.find((m) => !isHistorical(w, w.marketByTicker.get(m.ticker)!, now));
    assertOk(archived && live, "a settled market in each place");
    const lost = [archived.ticker, live.ticker].sort();
    // As if the settlement had been missed: the row still says closed, without a result.
    await h.db.sql`
      UPDATE markets SET status = 'closed', result = '', settlement_ts = NULL,
        raw = raw || '{"status": "closed", "result": ""}'::jsonb
      WHERE ticker = ANY(${lost}::text[])`;
    const before = h.restRequests().length;
    const pass = await runPass(h.deps, LOOP, {});
    assertEquals(pass.sync.mode, "incremental");
    assertEquals([...pass.audit!.unsettledTickers].sort(), lost);
    const rows = await h.db.sql<{ ticker: string; status: string; result: string }[]>`
      SELECT ticker, status, result FROM markets WHERE ticker = ANY(${lost}::text[])
      ORDER BY ticker`;
    assertEquals(
      rows.map((r) => ({ ...r })),
      settled.filter((m) => lost.includes(m.ticker)).map((r) => ({ ...r })),
    );
    const byTicker = h.restRequests().slice(before).filter((r) => r.query.includes("tickers="));
    assertOk(byTicker.some((r) => r.path.endsWith("/historical/markets")), "archived re-read");
    assertOk(byTicker.length <= 2, `${byTicker.length} re-read requests`);
  } finally {
    await h.close();
  }
});

Deno.test("the pass exposes the uncovered market-periods of its audit on /metrics", async () => {
  const h = await harness();
  try {
    const metrics = createMetrics();
    h.deps.metrics = metrics;
    const gauge = async () => {
      const line = (await metrics.render()).split("\n")
        .find((l) => l.startsWith("coverage_uncovered_market_periods"));
      assertOk(line, "the gauge is rendered");
      return Number(line.split(" ").at(-1));
    };
    const first = await runPass(h.deps, LOOP);
    const uncovered = first.audit!.uncoveredMarketPeriods;
    assertOk(uncovered > 0, "nothing has been fetched yet");
    assertEquals(await gauge(), uncovered);
    await h.db.sql`UPDATE backfill_jobs SET state = 'succeeded', finished_at = now()`;
    const second = await runPass(h.deps, LOOP, {});
    assertEquals(second.audit!.uncoveredMarketPeriods, 0);
    assertEquals(await gauge(), 0);
  } finally {
    await h.close();
  }
});

Deno.test("with SCOPE_INCLUDE_COMBOS on a pass stores exactly the simulator's combo markets, and with it off none", async () => {
  const command = defineCommand({ name: "t", summary: "t", settings: scopeSettings });
  for (const include of ["true", "false"]) {
    const scope = scopeFromConfig(
      loadConfig(command, { env: { SCOPE_INCLUDE_COMBOS: include } }),
    );
    const h = await harness({ comboShare: 0.3, scope });
    try {
      await runPass(h.deps, LOOP);
      const w = h.served.sim.world;
      const now = h.served.sim.clock.now();
      const expected: string[] = [];
      for (let m = 0; m < w.marketCount; m++) {
        if (isComboMarket(w, m) && marketExists(w, m, now)) expected.push(w.marketTickers[m]);
      }
      assertOk(expected.length > 10, `combo markets served: ${expected.length}`);
      const rows = await h.db.sql<{ ticker: string; is_multivariate: boolean }[]>`
        SELECT ticker, is_multivariate FROM markets WHERE ticker LIKE 'KXMVE%' OR is_multivariate
        ORDER BY ticker`;
      assertOk(rows.every((r) => r.is_multivariate), "stored combos are marked multivariate");
      assertEquals(
        rows.map((r) => r.ticker),
        include === "true" ? expected.sort() : [],
        `SCOPE_INCLUDE_COMBOS=${include}`,
      );
    } finally {
      await h.close();
    }
  }
});

Deno.test("readiness turns 503 when every discovery request fails for longer than the limit, and back after a good pass", async () => {
  const h = await harness({ markets: 60, maxRetries: 1 });
  const stop = new AbortController();
  const readiness = createReadiness();
  // The loop's sleep advances the simulator's clock by the interval, then waits for the test.
  let slept = Promise.withResolvers<void>();
  let wake = () => {};
  h.deps.sleep = (ms, signal) => {
    h.served.sim.clock.advance(ms);
    slept.resolve();
    return new Promise<void>((resolve) => {
      wake = resolve;
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
  };
  const pass = async () => {
    slept = Promise.withResolvers<void>();
    wake();
    await slept.promise;
  };
  const verdicts: [boolean, string | undefined][] = [];
  const verdict = async () => {
    const report = await readiness.evaluate();
    verdicts.push([report.ready, report.checks[0].reason]);
  };
  const loop = runRestService(
    { ...h.deps, readiness, signal: stop.signal },
    { ...LOOP, once: false, syncIntervalMs: 600_000, readyMaxPassAgeMs: 1_800_000 },
  );
  try {
    await slept.promise; // the first pass succeeded; each sleep moves the clock 10 minutes on
    await verdict();
    h.served.sim.setFaults({ serverErrors: { probability: 1, burst: 1_000_000 } });
    for (let i = 0; i < 2; i++) await pass(); // failing, 30 minutes since the good pass: the limit
    await verdict();
    await pass(); // 40 minutes since the last good pass
    await verdict();
    h.served.sim.setFaults({});
    await pass();
    await verdict();
  } finally {
    stop.abort();
    wake();
    await loop;
    await h.close();
  }
  assertEquals(verdicts.map(([ready]) => ready), [true, true, false, true]);
  assertEquals(verdicts[2][1], "last successful discovery pass: 40m00s ago (limit 30m00s)");
  assertOk(h.logs.some((l) => l.includes("pass failed; retrying")));
});

Deno.test("a stop that comes during a pass ends the loop after it, without waiting out the sync interval", async () => {
  const h = await harness({ markets: 20 });
  const stop = new AbortController();
  const logs: string[] = [];
  let slept = 0;
  try {
    await runRestService(
      {
        ...h.deps,
        signal: stop.signal,
        // SIGTERM lands as the pass's audit ends: the pass itself returns normally.
        logger: createLogger("rest_service_test", {
          sink: (line) => {
            logs.push(line);
            if (line.includes('"coverage audited"')) stop.abort();
          },
        }),
        sleep: () => {
          slept++;
          return Promise.resolve();
        },
      },
      { ...LOOP, once: false, syncIntervalMs: 600_000 },
    );
    assertOk(stop.signal.aborted, logs.join("\n"));
    assertEquals(slept, 0, "no sleep after the stop");
  } finally {
    await h.close();
  }
});
