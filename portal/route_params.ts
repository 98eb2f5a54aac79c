/** The query parameters of each page and its JSON twin, validated once here. */
import { z } from "zod";
import type { BrowseQuery } from "./data/browse.ts";
import { CANDLE_COLUMNS, type CandleColumn } from "./data/candles.ts";
import { MARKET_STATUSES } from "./data/browse.ts";
import {
  checkRange,
  instantSchema,
  intParam,
  ParamError,
  parseQuery,
  periodSchema,
  tickerSchema,
} from "./params.ts";

const text = (max: number) => z.string().max(max, `at most ${max} characters`);

/** `/browse` and `/api/browse`. */
export function browseParams(url: URL): BrowseQuery {
  const p = parseQuery(url, {
    kind: z.enum(["markets", "events", "series"], { message: "one of markets, events, series" })
      .optional(),
    q: text(200).optional(),
    category: text(100).optional(),
    status: z.enum(MARKET_STATUSES, { message: `one of ${MARKET_STATUSES.join(", ")}` })
      .optional(),
    series: tickerSchema.optional(),
    event: tickerSchema.optional(),
    closes_after: instantSchema.optional(),
    closes_before: instantSchema.optional(),
    after: tickerSchema.optional(),
    limit: intParam(1, 200).optional(),
  });
  checkRange(p.closes_after, p.closes_before);
  const kind = p.kind ?? "markets";
  if (kind !== "markets" && (p.status || p.event || p.closes_after || p.closes_before)) {
    throw new ParamError(
      p.status ? "status" : p.event ? "event" : "closes_after",
      "only with kind=markets",
    );
  }
  if (kind === "series" && p.series) throw new ParamError("series", "not with kind=series");
  return {
    kind,
    q: p.q,
    category: p.category,
    status: p.status,
    series: p.series,
    event: p.event,
    closesAfter: p.closes_after,
    closesBefore: p.closes_before,
    after: p.after,
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
};

/** `/api/markets/{ticker}/candles`. */
export function candleParams(url: URL) {
  const p = parseQuery(url, CANDLE_QUERY);
  checkRange(p.from, p.to);
  if (p.fields && p.format === "csv") throw new ParamError("fields", "only with format=json");
  return { period: p.period, from: p.from, to: p.to, format: p.format ?? "json", fields: p.fields };
}

/** `/api/markets/{ticker}/ticks`: a range (default the last 24 hours before `to`). */
export function tickParams(url: URL, now: Date) {
  const p = parseQuery(url, {
    from: instantSchema.optional(),
    to: instantSchema.optional(),
    format: z.enum(["json", "csv"], { message: "json or csv" }).optional(),
    limit: intParam(1, 5000).optional(),
  });
  const to = p.to ?? now;
  const from = p.from ?? new Date(to.getTime() - 86_400_000);
  checkRange(from, to);
  return { from, to, format: p.format ?? "csv", limit: p.limit ?? 1000 };
}

/** `/predictions` and `/api/predictions`. */
export function predictionParams(url: URL) {
  const p = parseQuery(url, {
    model: text(200).optional(),
    market: tickerSchema.optional(),
    before: z.string().regex(/^\d{1,18}$/, "a prediction id").optional(),
    limit: intParam(1, 500).optional(),
  });
  return { model: p.model, market: p.market, before: p.before, limit: p.limit ?? 50 };
}

const NO_PARAMS = {};

/** Pages without parameters still reject unknown ones. */
export function noParams(url: URL): void {
  if (url.search !== "") parseQuery(url, NO_PARAMS);
}
