/**
 * Zod building blocks shared by every Kalshi payload schema: tickers, timestamps, exact prices
 * and counts in both the current (dollar string / fixed-point) and legacy (integer cents /
 * integer contracts) encodings, and helpers that read a logical field from either encoding.
 */
import { z } from "zod";
import {
  centsToPriceUnits,
  contractsToCountUnits,
  type CountUnits,
  decimalToUnits,
  dollarsToPriceUnits,
  fixedPointToCountUnits,
  type PriceUnits,
} from "../units.ts";

/** A Kalshi series, event or market ticker (e.g. "KXHIGHNY-26MAY15-B65.5"). */
export const Ticker = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, {
  error: 'expected a Kalshi ticker (letters, digits, ".", "_", ":", "-")',
});

/** A ticker field that old payloads sometimes leave empty (e.g. event_lifecycle.series_ticker). */
export const TickerOrEmpty = z.union([z.literal(""), Ticker]);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 date-time string as Kalshi sends it ("2026-09-29T04:01:07.17746Z"). */
export const Rfc3339 = z.string().refine(
  (s) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)),
  { error: 'expected an RFC 3339 date-time such as "2026-09-29T04:01:07Z"' },
);

/** Go's zero time, which Kalshi emits for "never" (e.g. event.last_updated_ts). */
export const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

/** Unix seconds (integer). */
export const UnixSeconds = z.number().int({ error: "expected integer Unix seconds" }).nonnegative();
/** Unix milliseconds (integer). */
export const UnixMillis = z.number().int({ error: "expected integer Unix milliseconds" })
  .nonnegative();

/** A non-negative dollar string exactly representable in 1/10000 dollar ("0.5600"). */
export const DollarString = z.string().refine(
  (s) => {
    const r = decimalToUnits(s, 4);
    return r.ok;
  },
  { error: 'expected a non-negative dollar string with at most 4 decimals, e.g. "0.5600"' },
);

/** A fixed-point contract count string with at most 2 decimals ("10.00"); may be signed. */
export const FixedPointCount = z.string().refine(
  (s) => decimalToUnits(s, 2, { signed: true }).ok,
  { error: 'expected a fixed-point count string with at most 2 decimals, e.g. "10.00"' },
);

/** Legacy integer cents (0..100 for prices). */
export const Cents = z.number().int({ error: "expected integer cents" });

/** Legacy integer whole-contract count. */
export const Contracts = z.number().int({ error: "expected an integer contract count" });

/**
 * Shape entries for a price that may arrive as `<name>_dollars` (string; "" tolerated as
 * "absent", seen in Oct 2025) and/or legacy `<name>` (integer cents, or a dollar string in
 * the historical candle schema). Both optional and nullable; `requirePrice` enforces presence.
 */
export function priceShape<N extends string>(name: N) {
  return {
    [`${name}_dollars`]: z.union([z.literal(""), DollarString]).nullish(),
    [name]: z.union([Cents, DollarString]).nullish(),
  } as unknown as Record<`${N}_dollars` | N, z.ZodType>;
}

/**
 * Shape entries for a count that may arrive as `<name>_fp` (fixed-point string) and/or legacy
 * `<name>` (integer contracts, or a fixed-point string in the historical candle schema).
 */
export function countShape<N extends string>(name: N) {
  return {
    [`${name}_fp`]: FixedPointCount.nullish(),
    [name]: z.union([Contracts, FixedPointCount]).nullish(),
  } as unknown as Record<`${N}_fp` | N, z.ZodType>;
}

/** A record of raw wire fields (already validated by a schema). */
export type Wire = Record<string, unknown>;

/**
 * Reads a logical price from either encoding, newest first: `<name>_dollars`, then `<name>`
 * (integer = cents, string = dollars). Returns null when absent, null or "".
 */
export function readPrice(wire: Wire, name: string): PriceUnits | null {
  const dollars = wire[`${name}_dollars`];
  if (typeof dollars === "string" && dollars !== "") return dollarsToPriceUnits(dollars);
  const legacy = wire[name];
  if (typeof legacy === "number") return centsToPriceUnits(legacy);
  if (typeof legacy === "string" && legacy !== "") return dollarsToPriceUnits(legacy);
  return null;
}

/** Reads a logical count, newest first: `<name>_fp`, then `<name>` (integer = whole contracts). */
export function readCount(wire: Wire, name: string): CountUnits | null {
  const fp = wire[`${name}_fp`];
  if (typeof fp === "string" && fp !== "") return fixedPointToCountUnits(fp);
  const legacy = wire[name];
  if (typeof legacy === "number") return contractsToCountUnits(legacy);
  if (typeof legacy === "string" && legacy !== "") return fixedPointToCountUnits(legacy);
  return null;
}

/** Refinement: each named logical price must be present in one of its encodings. */
export function requirePrices(wire: Wire, ctx: z.RefinementCtx, names: readonly string[]): void {
  for (const name of names) {
    if (readPriceSafe(wire, name) === null) {
      ctx.addIssue({
        code: "custom",
        path: [`${name}_dollars`],
        input: wire[`${name}_dollars`],
        message:
          `required: expected ${name}_dollars (dollar string, e.g. "0.5600") or legacy ${name} (integer cents)`,
      });
    }
  }
}

/** Refinement: each named logical count must be present in one of its encodings. */
export function requireCounts(wire: Wire, ctx: z.RefinementCtx, names: readonly string[]): void {
  for (const name of names) {
    if (readCountSafe(wire, name) === null) {
      ctx.addIssue({
        code: "custom",
        path: [`${name}_fp`],
        input: wire[`${name}_fp`],
        message:
          `required: expected ${name}_fp (fixed-point string, e.g. "10.00") or legacy ${name} (integer contracts)`,
      });
    }
  }
}

function readPriceSafe(wire: Wire, name: string): PriceUnits | null {
  try {
    return readPrice(wire, name);
  } catch {
    return null;
  }
}

function readCountSafe(wire: Wire, name: string): CountUnits | null {
  try {
    return readCount(wire, name);
  } catch {
    return null;
  }
}

/** Normalises an optional RFC 3339 string: Go zero time, "" and absent become null. */
export function readTime(value: unknown): string | null {
  if (typeof value !== "string" || value === "" || value === GO_ZERO_TIME) return null;
  return value;
}

/** Returns the value if it is a string, else null. */
export function readString(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** Returns the value if it is a finite number, else null. */
export function readNumber(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Returns the value if it is a boolean, else null. */
export function readBoolean(value: unknown): boolean | null {
  return typeof value === "boolean" ? value : null;
}

/** An RFC 3339 field that may also be "" or Go's zero time (read as null). */
export const OptionalTime = z.union([z.literal(""), Rfc3339]).nullish();

/** Free-form JSON object (product_metadata, custom_strike …). */
export const JsonObject = z.record(z.string(), z.unknown());

/** Kalshi's `{name, url}` settlement source. */
export const SettlementSource = z.looseObject({
  name: z.string().nullish(),
  url: z.string().nullish(),
});

/** A price range of a market's grid (`{start, end, step}` dollar strings). */
export const PriceRange = z.looseObject({
  start: DollarString,
  end: DollarString,
  step: DollarString,
});

/** Normalised price range in price units. */
export interface PriceRangeUnits {
  start: PriceUnits;
  end: PriceUnits;
  step: PriceUnits;
}

/** Converts validated wire price ranges to price units. */
export function readPriceRanges(value: unknown): PriceRangeUnits[] | null {
  if (!Array.isArray(value)) return null;
  return value.map((r: Wire) => ({
    start: dollarsToPriceUnits(r.start as string),
    end: dollarsToPriceUnits(r.end as string),
    step: dollarsToPriceUnits(r.step as string),
  }));
}
