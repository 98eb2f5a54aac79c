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

/*
 * Bounds. Everything accepted here must be storable by PostgreSQL as the capture writes it and
 * exact in memory, so a message that validates can always be written:
 *
 * - Times (Unix seconds, Unix ms, RFC 3339) lie in [2000-01-01T00:00:00Z, 2200-01-01T00:00:00Z).
 *   Kalshi's data starts in 2021 and its longest-dated markets close decades ahead; the window is
 *   far inside PostgreSQL `timestamptz` (4713 BC to 294276 AD) and JavaScript `Date` (±8.64e15 ms),
 *   so seconds × 1000, ms → ISO text and the timestamptz cast never overflow, and every value is an
 *   exact safe integer. It also catches unit mix-ups: milliseconds sent as seconds land past 2200,
 *   seconds sent as milliseconds land in 1970.
 * - Integers are safe integers (Number.isSafeInteger); legacy cents and contracts stay safe once
 *   scaled to 1/10000 dollar and 1/100 contract; fields stored in `integer` columns (sid,
 *   exchange_index) fit 0 … 2^31 − 1. Other numbers are finite and within ±(2^53 − 1).
 * - Decimal strings (dollars, fixed-point counts) have at most 32 characters and convert to safe
 *   integer units (already exact by construction).
 * - Strings that reach `text` columns contain no NUL and no unpaired UTF-16 surrogate (PostgreSQL
 *   stores neither) and are length-bounded: tickers 256, identifiers and labels (status, result,
 *   event types …) 1024, free text (titles, rules) 65 536 characters. Whole stored payloads pass
 *   {@linkcode requireStorableJson} (same string rule for every key and value, nesting ≤ 64), since
 *   they go to `jsonb` whole.
 */

/** First instant accepted at the edge: 2000-01-01T00:00:00Z (ms). */
export const EARLIEST_TIME_MS: number = Date.UTC(2000, 0, 1);
/** First instant past the accepted window: 2200-01-01T00:00:00Z (ms); the window excludes it. */
export const TIME_LIMIT_MS: number = Date.UTC(2200, 0, 1);
/** Longest ticker accepted. */
export const MAX_TICKER_LENGTH = 256;
/** Longest identifier or label (status, event type, trade id, …) accepted. */
export const MAX_LABEL_LENGTH = 1024;
/** Longest free text (titles, rules) accepted. */
export const MAX_TEXT_LENGTH = 65_536;
/** Deepest JSON nesting accepted in a stored payload. */
export const MAX_JSON_DEPTH = 64;
/** Largest `integer` column value (PostgreSQL int4). */
export const MAX_INT32 = 2_147_483_647;
const MAX_DECIMAL_LENGTH = 32;

const FIRST_SECOND = EARLIEST_TIME_MS / 1000;
const LAST_SECOND = TIME_LIMIT_MS / 1000 - 1;
const WINDOW_TEXT = "2000-01-01T00:00:00Z … 2199-12-31T23:59:59Z";

/** Whether `ms` is an integer instant inside the accepted window. */
export function isWithinTimeWindow(ms: number): boolean {
  return Number.isSafeInteger(ms) && ms >= EARLIEST_TIME_MS && ms < TIME_LIMIT_MS;
}

/** Why `text` cannot be stored in a PostgreSQL `text` / `jsonb` value, or null when it can. */
export function unstorableText(text: string): string | null {
  if (text.includes("\u0000")) return "contains a NUL (\\u0000) character";
  if (!text.isWellFormed()) return "contains an unpaired UTF-16 surrogate";
  return null;
}

function boundedString(max: number, what: string) {
  const expected = `expected ${what}: a string of at most ${max} characters without NUL or ` +
    "unpaired surrogates";
  return z.string({ error: expected }).check((ctx) => {
    const problem = ctx.value.length > max
      ? `${ctx.value.length} characters`
      : unstorableText(ctx.value);
    if (problem !== null) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: `${expected} (${problem})` });
    }
  });
}

/** An identifier or short label (status, event type, result, side, trade id …) for a text column. */
export const Label = boundedString(MAX_LABEL_LENGTH, "a label");

/** Free text (titles, subtitles, rules) for a text column. */
export const Text = boundedString(MAX_TEXT_LENGTH, "text");

const TICKER = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const TICKER_EXPECTED = 'expected a Kalshi ticker (letters, digits, ".", "_", ":", "-", not ' +
  `starting with a symbol; at most ${MAX_TICKER_LENGTH} characters)`;

/** A Kalshi series, event or market ticker (e.g. "KXHIGHNY-26MAY15-B65.5"). */
export const Ticker = z.string({ error: TICKER_EXPECTED }).refine(
  (s) => s.length <= MAX_TICKER_LENGTH && TICKER.test(s),
  { error: TICKER_EXPECTED },
);

/** A ticker field that old payloads sometimes leave empty (e.g. event_lifecycle.series_ticker). */
export const TickerOrEmpty = z.string({ error: TICKER_EXPECTED }).refine(
  (s) => s === "" || (s.length <= MAX_TICKER_LENGTH && TICKER.test(s)),
  { error: `${TICKER_EXPECTED}, or ""` },
);

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/** Whether `s` is an RFC 3339 date-time naming a real calendar instant (any year). */
function isCalendarTime(s: string): boolean {
  const m = RFC3339.exec(s);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month, 0); // day 0 of the next month: the month's last day
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return month >= 1 && month <= 12 && day >= 1 && day <= lastDay.getUTCDate() && hour <= 23 &&
    minute <= 59 && second <= 59 && offsetOk;
}

/** The instant of an RFC 3339 date-time inside the accepted window, else null. */
export function rfc3339Ms(s: string): number | null {
  if (!isCalendarTime(s)) return null;
  const ms = Math.floor(Date.parse(s));
  return Number.isNaN(ms) || ms < EARLIEST_TIME_MS || ms >= TIME_LIMIT_MS ? null : ms;
}

const RFC3339_EXPECTED =
  `expected an RFC 3339 date-time within ${WINDOW_TEXT}, e.g. "2026-09-29T04:01:07Z"`;

/** An RFC 3339 date-time string as Kalshi sends it ("2026-09-29T04:01:07.17746Z"), in the window. */
export const Rfc3339 = z.string({ error: RFC3339_EXPECTED }).refine(
  (s) => rfc3339Ms(s) !== null,
  { error: RFC3339_EXPECTED },
);

/** Go's zero time, which Kalshi emits for "never" (e.g. event.last_updated_ts). */
export const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

/** Whether `s` is Go's zero time in any RFC 3339 spelling ("0001-01-01T00:00:00Z", "…00.000Z"). */
export function isGoZeroTime(s: string): boolean {
  return s.startsWith("0001-01-01T00:00:00") && RFC3339.test(s);
}

function unixTime(unit: "seconds" | "milliseconds", min: number, max: number, zero: boolean) {
  const expected = `expected integer Unix ${unit} within ${WINDOW_TEXT} (${min} … ${max})` +
    (zero ? ", or 0 for unset" : "");
  return z.number({ error: expected }).refine(
    (v) => Number.isInteger(v) && ((zero && v === 0) || (v >= min && v <= max)),
    { error: expected },
  );
}

/** Unix seconds (integer) inside the accepted window. */
export const UnixSeconds = unixTime("seconds", FIRST_SECOND, LAST_SECOND, false);
/** Unix milliseconds (integer) inside the accepted window. */
export const UnixMillis = unixTime(
  "milliseconds",
  EARLIEST_TIME_MS,
  TIME_LIMIT_MS - 1,
  false,
);
/**
 * An optional Unix-seconds field (lifecycle times, strike dates): in the window, or 0 / null /
 * absent for "unset" (Go's zero value); {@linkcode readUnixSeconds} reads 0 as null.
 */
export const OptionalUnixSeconds = unixTime("seconds", FIRST_SECOND, LAST_SECOND, true).nullish();

/** Reads an optional Unix-seconds field: null when absent, null or 0. */
export function readUnixSeconds(value: unknown): number | null {
  return typeof value === "number" && value !== 0 ? value : null;
}

function decimalString(scale: number, signed: boolean, expected: string, empty = false) {
  return z.string({ error: expected }).check((ctx) => {
    if (empty && ctx.value === "") return;
    const r = ctx.value.length > MAX_DECIMAL_LENGTH
      ? { ok: false as const, reason: `longer than ${MAX_DECIMAL_LENGTH} characters` }
      : decimalToUnits(ctx.value, scale, { signed });
    if (!r.ok) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: `${expected} (${r.reason})` });
    }
  });
}

const DOLLARS_EXPECTED = "expected a non-negative dollar string with at most 4 decimals and " +
  'at most 900719925474 dollars, e.g. "0.5600"';

/** A non-negative dollar string exactly representable in 1/10000 dollar ("0.5600"). */
export const DollarString = decimalString(4, false, DOLLARS_EXPECTED);

/** A {@linkcode DollarString} or "" (a `*_dollars` field Kalshi left empty: absent). */
export const DollarStringOrEmpty = decimalString(4, false, `${DOLLARS_EXPECTED}, or ""`, true);

/** A fixed-point contract count string with at most 2 decimals ("10.00"); may be signed. */
export const FixedPointCount = decimalString(
  2,
  true,
  "expected a fixed-point count string with at most 2 decimals and at most " +
    '90071992547409 contracts, e.g. "10.00"',
);

const MAX_SCALED_BY_100 = Math.floor(Number.MAX_SAFE_INTEGER / 100);

function integer(min: number, max: number, expected: string) {
  return z.number({ error: expected }).refine(
    (v) => Number.isInteger(v) && v >= min && v <= max,
    { error: expected },
  );
}

/** Legacy integer cents (0..100 for prices); bounded so 1/10000-dollar units stay exact. */
export const Cents = integer(
  -MAX_SCALED_BY_100,
  MAX_SCALED_BY_100,
  `expected integer cents within ±${MAX_SCALED_BY_100}`,
);

/** Legacy integer whole-contract count; bounded so 1/100-contract units stay exact. */
export const Contracts = integer(
  -MAX_SCALED_BY_100,
  MAX_SCALED_BY_100,
  `expected an integer contract count within ±${MAX_SCALED_BY_100}`,
);

/** A safe integer (command ids, error codes). */
export const SafeInteger = integer(
  Number.MIN_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER,
  "expected a safe integer (within ±9007199254740991)",
);

/** A non-negative safe integer (sequence numbers, whole-dollar volumes). */
export const NonNegativeInteger = integer(
  0,
  Number.MAX_SAFE_INTEGER,
  "expected a non-negative integer up to 9007199254740991",
);

/** A non-negative integer that fits a PostgreSQL `integer` column (sid, exchange_index). */
export const NonNegativeInt32 = integer(
  0,
  MAX_INT32,
  `expected a non-negative integer up to ${MAX_INT32} (PostgreSQL integer)`,
);

/** A finite number within ±(2^53 − 1) (strikes, fee multipliers) for a numeric column. */
export const FiniteNumber = z.number({ error: "expected a finite number" }).refine(
  (v) => Number.isFinite(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER,
  { error: "expected a finite number within ±9007199254740991" },
);

/**
 * Shape entries for a price that may arrive as `<name>_dollars` (string; "" tolerated as
 * "absent", seen in Oct 2025) and/or legacy `<name>` (integer cents, or a dollar string in
 * the historical candle schema). Both optional and nullable; `requirePrice` enforces presence.
 */
export function priceShape<N extends string>(name: N) {
  return {
    [`${name}_dollars`]: DollarStringOrEmpty.nullish(),
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
  if (typeof value !== "string" || value === "" || isGoZeroTime(value)) return null;
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

const OPTIONAL_TIME_EXPECTED = `${RFC3339_EXPECTED}, "" or Go's zero time "${GO_ZERO_TIME}"`;

/** An RFC 3339 field that may also be "" or Go's zero time (read as null by `readTime`). */
export const OptionalTime = z.string({ error: OPTIONAL_TIME_EXPECTED }).refine(
  (s) => s === "" || isGoZeroTime(s) || rfc3339Ms(s) !== null,
  { error: OPTIONAL_TIME_EXPECTED },
).nullish();

/** Free-form JSON object (product_metadata, custom_strike …). */
export const JsonObject = z.record(z.string(), z.unknown());

/** Kalshi's `{name, url}` settlement source. */
export const SettlementSource = z.looseObject({
  name: Text.nullish(),
  url: Text.nullish(),
});

/** A price range of a market's grid (`{start, end, step}` dollar strings). */
export const PriceRange = z.looseObject({
  start: DollarString,
  end: DollarString,
  step: DollarString,
});

/** Normalised price range in price units. */
export interface PriceRangeUnits {
  /** Lowest price of the range. */
  start: PriceUnits;
  /** Highest price of the range. */
  end: PriceUnits;
  /** Price tick within the range. */
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

interface Unstorable {
  path: PropertyKey[];
  input: unknown;
  message: string;
}

function findUnstorable(value: unknown, path: PropertyKey[], depth: number): Unstorable | null {
  if (typeof value === "string") {
    const problem = unstorableText(value);
    return problem === null ? null : {
      path: [...path],
      input: value,
      message: `expected text PostgreSQL can store (${problem})`,
    };
  }
  if (value === null || typeof value !== "object") return null;
  if (depth >= MAX_JSON_DEPTH) {
    return {
      path: [...path],
      input: value,
      message: `expected JSON nested at most ${MAX_JSON_DEPTH} levels deep`,
    };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const found = findUnstorable(value[i], path, depth + 1);
      path.pop();
      if (found !== null) return found;
    }
    return null;
  }
  for (const key in value) {
    const keyProblem = unstorableText(key);
    if (keyProblem !== null) {
      return {
        path: [...path],
        input: key,
        message: `expected object keys PostgreSQL can store (a key ${keyProblem})`,
      };
    }
    path.push(key);
    const found = findUnstorable((value as Wire)[key], path, depth + 1);
    path.pop();
    if (found !== null) return found;
  }
  return null;
}

/**
 * Why `value` cannot be stored whole in a `jsonb` column ("msg.title: expected text PostgreSQL can
 * store (…)"), or null when it can; the rule of {@linkcode requireStorableJson}.
 */
export function unstorableJson(value: unknown): string | null {
  const found = findUnstorable(value, [], 0);
  if (found === null) return null;
  const where = found.path.length === 0 ? "(payload)" : found.path.join(".");
  return `${where}: ${found.message}`;
}

/**
 * Refinement for payloads stored whole in `jsonb` (unknown fields included): every key and string
 * value must be storable text ({@linkcode unstorableText}) and nesting at most
 * {@linkcode MAX_JSON_DEPTH} deep. Reports the first problem at its path.
 */
export function requireStorableJson(value: unknown, ctx: z.RefinementCtx): void {
  const found = findUnstorable(value, [], 0);
  if (found !== null) ctx.addIssue({ code: "custom", ...found });
}
