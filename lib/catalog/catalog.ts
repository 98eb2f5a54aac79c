/**
 * Batch upserts of the reference tables (`series`, `events`, `markets`): one statement per batch,
 * typed columns plus the raw payload, and an `IS DISTINCT FROM` guard so a row whose payload did
 * not change is not rewritten (its `xmin` and `updated_at` stay as they were).
 *
 * Prices are written as numeric dollars and counts as numeric contracts, converted exactly from
 * the client's integer units (1/10000 dollar, 1/100 contract).
 * @module
 */
import type postgres from "postgres";
import type { Sql } from "../db/mod.ts";
import type { KalshiEvent, Market, Series } from "../kalshi/mod.ts";
import { countUnitsToFixedPoint, priceUnitsToDollars } from "../kalshi/mod.ts";
import { isComboMarket } from "../scope/mod.ts";

type Row = Record<string, postgres.JSONValue>;

function dollars(units: number | null | undefined): string | null {
  return units === null || units === undefined ? null : priceUnitsToDollars(units);
}

function contracts(units: number | null | undefined): string | null {
  return units === null || units === undefined ? null : countUnitsToFixedPoint(units);
}

function int(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}

function time(value: unknown): string | null {
  if (typeof value !== "string" || value === "" || value.startsWith("0001-01-01")) return null;
  return value;
}

/** Keeps the last item of each key (a page may repeat one; one statement cannot update twice). */
function lastByKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const map = new Map<string, T>();
  for (const item of items) map.set(key(item), item);
  return [...map.values()];
}

/** Upserts series; returns how many rows were inserted or changed. */
export async function upsertSeries(sql: Sql, series: readonly Series[]): Promise<number> {
  if (series.length === 0) return 0;
  const rows: Row[] = lastByKey(series, (s) => s.ticker).map((s) => ({
    ticker: s.ticker,
    title: s.title,
    category: s.category,
    categories: s.categories,
    tags: s.tags,
    frequency: s.frequency,
    fee_type: s.feeType,
    fee_multiplier: s.feeMultiplier === null ? null : String(s.feeMultiplier),
    volume: contracts(s.volume),
    exchange_index: s.exchangeIndex,
    last_updated_ts: time(s.lastUpdatedTs),
    raw: s.raw as postgres.JSONValue,
  }));
  const result = await sql`
    INSERT INTO series AS s (ticker, title, category, categories, tags, frequency, fee_type,
      fee_multiplier, volume, exchange_index, last_updated_ts, raw)
    SELECT r.ticker, r.title, r.category,
      ARRAY(SELECT jsonb_array_elements_text(r.categories)),
      ARRAY(SELECT jsonb_array_elements_text(r.tags)),
      r.frequency, r.fee_type, r.fee_multiplier, r.volume, r.exchange_index, r.last_updated_ts, r.raw
    FROM jsonb_to_recordset(${
    sql.json(rows as unknown as postgres.JSONValue)
  }::jsonb) AS r(ticker text, title text,
      category text, categories jsonb, tags jsonb, frequency text, fee_type text,
      fee_multiplier numeric, volume numeric, exchange_index integer, last_updated_ts timestamptz,
      raw jsonb)
    ON CONFLICT (ticker) DO UPDATE SET
      title = EXCLUDED.title, category = EXCLUDED.category, categories = EXCLUDED.categories,
      tags = EXCLUDED.tags, frequency = EXCLUDED.frequency, fee_type = EXCLUDED.fee_type,
      fee_multiplier = EXCLUDED.fee_multiplier,
      volume = coalesce(EXCLUDED.volume, s.volume),
      exchange_index = EXCLUDED.exchange_index, last_updated_ts = EXCLUDED.last_updated_ts,
      -- A payload without volume (no include_volume) does not erase a known volume.
      raw = CASE WHEN EXCLUDED.raw ? 'volume_fp' OR NOT s.raw ? 'volume_fp' THEN EXCLUDED.raw
                 ELSE EXCLUDED.raw || jsonb_build_object('volume_fp', s.raw -> 'volume_fp') END,
      updated_at = now()
    WHERE s.raw IS DISTINCT FROM (
      CASE WHEN EXCLUDED.raw ? 'volume_fp' OR NOT s.raw ? 'volume_fp' THEN EXCLUDED.raw
           ELSE EXCLUDED.raw || jsonb_build_object('volume_fp', s.raw -> 'volume_fp') END)
    RETURNING 1`;
  return result.count;
}

/** Options of {@linkcode upsertEvents}. */
export interface UpsertEventsOptions {
  /** The events came from `/events/multivariate` (combo events). */
  multivariate?: boolean;
}

/**
 * Upserts events (not their nested markets: pass those to {@linkcode upsertMarkets}) and fills
 * `markets.series_ticker` of already stored markets of these events. Returns rows written.
 */
export async function upsertEvents(
  sql: Sql,
  events: readonly KalshiEvent[],
  options: UpsertEventsOptions = {},
): Promise<number> {
  if (events.length === 0) return 0;
  const rows: Row[] = lastByKey(events, (e) => e.eventTicker).map((e) => {
    const { markets: _nested, ...raw } = e.raw;
    return {
      event_ticker: e.eventTicker,
      series_ticker: e.seriesTicker,
      title: e.title,
      sub_title: e.subTitle,
      category: e.category,
      collateral_return_type: e.collateralReturnType,
      mutually_exclusive: e.mutuallyExclusive,
      is_multivariate: options.multivariate ?? false,
      strike_date: time(e.strikeDate),
      strike_period: e.strikePeriod,
      fee_type_override: typeof e.raw.fee_type_override === "string"
        ? e.raw.fee_type_override
        : null,
      fee_multiplier_override: typeof e.raw.fee_multiplier_override === "number"
        ? String(e.raw.fee_multiplier_override)
        : null,
      exchange_index: e.exchangeIndex,
      last_updated_ts: time(e.lastUpdatedTs),
      // Nested markets live in `markets`; single-event GETs carry Go zero time: keep the listed one.
      raw: raw as postgres.JSONValue,
    };
  });
  const result = await sql`
    WITH r AS (
      SELECT * FROM jsonb_to_recordset(${
    sql.json(rows as unknown as postgres.JSONValue)
  }::jsonb) AS r(event_ticker text,
        series_ticker text, title text, sub_title text, category text,
        collateral_return_type text, mutually_exclusive boolean, is_multivariate boolean,
        strike_date timestamptz, strike_period text, fee_type_override text,
        fee_multiplier_override numeric, exchange_index integer, last_updated_ts timestamptz,
        raw jsonb)
    ), written AS (
      INSERT INTO events AS e (event_ticker, series_ticker, title, sub_title, category,
        collateral_return_type, mutually_exclusive, is_multivariate, strike_date, strike_period,
        fee_type_override, fee_multiplier_override, exchange_index, last_updated_ts, raw)
      SELECT event_ticker, series_ticker, title, sub_title, category, collateral_return_type,
        mutually_exclusive, is_multivariate, strike_date, strike_period, fee_type_override,
        fee_multiplier_override, exchange_index, last_updated_ts, raw
      FROM r
      ON CONFLICT (event_ticker) DO UPDATE SET
        series_ticker = EXCLUDED.series_ticker, title = EXCLUDED.title,
        sub_title = EXCLUDED.sub_title, category = EXCLUDED.category,
        collateral_return_type = EXCLUDED.collateral_return_type,
        mutually_exclusive = EXCLUDED.mutually_exclusive,
        is_multivariate = e.is_multivariate OR EXCLUDED.is_multivariate,
        strike_date = EXCLUDED.strike_date, strike_period = EXCLUDED.strike_period,
        fee_type_override = EXCLUDED.fee_type_override,
        fee_multiplier_override = EXCLUDED.fee_multiplier_override,
        exchange_index = EXCLUDED.exchange_index,
        last_updated_ts = coalesce(EXCLUDED.last_updated_ts, e.last_updated_ts),
        raw = EXCLUDED.raw, updated_at = now()
      WHERE e.raw IS DISTINCT FROM EXCLUDED.raw
        AND NOT (EXCLUDED.last_updated_ts IS NULL
          AND e.raw - 'last_updated_ts' = EXCLUDED.raw - 'last_updated_ts')
      RETURNING 1
    ), linked AS (
      UPDATE markets m SET series_ticker = r.series_ticker, updated_at = now()
      FROM r
      WHERE m.event_ticker = r.event_ticker AND m.series_ticker IS DISTINCT FROM r.series_ticker
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM written)::int AS written, (SELECT count(*) FROM linked)::int AS linked`;
  return result[0].written as number;
}

function marketRow(m: Market): Row {
  const raw = m.raw;
  return {
    ticker: m.ticker,
    event_ticker: m.eventTicker,
    series_ticker: typeof raw.series_ticker === "string" ? raw.series_ticker : null,
    status: m.status,
    market_type: m.marketType,
    title: m.title,
    subtitle: m.subtitle,
    yes_sub_title: m.yesSubTitle,
    no_sub_title: m.noSubTitle,
    result: m.result,
    can_close_early: m.canCloseEarly,
    is_multivariate: isComboMarket(m),
    mve_collection_ticker: m.mveCollectionTicker,
    created_time: time(m.createdTime),
    updated_time: time(m.updatedTime),
    open_time: time(m.openTime),
    close_time: time(m.closeTime),
    expected_expiration_time: time(m.expectedExpirationTime),
    latest_expiration_time: time(m.latestExpirationTime),
    expiration_time: time(m.expirationTime),
    occurrence_datetime: time(m.occurrenceDatetime),
    determination_ts: time(raw.determination_ts),
    settlement_ts: time(m.settlementTs),
    settlement_timer_seconds: int(raw.settlement_timer_seconds),
    yes_bid: dollars(m.yesBid),
    yes_ask: dollars(m.yesAsk),
    no_bid: dollars(m.noBid),
    no_ask: dollars(m.noAsk),
    last_price: dollars(m.lastPrice),
    previous_yes_bid: dollars(m.previousYesBid),
    previous_yes_ask: dollars(m.previousYesAsk),
    previous_price: dollars(m.previousPrice),
    notional_value: dollars(m.notionalValue),
    settlement_value: dollars(m.settlementValue),
    yes_bid_size: contracts(m.yesBidSize),
    yes_ask_size: contracts(m.yesAskSize),
    volume: contracts(m.volume),
    volume_24h: contracts(m.volume24h),
    open_interest: contracts(m.openInterest),
    strike_type: m.strikeType,
    floor_strike: m.floorStrike === null ? null : String(m.floorStrike),
    cap_strike: m.capStrike === null ? null : String(m.capStrike),
    functional_strike: m.functionalStrike,
    custom_strike: m.customStrike as postgres.JSONValue,
    price_level_structure: m.priceLevelStructure,
    price_ranges: (raw.price_ranges ?? null) as postgres.JSONValue,
    rules_primary: m.rulesPrimary,
    rules_secondary: m.rulesSecondary,
    exchange_index: m.exchangeIndex,
    raw: raw as postgres.JSONValue,
  };
}

const MARKET_COLUMNS = `ticker text, event_ticker text, series_ticker text, status text,
  market_type text, title text, subtitle text, yes_sub_title text, no_sub_title text,
  result text, can_close_early boolean, is_multivariate boolean, mve_collection_ticker text,
  created_time timestamptz, updated_time timestamptz, open_time timestamptz,
  close_time timestamptz, expected_expiration_time timestamptz,
  latest_expiration_time timestamptz, expiration_time timestamptz,
  occurrence_datetime timestamptz, determination_ts timestamptz, settlement_ts timestamptz,
  settlement_timer_seconds integer, yes_bid numeric, yes_ask numeric, no_bid numeric,
  no_ask numeric, last_price numeric, previous_yes_bid numeric, previous_yes_ask numeric,
  previous_price numeric, notional_value numeric, settlement_value numeric,
  yes_bid_size numeric, yes_ask_size numeric, volume numeric, volume_24h numeric,
  open_interest numeric, strike_type text, floor_strike numeric, cap_strike numeric,
  functional_strike text, custom_strike jsonb, price_level_structure text, price_ranges jsonb,
  rules_primary text, rules_secondary text, exchange_index integer, raw jsonb`;

const UPDATABLE = [
  "status",
  "market_type",
  "title",
  "subtitle",
  "yes_sub_title",
  "no_sub_title",
  "result",
  "can_close_early",
  "is_multivariate",
  "mve_collection_ticker",
  "created_time",
  "updated_time",
  "open_time",
  "close_time",
  "expected_expiration_time",
  "latest_expiration_time",
  "expiration_time",
  "occurrence_datetime",
  "determination_ts",
  "settlement_ts",
  "settlement_timer_seconds",
  "yes_bid",
  "yes_ask",
  "no_bid",
  "no_ask",
  "last_price",
  "previous_yes_bid",
  "previous_yes_ask",
  "previous_price",
  "notional_value",
  "settlement_value",
  "yes_bid_size",
  "yes_ask_size",
  "volume",
  "volume_24h",
  "open_interest",
  "strike_type",
  "floor_strike",
  "cap_strike",
  "functional_strike",
  "custom_strike",
  "price_level_structure",
  "price_ranges",
  "rules_primary",
  "rules_secondary",
  "exchange_index",
  "raw",
] as const;

/** Columns that move with `status`, and only forward in exchange time (`markets.status_ts`). */
const STATUS_BOUND: ReadonlySet<string> = new Set([
  "status",
  "result",
  "determination_ts",
  "settlement_value",
  "settlement_ts",
]);

/**
 * The exchange time of a REST snapshot's status (`r`): its `updated_time`, or the time the status
 * itself implies when later — a market closes when `close_time` passes with no lifecycle message
 * and maybe no new `updated_time` — never after now (a snapshot cannot come from the future).
 */
const SNAPSHOT_STATUS_TIME = (() => {
  const implied = `GREATEST(r.updated_time, CASE r.status WHEN 'active' THEN r.open_time
    WHEN 'closed' THEN r.close_time WHEN 'determined' THEN r.determination_ts
    WHEN 'finalized' THEN r.settlement_ts END)`;
  return `CASE WHEN ${implied} > now() THEN now() ELSE ${implied} END`;
})();

/** The snapshot rows of `$1`, each with its status time as `status_ts`. */
const SNAPSHOT_ROWS = `(SELECT r.*, ${SNAPSHOT_STATUS_TIME} AS status_ts
  FROM jsonb_to_recordset($1::jsonb) AS r(${MARKET_COLUMNS})) AS r`;

/** SET list of an upsert from `source` (EXCLUDED or r): status-bound columns only when newer. */
function marketSets(source: string): string {
  const newer = `COALESCE(${source}.status_ts, '-infinity') >= COALESCE(m.status_ts, '-infinity')`;
  return [...UPDATABLE, "status_ts"].map((c) =>
    STATUS_BOUND.has(c) || c === "status_ts"
      ? `${c} = CASE WHEN ${newer} THEN ${source}.${c} ELSE m.${c} END`
      : `${c} = ${source}.${c}`
  ).join(", ");
}

/** Options of {@linkcode upsertMarkets}. */
export interface UpsertMarketsOptions {
  /** Only update markets already stored; never insert (used for out-of-scope sightings). */
  onlyExisting?: boolean;
}

/**
 * Upserts markets (one statement), taking `series_ticker` from the stored event when known.
 * A market whose payload and series did not change is not rewritten; a snapshot whose status is
 * older (by exchange time) than the stored one keeps the stored status, result and settlement.
 * Returns rows written.
 */
export async function upsertMarkets(
  sql: Sql,
  markets: readonly Market[],
  options: UpsertMarketsOptions = {},
): Promise<number> {
  if (markets.length === 0) return 0;
  const rows = lastByKey(markets, (m) => m.ticker).map(marketRow);
  const payload = sql.json(rows as unknown as postgres.JSONValue);
  if (options.onlyExisting) {
    const result = await sql.unsafe(
      `UPDATE markets m SET ${marketSets("r")}, updated_at = now()
       FROM ${SNAPSHOT_ROWS}
       WHERE m.ticker = r.ticker AND m.raw IS DISTINCT FROM r.raw
       RETURNING 1`,
      [payload as never],
    );
    return result.count;
  }
  const columns = ["ticker", "event_ticker", "series_ticker", ...UPDATABLE, "status_ts"];
  const select = columns.map((c) =>
    c === "series_ticker"
      ? "coalesce((SELECT e.series_ticker FROM events e WHERE e.event_ticker = r.event_ticker), " +
        "r.series_ticker) AS series_ticker"
      : `r.${c}`
  ).join(", ");
  const result = await sql.unsafe(
    `INSERT INTO markets AS m (${columns.join(", ")})
     SELECT ${select} FROM ${SNAPSHOT_ROWS}
     ON CONFLICT (ticker) DO UPDATE SET ${marketSets("EXCLUDED")},
       event_ticker = EXCLUDED.event_ticker,
       series_ticker = coalesce(EXCLUDED.series_ticker, m.series_ticker),
       updated_at = now()
     WHERE m.raw IS DISTINCT FROM EXCLUDED.raw
        OR m.event_ticker IS DISTINCT FROM EXCLUDED.event_ticker
        OR (EXCLUDED.series_ticker IS NOT NULL
            AND m.series_ticker IS DISTINCT FROM EXCLUDED.series_ticker)
     RETURNING 1`,
    [payload as never],
  );
  return result.count;
}
