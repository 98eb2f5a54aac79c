/** The research views of migrations/0010_market_research.sql, read as the portal's role. */
import { assertEquals } from "../testing/assert.ts";
import { withTestDatabase } from "./testing/database.ts";

Deno.test("price_series_1m forward-fills each column from sparse 1-minute candles, as kalshi_reader", async () => {
  await withTestDatabase(async ({ sql }) => {
    await sql`INSERT INTO candles (market_ticker, period_minutes, end_period_ts, price_close,
        yes_bid_close, yes_ask_close, source) VALUES
      ('A', 1, '2026-01-01T00:00Z', 0.40, 0.39, 0.41, 'live'),
      ('A', 1, '2026-01-01T00:03Z', NULL, 0.45, 0.47, 'live'),
      ('A', 1, '2026-01-01T00:05Z', 0.50, NULL, NULL, 'live'),
      ('A', 60, '2026-01-01T00:06Z', 0.90, 0.90, 0.90, 'live'),
      ('B', 1, '2026-01-01T00:04Z', 0.10, 0.10, 0.10, 'live')`;
    const rows = await sql.begin(async (tx) => {
      await tx`SET LOCAL ROLE kalshi_reader`;
      return await tx<{ minute: string; price: string; bid: string; ask: string; seen: boolean }[]>`
        SELECT to_char(minute AT TIME ZONE 'UTC', 'HH24:MI') AS minute, price::text,
               yes_bid::text AS bid, yes_ask::text AS ask, observed AS seen
        FROM price_series_1m('A', '2026-01-01T00:00:30Z', '2026-01-01T00:07Z')`;
    });
    assertEquals(rows.map((r) => [r.minute, r.price, r.bid, r.ask, r.seen]), [
      ["00:01", "0.40", "0.39", "0.41", false], // carried in from before `from`
      ["00:02", "0.40", "0.39", "0.41", false],
      ["00:03", "0.40", "0.45", "0.47", true], // no trade: the price carries on
      ["00:04", "0.40", "0.45", "0.47", false],
      ["00:05", "0.50", "0.45", "0.47", true], // no quotes: they carry on
      ["00:06", "0.50", "0.45", "0.47", false], // the hourly candle does not count
    ]);
  });
});

Deno.test("market_research joins each market to its event and series, with change", async () => {
  await withTestDatabase(async ({ sql }) => {
    await sql`INSERT INTO series (ticker, category, frequency, raw)
      VALUES ('S', 'Crypto', 'daily', '{}')`;
    await sql`INSERT INTO events (event_ticker, series_ticker, category, mutually_exclusive,
        strike_period, raw)
      VALUES ('E', 'S', 'Old', true, '', '{}'), ('F', 'NOSERIES', 'Weather', false, 'week', '{}')`;
    await sql`INSERT INTO markets (ticker, event_ticker, series_ticker, status, last_price,
        previous_price, raw)
      VALUES ('E-1', 'E', NULL, 'active', 0.55, 0.60, '{}'),
             ('F-1', 'F', NULL, 'active', 0.20, NULL, '{}'),
             ('G-1', 'G', NULL, 'active', NULL, NULL, '{}')`;
    const rows = await sql.begin(async (tx) => {
      await tx`SET LOCAL ROLE kalshi_reader`;
      return await tx`
        SELECT ticker, series_ticker, category, frequency, strike_period, mutually_exclusive,
               change::text FROM market_research ORDER BY ticker`;
    });
    assertEquals(rows.map((r) => Object.values(r)), [
      ["E-1", "S", "Crypto", "daily", null, true, "-0.05"],
      ["F-1", "NOSERIES", "Weather", null, "week", false, null],
      ["G-1", null, null, null, null, null, null],
    ]);
  });
});
