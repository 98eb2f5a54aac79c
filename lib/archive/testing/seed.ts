/**
 * Test seeding of the archive: rows of every exported table with the values that break naive
 * exports — NULLs, empty strings, quotes, commas, newlines, non-ASCII, JSON with nested text,
 * prices at the scale's edge, microsecond timestamps on both sides of midnight UTC.
 * @module
 */
import type { Sql } from "../../db/mod.ts";

/** The two days the seed covers (the boundary between them is midnight UTC). */
export const SEED_DAYS = ["2026-11-30", "2026-12-01"] as const;

/** Inserts catalog rows (series, events, markets) with awkward values. */
export async function seedCatalog(sql: Sql): Promise<void> {
  await sql`
    INSERT INTO series (ticker, title, category, categories, tags, frequency, fee_multiplier,
                        volume, raw)
    VALUES ('KXS', 'Title, with "quotes"', 'Économie', ARRAY['a,b', 'c"d', 'é'], ARRAY[]::text[],
            'daily', 0.035, 12.50, '{"ticker":"KXS","note":"line\\nbreak"}'),
           ('KXT', NULL, '', NULL, ARRAY['x'], NULL, NULL, NULL, '{}')`;
  await sql`
    INSERT INTO events (event_ticker, series_ticker, title, mutually_exclusive, strike_date, raw)
    VALUES ('KXS-26DEC01', 'KXS', E'multi\nline', true, '2026-12-01T15:00:00.123456Z', '{"a":[1,2]}')`;
  await sql`
    INSERT INTO markets (ticker, event_ticker, series_ticker, status, title, yes_bid, yes_ask,
                         last_price, volume, floor_strike, cap_strike, custom_strike, raw,
                         close_time)
    VALUES ('KXS-26DEC01-T1', 'KXS-26DEC01', 'KXS', 'active', '≥ 4.5%', 0.0001, 0.9999, 0.5600,
            1234567.89, 4.5, 123456789.12345678, '{"k":"v"}', '{"ticker":"KXS-26DEC01-T1"}',
            '2026-12-01T20:00:00Z'),
           ('KXS-26DEC01-T2', 'KXS-26DEC01', NULL, 'closed', '', NULL, NULL, NULL, 0, NULL,
            NULL, NULL, '{}', NULL)`;
}

/** Inserts ticks, trades, candles and lifecycle rows on both sides of midnight. */
export async function seedDaily(sql: Sql): Promise<void> {
  await sql`SELECT ensure_tick_partitions('2026-11-30T00:00:00Z', 2)`;
  await sql`
    INSERT INTO ticks (market_ticker, ts, price, yes_bid, yes_ask, volume, open_interest,
                       yes_bid_size, dollar_volume, received_at, batch_id, extra)
    VALUES ('KXS-26DEC01-T1', '2026-11-30T23:59:59.999999Z', 0.56, 0.55, 0.57, 10, 5.5, NULL,
            120, '2026-12-01T00:00:00.000100Z', 'b1', NULL),
           ('KXS-26DEC01-T1', '2026-12-01T00:00:00Z', 0.5601, 0, 1, 0, 0, 1.01, NULL,
            '2026-12-01T00:00:00.2Z', 'b1', '{"weird":"a,b\\n\\"c\\""}'),
           ('KXS-26DEC01-T2', '2026-12-01T12:00:00.5Z', NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, '2026-12-01T12:00:01Z', NULL, '{}')`;
  await sql`
    INSERT INTO trades (trade_id, market_ticker, created_time, yes_price, no_price, count,
                        taker_side, is_block_trade, source, raw)
    VALUES ('t1', 'KXS-26DEC01-T1', '2026-11-30T23:00:00Z', 0.56, 0.44, 10, 'yes', false, 'ws',
            '{"trade_id":"t1"}'),
           ('t2', 'KXS-26DEC01-T1', '2026-12-01T01:00:00.000001Z', 0.5, 0.5, 0.01, '', NULL,
            'rest', '{"trade_id":"t2","s":"ü, \\"q\\""}')`;
  await sql`
    INSERT INTO candles (market_ticker, period_minutes, end_period_ts, yes_bid_open,
                         yes_bid_close, price_mean, volume, source, extra)
    VALUES ('KXS-26DEC01-T1', 1, '2026-11-30T23:59:00Z', 0.55, 0.56, 0.5555, 3, 'live', NULL),
           ('KXS-26DEC01-T1', 1440, '2026-12-01T00:00:00Z', NULL, NULL, NULL, 0, 'historical',
            '{"x":1}')`;
  await sql`
    INSERT INTO market_lifecycle (message_type, event_type, market_ticker, event_ticker, sid,
                                  seq, event_ts, received_at, raw)
    VALUES ('market_lifecycle_v2', 'created', 'KXS-26DEC01-T1', NULL, 3, 9007199254740993,
            '2026-11-30T10:00:00Z', '2026-11-30T10:00:00.5Z', '{"type":"market_lifecycle_v2"}'),
           ('event_lifecycle', NULL, NULL, 'KXS-26DEC01', NULL, NULL, NULL,
            '2026-12-01T08:00:00Z', '{"type":"event_lifecycle","event_ticker":"KXS-26DEC01"}')`;
}
