/**
 * The archive's documented schema: which tables are exported, which column puts a row in a day,
 * and the pinned Parquet type of every column (docs/archive.md renders the same table). Column
 * names are the database's. Money and counts are DECIMAL with a fixed precision and scale — never
 * floats — and the exporter refuses a value that does not fit instead of rounding it.
 * @module
 */

/** A column's type in the archive (and how both engines render it canonically). */
export type ColumnType =
  | { kind: "text" }
  | { kind: "json" }
  | { kind: "text_array" }
  | { kind: "boolean" }
  | { kind: "smallint" }
  | { kind: "integer" }
  | { kind: "bigint" }
  | { kind: "timestamptz" }
  | { kind: "decimal"; precision: number; scale: number }
  | { kind: "levels" };

/** One exported column. */
export interface ArchiveColumn {
  /** The database's column name (also the Parquet column name). */
  name: string;
  /** Its archive type. */
  type: ColumnType;
}

/** One exported table. */
export interface ArchiveTable {
  /** The database table (also the archive folder name). */
  name: string;
  /**
   * `daily`: rows belong to the UTC day of `dayColumn`; `snapshot`: the whole table's current
   * state, written under the UTC day the export ran.
   */
  kind: "daily" | "snapshot";
  /** The timestamptz column that puts a row in a day (daily tables). */
  dayColumn?: string;
  /**
   * Daily tables range-partitioned by day as `<name>_pYYYYMMDD` + `<name>_default`: the days
   * holding rows are found by probing those partitions (never a walk over the whole table); the
   * default partition is walked by its `dayColumn` btree when `defaultIndexed`, else scanned once.
   */
  partitioned?: { defaultIndexed: boolean };
  /**
   * A parenthesised SELECT whose columns are the archive's (when the stored form differs: ids,
   * integer units); `dayColumn` must pass through it unchanged so day bounds prune partitions.
   * Default: the table itself.
   */
  source?: string;
  /** Row order inside a file (clusters values, so files compress and filter well). */
  orderBy: readonly string[];
  /** Its columns, in file order. */
  columns: readonly ArchiveColumn[];
}

const text = { kind: "text" } as const;
const json = { kind: "json" } as const;
const textArray = { kind: "text_array" } as const;
const boolean = { kind: "boolean" } as const;
const smallint = { kind: "smallint" } as const;
const integer = { kind: "integer" } as const;
const bigint = { kind: "bigint" } as const;
const timestamptz = { kind: "timestamptz" } as const;

/** Dollar prices and dollar amounts: DECIMAL(18,4) (Kalshi's grid is at most 1/10,000 dollar). */
export const PRICE: ColumnType = { kind: "decimal", precision: 18, scale: 4 };
/** Contract counts: DECIMAL(18,2) (Kalshi's granularity is 0.01 contract). */
export const COUNT: ColumnType = { kind: "decimal", precision: 18, scale: 2 };
/** Fee multipliers: DECIMAL(18,6). */
export const FEE: ColumnType = { kind: "decimal", precision: 18, scale: 6 };
/** Strikes (any unit the market uses): DECIMAL(38,8). */
export const STRIKE: ColumnType = { kind: "decimal", precision: 38, scale: 8 };
/**
 * One side of an order-book snapshot: its levels in stored order (ascending price), each a
 * `STRUCT(price PRICE, size COUNT)`; in Parquet a LIST of that STRUCT.
 */
export const LEVELS: ColumnType = { kind: "levels" };

function cols(spec: Record<string, ColumnType>): ArchiveColumn[] {
  return Object.entries(spec).map(([name, type]) => ({ name, type }));
}

const ticks: ArchiveTable = {
  name: "ticks",
  kind: "daily",
  dayColumn: "ts",
  partitioned: { defaultIndexed: true },
  orderBy: ["market_ticker", "ts", "received_at"],
  columns: cols({
    market_ticker: text,
    ts: timestamptz,
    price: PRICE,
    yes_bid: PRICE,
    yes_ask: PRICE,
    volume: COUNT,
    open_interest: COUNT,
    yes_bid_size: COUNT,
    yes_ask_size: COUNT,
    last_trade_size: COUNT,
    dollar_volume: PRICE,
    dollar_open_interest: PRICE,
    received_at: timestamptz,
    batch_id: text,
    extra: json,
  }),
};

const trades: ArchiveTable = {
  name: "trades",
  kind: "daily",
  dayColumn: "created_time",
  orderBy: ["market_ticker", "created_time", "trade_id"],
  columns: cols({
    trade_id: text,
    market_ticker: text,
    created_time: timestamptz,
    yes_price: PRICE,
    no_price: PRICE,
    count: COUNT,
    taker_side: text,
    taker_outcome_side: text,
    taker_book_side: text,
    is_block_trade: boolean,
    source: text,
    received_at: timestamptz,
    batch_id: text,
    raw: json,
  }),
};

const candles: ArchiveTable = {
  name: "candles",
  kind: "daily",
  dayColumn: "end_period_ts",
  orderBy: ["market_ticker", "period_minutes", "end_period_ts"],
  columns: cols({
    market_ticker: text,
    period_minutes: smallint,
    end_period_ts: timestamptz,
    yes_bid_open: PRICE,
    yes_bid_low: PRICE,
    yes_bid_high: PRICE,
    yes_bid_close: PRICE,
    yes_ask_open: PRICE,
    yes_ask_low: PRICE,
    yes_ask_high: PRICE,
    yes_ask_close: PRICE,
    price_open: PRICE,
    price_low: PRICE,
    price_high: PRICE,
    price_close: PRICE,
    price_mean: PRICE,
    price_previous: PRICE,
    volume: COUNT,
    open_interest: COUNT,
    source: text,
    fetched_at: timestamptz,
    extra: json,
  }),
};

const marketLifecycle: ArchiveTable = {
  name: "market_lifecycle",
  kind: "daily",
  dayColumn: "received_at",
  orderBy: ["id"],
  columns: cols({
    id: bigint,
    message_type: text,
    event_type: text,
    market_ticker: text,
    event_ticker: text,
    sid: integer,
    seq: bigint,
    event_ts: timestamptz,
    received_at: timestamptz,
    batch_id: text,
    raw: json,
  }),
};

/**
 * A snapshot side as JSON text `[{"price":"0.5600","size":"12.00"}, …]` in array order (exact
 * decimal strings from the integer units; `[]` for an empty side).
 */
function levelsJson(prices: string, sizes: string): string {
  return `(SELECT coalesce(json_agg(json_build_object('price', round(u.p / 10000.0, 4)::text, ` +
    `'size', round(u.q / 100.0, 2)::text) ORDER BY u.i), '[]')::text ` +
    `FROM unnest(${prices}, ${sizes}) WITH ORDINALITY AS u(p, q, i))`;
}

// Order books are stored compactly (0009_orderbooks: market ids, 1/10000-dollar prices and
// 1/100-contract sizes as integers); the archive shows tickers and exact decimals. LEFT JOIN: a
// row whose market id had no dictionary entry would still be archived (ticker NULL), never lost.
const orderbookSnapshots: ArchiveTable = {
  name: "orderbook_snapshots",
  kind: "daily",
  dayColumn: "ts",
  partitioned: { defaultIndexed: false },
  source: `(SELECT m.market_ticker, s.ts, s.ord, s.kind, ` +
    `${levelsJson("s.yes_price", "s.yes_size")} AS yes_levels, ` +
    `${levelsJson("s.no_price", "s.no_size")} AS no_levels ` +
    `FROM orderbook_snapshots s LEFT JOIN orderbook_markets m ON m.id = s.market_id)`,
  orderBy: ["market_ticker", "ts", "ord"],
  columns: cols({
    market_ticker: text,
    ts: timestamptz,
    ord: integer,
    kind: text,
    yes_levels: LEVELS,
    no_levels: LEVELS,
  }),
};

const orderbookDeltas: ArchiveTable = {
  name: "orderbook_deltas",
  kind: "daily",
  dayColumn: "ts",
  partitioned: { defaultIndexed: false },
  source: `(SELECT m.market_ticker, d.ts, d.ord, ` +
    `CASE d.side WHEN 'y' THEN 'yes' WHEN 'n' THEN 'no' END AS side, ` +
    `round(d.price / 10000.0, 4) AS price, round(d.delta / 100.0, 2) AS delta ` +
    `FROM orderbook_deltas d LEFT JOIN orderbook_markets m ON m.id = d.market_id)`,
  orderBy: ["market_ticker", "ts", "ord"],
  columns: cols({
    market_ticker: text,
    ts: timestamptz,
    ord: integer,
    side: text,
    price: PRICE,
    delta: COUNT,
  }),
};

const series: ArchiveTable = {
  name: "series",
  kind: "snapshot",
  orderBy: ["ticker"],
  columns: cols({
    ticker: text,
    title: text,
    category: text,
    categories: textArray,
    tags: textArray,
    frequency: text,
    fee_type: text,
    fee_multiplier: FEE,
    volume: COUNT,
    exchange_index: integer,
    last_updated_ts: timestamptz,
    raw: json,
    first_seen_at: timestamptz,
    updated_at: timestamptz,
  }),
};

const events: ArchiveTable = {
  name: "events",
  kind: "snapshot",
  orderBy: ["event_ticker"],
  columns: cols({
    event_ticker: text,
    series_ticker: text,
    title: text,
    sub_title: text,
    category: text,
    collateral_return_type: text,
    mutually_exclusive: boolean,
    is_multivariate: boolean,
    strike_date: timestamptz,
    strike_period: text,
    fee_type_override: text,
    fee_multiplier_override: FEE,
    exchange_index: integer,
    last_updated_ts: timestamptz,
    raw: json,
    first_seen_at: timestamptz,
    updated_at: timestamptz,
  }),
};

const markets: ArchiveTable = {
  name: "markets",
  kind: "snapshot",
  orderBy: ["ticker"],
  columns: cols({
    ticker: text,
    event_ticker: text,
    series_ticker: text,
    status: text,
    market_type: text,
    title: text,
    subtitle: text,
    yes_sub_title: text,
    no_sub_title: text,
    result: text,
    can_close_early: boolean,
    is_multivariate: boolean,
    mve_collection_ticker: text,
    created_time: timestamptz,
    updated_time: timestamptz,
    open_time: timestamptz,
    close_time: timestamptz,
    expected_expiration_time: timestamptz,
    latest_expiration_time: timestamptz,
    expiration_time: timestamptz,
    occurrence_datetime: timestamptz,
    determination_ts: timestamptz,
    settlement_ts: timestamptz,
    settlement_timer_seconds: integer,
    yes_bid: PRICE,
    yes_ask: PRICE,
    no_bid: PRICE,
    no_ask: PRICE,
    last_price: PRICE,
    previous_yes_bid: PRICE,
    previous_yes_ask: PRICE,
    previous_price: PRICE,
    notional_value: PRICE,
    settlement_value: PRICE,
    yes_bid_size: COUNT,
    yes_ask_size: COUNT,
    volume: COUNT,
    volume_24h: COUNT,
    open_interest: COUNT,
    strike_type: text,
    floor_strike: STRIKE,
    cap_strike: STRIKE,
    functional_strike: text,
    custom_strike: json,
    price_level_structure: text,
    price_ranges: json,
    rules_primary: text,
    rules_secondary: text,
    exchange_index: integer,
    raw: json,
    first_seen_at: timestamptz,
    updated_at: timestamptz,
  }),
};

/** Every exported table, in export order. */
export const ARCHIVE_TABLES: readonly ArchiveTable[] = [
  ticks,
  trades,
  candles,
  marketLifecycle,
  orderbookSnapshots,
  orderbookDeltas,
  series,
  events,
  markets,
];

/** The names of {@linkcode ARCHIVE_TABLES}. */
export const ARCHIVE_TABLE_NAMES: readonly string[] = ARCHIVE_TABLES.map((t) => t.name);

/** The table called `name`; throws when the archive has none. */
export function archiveTable(name: string): ArchiveTable {
  const table = ARCHIVE_TABLES.find((t) => t.name === name);
  if (!table) {
    throw new Error(
      `the archive has no table "${name}"; expected one of ${ARCHIVE_TABLE_NAMES.join(", ")}`,
    );
  }
  return table;
}

/** The DuckDB (and Parquet) type of a column, e.g. `DECIMAL(18,4)`. */
export function duckType(type: ColumnType): string {
  switch (type.kind) {
    case "text":
      return "VARCHAR";
    case "json":
      return "JSON";
    case "text_array":
      return "VARCHAR[]";
    case "boolean":
      return "BOOLEAN";
    case "smallint":
      return "SMALLINT";
    case "integer":
      return "INTEGER";
    case "bigint":
      return "BIGINT";
    case "timestamptz":
      return "TIMESTAMPTZ";
    case "decimal":
      return `DECIMAL(${type.precision},${type.scale})`;
    case "levels":
      return `STRUCT(price ${duckType(PRICE)}, size ${duckType(COUNT)})[]`;
  }
}

/** The relation a table's rows are read from in PostgreSQL (its `source`, or the table). */
export function pgRelation(table: ArchiveTable): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(table.name)) throw new Error(`bad table name ${table.name}`);
  return table.source ? `${table.source} AS "${table.name}"` : `"${table.name}"`;
}
