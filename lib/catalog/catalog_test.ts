import postgres from "postgres";
import { createTestDatabase, type TestDatabase } from "../db/testing/database.ts";
import {
  type KalshiEvent,
  type Market,
  parseEvent,
  parseMarket,
  parseSeries,
  type Series,
} from "../kalshi/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { upsertEvents, upsertMarkets, upsertSeries } from "./catalog.ts";

/** A test database plus a second client that records every statement it sends. */
async function withRecordedDatabase(
  fn: (db: TestDatabase, sql: postgres.Sql, statements: string[]) => Promise<void>,
): Promise<void> {
  const db = await createTestDatabase();
  const statements: string[] = [];
  const sql = postgres(db.url, {
    max: 1,
    onnotice: () => {},
    debug: (_connection, query) => statements.push(query),
  });
  try {
    await sql`SELECT 1`; // the connection's own setup queries are not ours
    statements.length = 0;
    await fn(db, sql, statements);
  } finally {
    await sql.end({ timeout: 5 });
    await db.drop();
  }
}

function marketWire(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ticker: `KXTEST-26MAR01-T${i}`,
    event_ticker: "KXTEST-26MAR01",
    market_type: "binary",
    status: "active",
    title: `Market ${i}`,
    open_time: "2026-02-01T00:00:00Z",
    close_time: "2026-03-01T00:00:00Z",
    updated_time: "2026-02-15T00:00:00Z",
    yes_bid_dollars: "0.5500",
    yes_ask_dollars: "0.5700",
    last_price_dollars: "0.5600",
    volume_fp: "10.00",
    open_interest_fp: "5.00",
    result: "",
    floor_strike: i,
    ...extra,
  };
}

function market(i: number, extra: Record<string, unknown> = {}): Market {
  return parseMarket(marketWire(i, extra));
}

function series(extra: Record<string, unknown> = {}): Series {
  return parseSeries({
    ticker: "KXTEST",
    title: "Test series",
    category: "Economics",
    categories: ["Economics"],
    tags: ["rates"],
    frequency: "daily",
    fee_type: "quadratic",
    fee_multiplier: 0.07,
    volume_fp: "1234.50",
    ...extra,
  });
}

function event(extra: Record<string, unknown> = {}): KalshiEvent {
  return parseEvent({
    event_ticker: "KXTEST-26MAR01",
    series_ticker: "KXTEST",
    title: "Test event",
    strike_period: "daily",
    mutually_exclusive: true,
    markets: [marketWire(0)],
    ...extra,
  });
}

async function xminsOf(sql: postgres.Sql, table: "markets" | "series" | "events") {
  const key = table === "events" ? "event_ticker" : "ticker";
  const rows = await sql.unsafe<{ k: string; x: string; u: Date }[]>(
    `SELECT ${key} AS k, xmin::text AS x, updated_at AS u FROM ${table} ORDER BY 1`,
  );
  return new Map(rows.map((r) => [r.k, { xmin: r.x, updatedAt: r.u.getTime() }]));
}

Deno.test("a page of 250 markets is written by one statement, in one transaction", async () => {
  await withRecordedDatabase(async (_db, sql, statements) => {
    const page = Array.from({ length: 250 }, (_, i) => market(i));
    statements.length = 0;
    assertEquals(await upsertMarkets(sql, page), 250);
    assertEquals(statements.length, 1, statements.join("\n---\n"));
    const [{ n, xmins }] = await sql<{ n: number; xmins: number }[]>`
      SELECT count(*)::int AS n, count(DISTINCT xmin::text)::int AS xmins FROM markets`;
    assertEquals({ n, xmins }, { n: 250, xmins: 1 });
    statements.length = 0;
    assertEquals(await upsertSeries(sql, [series()]), 1);
    assertEquals(await upsertEvents(sql, [event()]), 1);
    assertEquals(statements.length, 2, "one statement per series batch and per event batch");
  });
});

Deno.test("upserting unchanged rows rewrites nothing: xmin and updated_at stay", async () => {
  await withRecordedDatabase(async (_db, sql) => {
    const page = Array.from({ length: 40 }, (_, i) => market(i));
    await upsertSeries(sql, [series()]);
    await upsertEvents(sql, [event()]);
    await upsertMarkets(sql, page);
    const before = {
      markets: await xminsOf(sql, "markets"),
      series: await xminsOf(sql, "series"),
      events: await xminsOf(sql, "events"),
    };
    // The same payloads again, parsed afresh (new objects, equal content).
    assertEquals(await upsertSeries(sql, [series()]), 0);
    assertEquals(await upsertEvents(sql, [event()]), 0);
    assertEquals(await upsertMarkets(sql, Array.from({ length: 40 }, (_, i) => market(i))), 0);
    assertEquals(await upsertMarkets(sql, page, { onlyExisting: true }), 0);
    assertEquals(await xminsOf(sql, "markets"), before.markets);
    assertEquals(await xminsOf(sql, "series"), before.series);
    assertEquals(await xminsOf(sql, "events"), before.events);
  });
});

Deno.test("a changed field updates only the markets it changed, typed columns and raw alike", async () => {
  await withRecordedDatabase(async (_db, sql) => {
    await upsertMarkets(sql, Array.from({ length: 10 }, (_, i) => market(i)));
    const before = await xminsOf(sql, "markets");
    const next = Array.from(
      { length: 10 },
      (_, i) =>
        i === 3
          ? market(i, { yes_bid_dollars: "0.6100" })
          : i === 7
          ? market(i, { status: "finalized", result: "yes", settlement_ts: "2026-03-01T01:00:00Z" })
          : market(i),
    );
    assertEquals(await upsertMarkets(sql, next), 2);
    const after = await xminsOf(sql, "markets");
    const changed = [...after].filter(([k, v]) => before.get(k)!.xmin !== v.xmin).map(([k]) => k);
    assertEquals(changed.sort(), ["KXTEST-26MAR01-T3", "KXTEST-26MAR01-T7"]);
    const rows = await sql<
      { ticker: string; yes_bid: string; status: string; result: string; raw_bid: string }[]
    >`
      SELECT ticker, yes_bid, status, result, raw ->> 'yes_bid_dollars' AS raw_bid FROM markets
      WHERE ticker IN ('KXTEST-26MAR01-T3', 'KXTEST-26MAR01-T7') ORDER BY ticker`;
    assertEquals(rows.map((r) => ({ ...r })), [
      {
        ticker: "KXTEST-26MAR01-T3",
        yes_bid: "0.6100",
        status: "active",
        result: "",
        raw_bid: "0.6100",
      },
      {
        ticker: "KXTEST-26MAR01-T7",
        yes_bid: "0.5500",
        status: "finalized",
        result: "yes",
        raw_bid: "0.5500",
      },
    ]);
    const [{ settled }] = await sql<{ settled: Date }[]>`
      SELECT settlement_ts AS settled FROM markets WHERE ticker = 'KXTEST-26MAR01-T7'`;
    assertEquals(settled.toISOString(), "2026-03-01T01:00:00.000Z");
    // onlyExisting updates a stored market but never inserts one.
    assertEquals(
      await upsertMarkets(sql, [market(3, { yes_bid_dollars: "0.6200" }), market(99)], {
        onlyExisting: true,
      }),
      1,
    );
    const [{ n }] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM markets WHERE ticker = 'KXTEST-26MAR01-T99'`;
    assertEquals(n, 0);
  });
});

Deno.test("raw jsonb keeps fields the schema does not know, nested markets aside", async () => {
  await withRecordedDatabase(async (_db, sql) => {
    await upsertSeries(sql, [series({ brand_new: { level: [1, "two", null] } })]);
    await upsertEvents(sql, [event({ future_flag: true })]);
    await upsertMarkets(sql, [market(1, { new_field: "kept", nested: { a: [1, 2] } })]);
    const [s] = await sql`SELECT raw -> 'brand_new' AS v FROM series`;
    assertEquals(s.v, { level: [1, "two", null] });
    const [e] = await sql`SELECT raw -> 'future_flag' AS v, raw ? 'markets' AS nested FROM events`;
    assertEquals({ v: e.v, nested: e.nested }, { v: true, nested: false });
    const [m] = await sql`
      SELECT raw -> 'new_field' AS f, raw -> 'nested' AS n, raw -> 'floor_strike' AS s
      FROM markets WHERE ticker = 'KXTEST-26MAR01-T1'`;
    assertEquals({ f: m.f, n: m.n, s: m.s }, { f: "kept", n: { a: [1, 2] }, s: 1 });
    // A change in an unknown field alone is a change: the raw payload is the truth.
    assertEquals(await upsertMarkets(sql, [market(1, { new_field: "changed" })]), 1);
  });
});

Deno.test("prices, counts, strikes and fees are stored exactly as numeric decimals", async () => {
  await withRecordedDatabase(async (_db, sql) => {
    await upsertSeries(sql, [series({ fee_multiplier: 0.035, volume_fp: "98765432.10" })]);
    await upsertMarkets(sql, [
      market(1, {
        yes_bid_dollars: "0.0001",
        yes_ask_dollars: "0.9999",
        last_price_dollars: "0.3300",
        no_bid_dollars: "0.0001",
        volume_fp: "123456789.01",
        open_interest_fp: "0.01",
        floor_strike: 65.5,
        cap_strike: 0.1,
      }),
      // The legacy cent encoding converts to the same dollars.
      market(2, {
        yes_bid_dollars: undefined,
        yes_ask_dollars: undefined,
        last_price_dollars: undefined,
        yes_bid: 1,
        yes_ask: 99,
        last_price: 33,
      }),
    ]);
    const rows = await sql<Record<string, string | null>[]>`
      SELECT ticker, yes_bid, yes_ask, last_price, no_bid, volume, open_interest, floor_strike,
        cap_strike FROM markets ORDER BY ticker`;
    assertEquals({ ...rows[0] }, {
      ticker: "KXTEST-26MAR01-T1",
      yes_bid: "0.0001",
      yes_ask: "0.9999",
      last_price: "0.3300",
      no_bid: "0.0001",
      volume: "123456789.01",
      open_interest: "0.01",
      floor_strike: "65.5",
      cap_strike: "0.1",
    });
    assertEquals(
      [rows[1].yes_bid, rows[1].yes_ask, rows[1].last_price],
      ["0.0100", "0.9900", "0.3300"],
    );
    const [s] = await sql`SELECT fee_multiplier, volume FROM series`;
    assertEquals([s.fee_multiplier, s.volume], ["0.035", "98765432.10"]);
    // Sums of exact decimals stay exact (no binary float column anywhere on the way).
    const [{ total }] = await sql`SELECT sum(yes_bid + yes_ask)::text AS total FROM markets`;
    assertEquals(total, "2.0000");
    assertOk(typeof rows[0].yes_bid === "string");
  });
});
