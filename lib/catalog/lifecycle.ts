/**
 * Lifecycle messages applied to `markets` and `events`: the catalog is the one writer of those
 * tables, whether a row comes from discovery (catalog.ts) or from the WebSocket (here).
 *
 * {@linkcode lifecycleChange} turns a validated, normalised lifecycle message into a small plain
 * change (kept in the capture row, so it survives the spool as JSON); {@linkcode applyLifecycle}
 * writes it. Values are the schema's normalised ones: seconds become timestamps, settlement values
 * exact dollars; jsonb columns keep Kalshi's own JSON, as discovery stores them.
 * @module
 */
import type postgres from "postgres";
import type { Queryable } from "../db/mod.ts";
import type {
  EventFeeUpdateMessage,
  EventLifecycleMessage,
  MarketLifecycleMessage,
} from "../kalshi/mod.ts";
import { priceUnitsToDollars } from "../kalshi/mod.ts";
import { eventTickerOfMarket, seriesTickerOfEvent } from "../scope/mod.ts";

/** A JSON object as received (the raw message, a custom strike). */
export type Json = Record<string, unknown>;

/** The event a lifecycle message creates or updates. */
export interface EventChange {
  /** An event created or updated. */
  kind: "event";
  /** The event ticker. */
  eventTicker: string;
  /** Its series' ticker. */
  seriesTicker: string;
  /** The event's title. */
  title: string | null;
  /** The event's subtitle. */
  subtitle: string | null;
  /** Kalshi's `collateral_return_type`. */
  collateralReturnType: string | null;
  /** Strike date, RFC 3339. */
  strikeDate: string | null;
  /** The span its markets cover (`day`, `week`, …). */
  strikePeriod: string | null;
  /** Kalshi's exchange index of the event. */
  exchangeIndex: number | null;
  /** The message as received. */
  raw: Json;
}

/** New fee overrides of an event. */
export interface EventFeeChange {
  /** An event's fee override changed. */
  kind: "event_fee";
  /** The event ticker. */
  eventTicker: string;
  /** Its series' ticker. */
  seriesTicker: string;
  /** The fee type that overrides the series' (null: none). */
  feeTypeOverride: string | null;
  /** The fee multiplier that overrides the series' (decimal string; null: none). */
  feeMultiplierOverride: string | null;
  /** The message as received. */
  raw: Json;
}

/** A market first met through `created` (inserted when absent; discovery refines it). */
export interface MarketCreatedChange {
  /** A market created. */
  kind: "market_created";
  /** The market ticker. */
  ticker: string;
  /** Its event's ticker. */
  eventTicker: string;
  /** Whether it is a multivariate (combo) market. */
  isMultivariate: boolean;
  /** The market's title. */
  title: string | null;
  /** Subtitle of the YES side. */
  yesSubTitle: string | null;
  /** Subtitle of the NO side. */
  noSubTitle: string | null;
  /** The primary rules text. */
  rulesPrimary: string | null;
  /** The secondary rules text. */
  rulesSecondary: string | null;
  /** Whether the market may close before its close time. */
  canCloseEarly: boolean | null;
  /** Open time, RFC 3339. */
  openTime: string | null;
  /** Close time, RFC 3339. */
  closeTime: string | null;
  /** Expected expiration time, RFC 3339. */
  expectedExpirationTime: string | null;
  /** How the strike is defined (`greater`, `between`, `custom`, …). */
  strikeType: string | null;
  /** Lower strike (decimal string). */
  floorStrike: string | null;
  /** Upper strike (decimal string). */
  capStrike: string | null;
  /** The custom strike object. */
  customStrike: Json | null;
  /** Kalshi's price level structure name. */
  priceLevelStructure: string | null;
  /** The price ranges of the price level structure, as received. */
  priceRanges: unknown;
  /** Kalshi's exchange index of the market. */
  exchangeIndex: number | null;
  /** The message as received. */
  raw: Json;
}

/** Column updates of an existing market; `null` fields keep the stored value. */
export interface MarketUpdateChange {
  /** Column updates of an existing market. */
  kind: "market_update";
  /** The market ticker. */
  ticker: string;
  /** Its new status. */
  status: string | null;
  /**
   * Exchange time of the status change when the message carries one (`determination_ts`,
   * `settled_ts`); null: the receive time stands in (see {@linkcode ApplyLifecycleOptions}).
   * Absent in changes spooled before this field existed.
   */
  statusTs?: string | null;
  /** New close time, RFC 3339. */
  closeTime: string | null;
  /** The result once determined (`yes`, `no`, …). */
  result: string | null;
  /** Determination time, RFC 3339. */
  determinationTs: string | null;
  /** Settlement value (decimal string, dollars). */
  settlementValue: string | null;
  /** Settlement time, RFC 3339. */
  settlementTs: string | null;
  /** How the strike is defined. */
  strikeType: string | null;
  /** Lower strike (decimal string). */
  floorStrike: string | null;
  /** Upper strike (decimal string). */
  capStrike: string | null;
  /** The custom strike object. */
  customStrike: Json | null;
  /** Subtitle of the YES side. */
  yesSubTitle: string | null;
  /** Kalshi's price level structure name. */
  priceLevelStructure: string | null;
  /** The price ranges of the price level structure, as received. */
  priceRanges: unknown;
}

/** What one lifecycle message changes in the catalog (`none`: kept in market_lifecycle only). */
export type LifecycleChange =
  | EventChange
  | EventFeeChange
  | MarketCreatedChange
  | MarketUpdateChange
  | { kind: "none" };

/** A lifecycle message of any of the lifecycle channels. */
export type LifecycleMessage =
  | MarketLifecycleMessage
  | EventLifecycleMessage
  | EventFeeUpdateMessage;

const iso = (seconds: number | null) =>
  seconds === null ? null : new Date(seconds * 1000).toISOString();

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function decimal(value: unknown): string | null {
  return typeof value === "number" && Number.isFinite(value) ? String(value) : null;
}

function object(value: unknown): Json | null {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Json
    : null;
}

/** The message body (`msg`) as Kalshi sent it, for the jsonb columns. */
function body(message: { raw: unknown }): Json {
  return object(object(message.raw)?.msg) ?? {};
}

const EMPTY_UPDATE = {
  status: null,
  statusTs: null,
  closeTime: null,
  result: null,
  determinationTs: null,
  settlementValue: null,
  settlementTs: null,
  strikeType: null,
  floorStrike: null,
  capStrike: null,
  customStrike: null,
  yesSubTitle: null,
  priceLevelStructure: null,
  priceRanges: null,
} as const;

/** What a lifecycle message changes in `markets` / `events`. */
export function lifecycleChange(message: LifecycleMessage): LifecycleChange {
  if (message.type === "event_lifecycle") {
    return {
      kind: "event",
      eventTicker: message.eventTicker,
      seriesTicker: text(message.seriesTicker) ?? seriesTickerOfEvent(message.eventTicker),
      title: text(message.title),
      subtitle: text(message.subtitle),
      collateralReturnType: text(message.collateralReturnType),
      strikeDate: iso(message.strikeDate),
      strikePeriod: text(message.strikePeriod),
      exchangeIndex: message.exchangeIndex,
      raw: body(message),
    };
  }
  if (message.type === "event_fee_update") {
    return {
      kind: "event_fee",
      eventTicker: message.eventTicker,
      seriesTicker: seriesTickerOfEvent(message.eventTicker),
      feeTypeOverride: text(message.feeTypeOverride),
      feeMultiplierOverride: decimal(message.feeMultiplierOverride),
      raw: body(message),
    };
  }
  return marketChange(message);
}

function marketChange(m: MarketLifecycleMessage): LifecycleChange {
  const update = { kind: "market_update" as const, ticker: m.marketTicker, ...EMPTY_UPDATE };
  switch (m.eventType) {
    case "created":
      return createdChange(m);
    case "activated":
    case "deactivated":
      return {
        ...update,
        status: m.isDeactivated === true || m.eventType === "deactivated" ? "inactive" : "active",
      };
    case "close_date_updated":
      return { ...update, closeTime: iso(m.closeTs) };
    case "determined":
      return {
        ...update,
        status: "determined",
        statusTs: iso(m.determinationTs),
        result: text(m.result),
        determinationTs: iso(m.determinationTs),
        settlementValue: m.settlementValue === null ? null : priceUnitsToDollars(m.settlementValue),
      };
    case "settled":
      return {
        ...update,
        status: "finalized",
        statusTs: iso(m.settledTs),
        settlementTs: iso(m.settledTs),
      };
    case "metadata_updated":
      return {
        ...update,
        strikeType: text(m.strikeType),
        floorStrike: decimal(m.floorStrike),
        capStrike: decimal(m.capStrike),
        customStrike: m.customStrike,
        yesSubTitle: text(m.yesSubTitle),
      };
    case "price_level_structure_updated":
      return {
        ...update,
        priceLevelStructure: text(m.priceLevelStructure),
        priceRanges: body(m).price_ranges ?? null,
      };
    default:
      return { kind: "none" };
  }
}

function createdChange(m: MarketLifecycleMessage): MarketCreatedChange {
  const meta = m.additionalMetadata ?? {};
  const raw = body(m);
  return {
    kind: "market_created",
    ticker: m.marketTicker,
    eventTicker: text(meta.event_ticker) ?? eventTickerOfMarket(m.marketTicker),
    isMultivariate: m.type === "multivariate_market_lifecycle",
    title: text(meta.title),
    yesSubTitle: text(meta.yes_sub_title),
    noSubTitle: text(meta.no_sub_title),
    rulesPrimary: text(meta.rules_primary),
    rulesSecondary: text(meta.rules_secondary),
    canCloseEarly: typeof meta.can_close_early === "boolean" ? meta.can_close_early : null,
    openTime: iso(m.openTs),
    closeTime: iso(m.closeTs),
    expectedExpirationTime: typeof meta.expected_expiration_ts === "number"
      ? iso(meta.expected_expiration_ts)
      : null,
    strikeType: text(meta.strike_type),
    floorStrike: decimal(meta.floor_strike),
    capStrike: decimal(meta.cap_strike),
    customStrike: object(meta.custom_strike),
    priceLevelStructure: text(m.priceLevelStructure),
    priceRanges: raw.price_ranges ?? null,
    exchangeIndex: m.exchangeIndex,
    raw,
  };
}

const json = (value: unknown) => (value ?? null) as postgres.JSONValue;

/** Options of {@linkcode applyLifecycle}. */
export interface ApplyLifecycleOptions {
  /**
   * When the message was received (ISO 8601; default: now). It stands in for the exchange time of
   * a status change whose message carries none (activated, deactivated): Kalshi stamps those with
   * nothing, so the receive time is the best bound we have.
   */
  receivedAt?: string;
}

/**
 * Applies a change; returns the ticker of a market it created, else null. A status change older
 * (by exchange time) than the market's stored one is skipped with its result and settlement
 * columns, so neither a late REST page nor a replayed batch moves a market backwards.
 */
export async function applyLifecycle(
  sql: Queryable,
  change: LifecycleChange,
  options: ApplyLifecycleOptions = {},
): Promise<string | null> {
  switch (change.kind) {
    case "event":
      await upsertEventFromLifecycle(sql, change);
      return null;
    case "event_fee":
      await sql`
        INSERT INTO events (event_ticker, series_ticker, fee_type_override,
          fee_multiplier_override, raw)
        VALUES (${change.eventTicker}, ${change.seriesTicker}, ${change.feeTypeOverride},
          ${change.feeMultiplierOverride}, ${sql.json(json(change.raw))})
        ON CONFLICT (event_ticker) DO UPDATE SET
          fee_type_override = EXCLUDED.fee_type_override,
          fee_multiplier_override = EXCLUDED.fee_multiplier_override,
          updated_at = now()`;
      return null;
    case "market_created":
      return await insertMarketFromLifecycle(sql, change);
    case "market_update":
      await updateMarketFromLifecycle(sql, change, options.receivedAt ?? new Date().toISOString());
      return null;
    case "none":
      return null;
  }
}

async function upsertEventFromLifecycle(sql: Queryable, c: EventChange): Promise<void> {
  await sql`
    INSERT INTO events (event_ticker, series_ticker, title, sub_title, collateral_return_type,
      strike_date, strike_period, exchange_index, raw)
    VALUES (${c.eventTicker}, ${c.seriesTicker}, ${c.title}, ${c.subtitle},
      ${c.collateralReturnType}, ${c.strikeDate}, ${c.strikePeriod}, ${c.exchangeIndex},
      ${sql.json(json(c.raw))})
    ON CONFLICT (event_ticker) DO UPDATE SET
      title = COALESCE(EXCLUDED.title, events.title),
      sub_title = COALESCE(EXCLUDED.sub_title, events.sub_title),
      collateral_return_type = COALESCE(EXCLUDED.collateral_return_type,
                                        events.collateral_return_type),
      strike_date = COALESCE(EXCLUDED.strike_date, events.strike_date),
      strike_period = COALESCE(EXCLUDED.strike_period, events.strike_period),
      exchange_index = COALESCE(EXCLUDED.exchange_index, events.exchange_index),
      updated_at = now()`;
}

async function insertMarketFromLifecycle(
  sql: Queryable,
  c: MarketCreatedChange,
): Promise<string | null> {
  const inserted = await sql`
    INSERT INTO markets (ticker, event_ticker, series_ticker, status, title, yes_sub_title,
      no_sub_title, rules_primary, rules_secondary, can_close_early, is_multivariate, open_time,
      close_time, expected_expiration_time, strike_type, floor_strike, cap_strike, custom_strike,
      price_level_structure, price_ranges, exchange_index, raw)
    VALUES (${c.ticker}, ${c.eventTicker},
      COALESCE((SELECT series_ticker FROM events WHERE event_ticker = ${c.eventTicker}),
               ${seriesTickerOfEvent(c.eventTicker)}),
      'initialized', ${c.title}, ${c.yesSubTitle}, ${c.noSubTitle}, ${c.rulesPrimary},
      ${c.rulesSecondary}, ${c.canCloseEarly}, ${c.isMultivariate}, ${c.openTime},
      ${c.closeTime}, ${c.expectedExpirationTime}, ${c.strikeType}, ${c.floorStrike}::numeric,
      ${c.capStrike}::numeric, ${c.customStrike === null ? null : sql.json(json(c.customStrike))},
      ${c.priceLevelStructure}, ${c.priceRanges === null ? null : sql.json(json(c.priceRanges))},
      ${c.exchangeIndex}::integer, ${sql.json(json(c.raw))})
    ON CONFLICT (ticker) DO NOTHING
    RETURNING ticker`;
  return inserted.length > 0 ? c.ticker : null;
}

async function updateMarketFromLifecycle(
  sql: Queryable,
  c: MarketUpdateChange,
  receivedAt: string,
): Promise<void> {
  const customStrike = c.customStrike === null ? null : sql.json(json(c.customStrike));
  const priceRanges = c.priceRanges === null ? null : sql.json(json(c.priceRanges));
  const at = c.status === null ? null : c.statusTs ?? receivedAt;
  // A status, its result and settlement columns move together, and only forward in exchange time.
  const newer = sql`(${at}::timestamptz >= COALESCE(status_ts, '-infinity'))`;
  await sql`
    UPDATE markets SET
      status = CASE WHEN ${newer} THEN ${c.status} ELSE status END,
      status_ts = CASE WHEN ${newer} THEN ${at}::timestamptz ELSE status_ts END,
      close_time = COALESCE(${c.closeTime}::timestamptz, close_time),
      result = CASE WHEN ${newer} THEN COALESCE(${c.result}, result) ELSE result END,
      determination_ts = CASE WHEN ${newer}
        THEN COALESCE(${c.determinationTs}::timestamptz, determination_ts)
        ELSE determination_ts END,
      settlement_value = CASE WHEN ${newer}
        THEN COALESCE(${c.settlementValue}::numeric, settlement_value)
        ELSE settlement_value END,
      settlement_ts = CASE WHEN ${newer}
        THEN COALESCE(${c.settlementTs}::timestamptz, settlement_ts)
        ELSE settlement_ts END,
      strike_type = COALESCE(${c.strikeType}, strike_type),
      floor_strike = COALESCE(${c.floorStrike}::numeric, floor_strike),
      cap_strike = COALESCE(${c.capStrike}::numeric, cap_strike),
      custom_strike = COALESCE(${customStrike}::jsonb, custom_strike),
      yes_sub_title = COALESCE(${c.yesSubTitle}, yes_sub_title),
      price_level_structure = COALESCE(${c.priceLevelStructure}, price_level_structure),
      price_ranges = COALESCE(${priceRanges}::jsonb, price_ranges),
      updated_at = now()
    WHERE ticker = ${c.ticker}`;
}
