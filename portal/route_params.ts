/** The query parameters of each page and its JSON twin, validated once here. */
import { z } from "zod";
import { type BrowseQuery, MARKET_SORTS } from "./data/browse.ts";
import { CANDLE_COLUMNS, type CandleColumn } from "./data/candles.ts";
import { MARKET_STATUSES } from "./data/browse.ts";
import { OPPORTUNITY_SORTS } from "./data/opportunities.ts";
import {
  checkRange,
  instantSchema,
  intParam,
  ParamError,
  parseQuery,
  periodSchema,
  tickerSchema,
} from "./params.ts";

const text = (max: number) =>
  z.string().max(max, `at most ${max} characters`).refine(
    (t) => !t.includes("\0"),
    "text without NUL characters",
  );

/** True when `text` (`YYYY-MM-DDTHH:MM:SS…Z`) names a real instant from year 1 (PostgreSQL's). */
function isRealInstant(text: string): boolean {
  const seconds = text.slice(0, 19);
  const date = new Date(`${seconds}Z`);
  return !Number.isNaN(date.getTime()) && !seconds.startsWith("0000") &&
    date.toISOString().slice(0, 19) === seconds;
}

/** Text of a sort key: a decimal, an ISO 8601 time with microseconds, or `null` (a NULL key). */
const sortKeySchema = z.string().regex(
  /^(null|-?\d{1,20}(\.\d{1,20})?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z)$/,
  "the next_key of the previous page: a decimal, an ISO 8601 UTC time, or null",
).refine((key) => !key.includes("T") || isRealInstant(key), "a real time (month, day and hour)");

const BROWSE_QUERY = {
  kind: z.enum(["markets", "events", "series"], { message: "one of markets, events, series" })
    .optional(),
  q: text(200).optional(),
  category: z.array(text(100)).optional(),
  frequency: z.array(text(100)).optional(),
  status: z.enum(MARKET_STATUSES, { message: `one of ${MARKET_STATUSES.join(", ")}` })
    .optional(),
  series: tickerSchema.optional(),
  event: tickerSchema.optional(),
  closes_after: instantSchema.optional(),
  closes_before: instantSchema.optional(),
  closes_within: intParam(1, 24 * 366).optional(),
  sort: z.enum(MARKET_SORTS, { message: `one of ${MARKET_SORTS.join(", ")}` }).optional(),
  order: z.enum(["asc", "desc"], { message: "asc or desc" }).optional(),
  after: tickerSchema.optional(),
  after_key: sortKeySchema.optional(),
  limit: intParam(1, 200).optional(),
};

function onlyFor(kind: string, p: Record<string, unknown>, names: string[], what: string): void {
  const given = names.find((n) => p[n] !== undefined);
  if (given) throw new ParamError(given, `only with ${what} (kind is ${kind})`);
}

/** The sorted-browse cursor: `after_key` with `after` and `sort`, in the sort key's format. */
function checkSortCursor(p: { sort?: string; after?: string; after_key?: string }): void {
  if (p.after_key === undefined) {
    if (p.sort && p.after) throw new ParamError("after_key", "required with sort and after");
    return;
  }
  if (!p.sort || !p.after) throw new ParamError("after_key", "only with sort and after");
  const isTime = p.after_key.includes("T");
  if (p.after_key !== "null" && isTime !== (p.sort === "close_time")) {
    throw new ParamError("after_key", `a ${isTime ? "decimal" : "time"} for sort=${p.sort}`);
  }
}

/**
 * `/browse` and `/api/browse`. `closes_within=H` (hours) lists markets closing in [now, now+H);
 * `sort` pages by that key and the ticker (`after` + `after_key` from the previous page).
 */
export function browseParams(url: URL, now: Date): BrowseQuery {
  const p = parseQuery(url, BROWSE_QUERY, { repeated: ["category", "frequency"] });
  checkRange(p.closes_after, p.closes_before);
  const kind = p.kind ?? "markets";
  if (kind !== "markets") {
    onlyFor(kind, p, [
      "status",
      "event",
      "closes_after",
      "closes_before",
      "closes_within",
      "frequency",
      "sort",
      "order",
      "after_key",
    ], "kind=markets");
  }
  if (kind === "series" && p.series) throw new ParamError("series", "not with kind=series");
  if (p.closes_within && (p.closes_after || p.closes_before)) {
    throw new ParamError("closes_within", "not with closes_after or closes_before");
  }
  if (p.order && !p.sort) throw new ParamError("order", "only with sort");
  checkSortCursor(p);
  const within = p.closes_within;
  return {
    kind,
    q: p.q,
    categories: p.category,
    frequencies: p.frequency,
    status: p.status,
    series: p.series,
    event: p.event,
    closesAfter: within ? now : p.closes_after,
    closesBefore: within ? new Date(now.getTime() + within * 3600_000) : p.closes_before,
    closesWithin: within,
    sort: p.sort,
    order: p.sort ? p.order ?? (p.sort === "close_time" ? "asc" : "desc") : undefined,
    after: p.after,
    afterKey: p.after_key === undefined ? undefined : p.after_key === "null" ? null : p.after_key,
    limit: p.limit ?? 50,
  };
}

/** `fields=a,b`: candle columns for JSON answers (end_period_ts always included). */
const candleFieldsSchema = z.string().transform((text, ctx) => {
  const names = text.split(",").map((n) => n.trim()).filter((n) => n !== "");
  const unknown = names.find((n) => !(CANDLE_COLUMNS as readonly string[]).includes(n));
  if (unknown !== undefined || names.length === 0) {
    ctx.addIssue({
      code: "custom",
      message: `comma-separated candle columns (${unknown ?? "none"} is not one of ${
        CANDLE_COLUMNS.join(", ")
      })`,
    });
    return z.NEVER;
  }
  return names as CandleColumn[];
});

const CANDLE_QUERY = {
  period: periodSchema.optional(),
  from: instantSchema.optional(),
  to: instantSchema.optional(),
  format: z.enum(["json", "csv"], { message: "json or csv" }).optional(),
  fields: candleFieldsSchema.optional(),
  shape: z.enum(["objects", "rows"], { message: "objects or rows" }).optional(),
};

/** `/api/markets/{ticker}/candles`. */
export function candleParams(url: URL) {
  const p = parseQuery(url, CANDLE_QUERY);
  checkRange(p.from, p.to);
  if (p.format === "csv") {
    if (p.fields) throw new ParamError("fields", "only with format=json");
    if (p.shape) throw new ParamError("shape", "only with format=json");
  }
  return {
    period: p.period,
    from: p.from,
    to: p.to,
    format: p.format ?? "json",
    fields: p.fields,
    shape: p.shape ?? "objects",
  };
}

/** Parameters of the ticks API. */
const TICK_QUERY = {
  from: instantSchema.optional(),
  to: instantSchema.optional(),
  format: z.enum(["json", "csv"], { message: "json or csv" }).optional(),
  limit: intParam(1, 5000).optional(),
};

/** `/api/markets/{ticker}/ticks`: a range (default the last 24 hours before `to`). */
export function tickParams(url: URL, now: Date) {
  const p = parseQuery(url, TICK_QUERY);
  const to = p.to ?? now;
  const from = p.from ?? new Date(to.getTime() - 86_400_000);
  checkRange(from, to);
  return { from, to, format: p.format ?? "csv", limit: p.limit ?? 1000 };
}

/** Parameters of the predictions page and API. */
const PREDICTION_QUERY = {
  model: text(200).optional(),
  market: tickerSchema.optional(),
  before: z.string().regex(/^\d{1,18}$/, "a prediction id").optional(),
  limit: intParam(1, 500).optional(),
};

/** `/predictions` and `/api/predictions`. */
export function predictionParams(url: URL) {
  const p = parseQuery(url, PREDICTION_QUERY);
  return { model: p.model, market: p.market, before: p.before, limit: p.limit ?? 50 };
}

const NO_PARAMS = {};

/** Pages without parameters still reject unknown ones. */
export function noParams(url: URL): void {
  if (url.search !== "") parseQuery(url, NO_PARAMS);
}

/** Parameters of an event's prices. */
const EVENT_PRICE_QUERY = {
  period: periodSchema.optional(),
  from: instantSchema.optional(),
  to: instantSchema.optional(),
};

/** `/api/events/{ticker}/prices`: a period (default 60) and an optional range. */
export function eventPriceParams(url: URL) {
  const p = parseQuery(url, EVENT_PRICE_QUERY);
  checkRange(p.from, p.to);
  return { period: p.period ?? 60, from: p.from, to: p.to };
}

/** A trade id (Kalshi's are UUIDs). */
const tradeIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "a trade id");

/** An instant with microseconds, as a trades page's `next_before` gives it. */
const exactInstantSchema = z.string().regex(
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/,
  "the next_before of the previous page (ISO 8601 UTC, up to microseconds)",
).refine(isRealInstant, "a real time (month, day and hour)");

const TRADE_QUERY = {
  from: instantSchema.optional(),
  to: instantSchema.optional(),
  format: z.enum(["json", "csv"], { message: "json or csv" }).optional(),
  before: exactInstantSchema.optional(),
  before_id: tradeIdSchema.optional(),
  limit: intParam(1, 1000).optional(),
};

/**
 * `/markets/{ticker}/trades` and `/api/markets/{ticker}/trades`: an optional range; JSON and the
 * page list newest first, `limit` at a time, continuing before (`before`, `before_id`); CSV
 * streams the whole range oldest first.
 */
export function tradeParams(url: URL, options: { page: boolean }) {
  const p = parseQuery(url, TRADE_QUERY);
  checkRange(p.from, p.to);
  if (options.page && p.format) throw new ParamError("format", "only on the API's trades");
  if ((p.before === undefined) !== (p.before_id === undefined)) {
    throw new ParamError(p.before ? "before_id" : "before", "given together with its pair");
  }
  const format = p.format ?? "json";
  if (format === "csv" && (p.before || p.limit)) {
    throw new ParamError(p.before ? "before" : "limit", "only with format=json");
  }
  return {
    from: p.from,
    to: p.to,
    format,
    before: p.before ? { time: p.before, id: p.before_id! } : undefined,
    limit: p.limit ?? 100,
  };
}

/** A probability distance: a decimal from 0 to 1 with at most 4 decimals. */
const thresholdSchema = z.string().regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?|\.\d{1,4})$/, {
  message: "a decimal from 0 to 1 (at most 4 decimals), e.g. 0.05",
});

/** Parameters of the opportunities page and API. */
const OPPORTUNITY_QUERY = {
  threshold: thresholdSchema.optional(),
  sort: z.enum(OPPORTUNITY_SORTS, { message: `one of ${OPPORTUNITY_SORTS.join(", ")}` })
    .optional(),
  order: z.enum(["asc", "desc"], { message: "asc or desc" }).optional(),
  after: tickerSchema.optional(),
  after_key: sortKeySchema.optional(),
  limit: intParam(1, 500).optional(),
};

/** `/opportunities` and `/api/opportunities`. */
export function opportunityParams(url: URL) {
  const p = parseQuery(url, OPPORTUNITY_QUERY);
  if ((p.after === undefined) !== (p.after_key === undefined)) {
    throw new ParamError(p.after ? "after_key" : "after", "given together with its pair");
  }
  if (p.after_key?.includes("T")) throw new ParamError("after_key", "a decimal or null");
  return {
    threshold: p.threshold ?? "0.05",
    sort: p.sort ?? "gap",
    order: p.order ?? "desc",
    after: p.after === undefined
      ? undefined
      : { id: p.after, key: p.after_key === "null" ? null : p.after_key! },
    limit: p.limit ?? 100,
  };
}

/** Parameters of the order-book API and the market page. */
const ORDERBOOK_QUERY = { at: instantSchema.optional() };

/** `/api/markets/{ticker}/orderbook`: the instant (default now). */
export function orderbookParams(url: URL, now: Date): { at: Date } {
  const p = parseQuery(url, ORDERBOOK_QUERY);
  return { at: p.at ?? now };
}
