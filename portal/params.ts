/** Validation of URL parameters (zod) into typed values; a failure becomes a 400 that says why. */
import { z } from "zod";

/** A request parameter that failed validation: which one and what was wrong. */
export class ParamError extends Error {
  /** The parameter name (or `path` for a path segment). */
  readonly param: string;
  /** What a valid value looks like. */
  readonly expected: string;
  /** Creates the error. */
  constructor(param: string, expected: string) {
    super(`invalid parameter ${param}: ${expected}`);
    this.name = "ParamError";
    this.param = param;
    this.expected = expected;
  }
}

/** Kalshi tickers: letters, digits, `-`, `.`, `_`; up to 128 characters. */
export const tickerSchema = z.string().regex(
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
  "a ticker: letters, digits, '-', '.', '_' (at most 128 characters)",
);

/** An instant given as ISO 8601 (`2026-01-05T00:00:00Z`, `2026-01-05`) or Unix seconds. */
export const instantSchema = z.string().transform((text, ctx) => {
  const trimmed = text.trim();
  let date: Date | undefined;
  if (/^\d{1,11}$/.test(trimmed)) date = new Date(Number(trimmed) * 1000);
  else if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    // A day that does not exist (Feb 30) is refused, never rolled over into the next month.
    const day = trimmed.slice(0, 10);
    const real = new Date(`${day}T00:00:00Z`);
    if (!Number.isNaN(real.getTime()) && real.toISOString().slice(0, 10) === day) {
      date = new Date(trimmed.length === 10 ? `${day}T00:00:00Z` : trimmed);
    }
  }
  // PostgreSQL's timestamptz starts at year 1: year 0 (also reached through an offset) is refused.
  const year = date?.getUTCFullYear() ?? NaN;
  if (!date || Number.isNaN(date.getTime()) || year < 1 || year > 9999) {
    ctx.addIssue({ code: "custom", message: "an ISO 8601 time (years 0001–9999) or Unix seconds" });
    return z.NEVER;
  }
  return date;
});

/** An integer within [min, max] given as text. */
export function intParam(min: number, max: number): z.ZodType<number, string> {
  return z.string().regex(/^\d{1,9}$/, `an integer from ${min} to ${max}`).transform(Number)
    .pipe(z.number().min(min, `at least ${min}`).max(max, `at most ${max}`));
}

/** Candle periods in minutes. */
export const PERIODS = [1, 60, 1440] as const;

/** A candle period: 1, 60 or 1440 (minutes). */
export const periodSchema = z.enum(["1", "60", "1440"], { message: "one of 1, 60, 1440" })
  .transform((p) => Number(p) as 1 | 60 | 1440);

/** Object schemas per shape: zod compiles each on first use, so a shape defined once is reused. */
const objectSchemas = new WeakMap<z.ZodRawShape, z.ZodObject>();

/** Most values one repeatable parameter takes. */
export const MAX_REPEATED = 20;

/**
 * Parses the query string with `schema` (unknown parameters are an error). Parameters named in
 * `options.repeated` may be given several times (`category=A&category=B`, at most
 * {@linkcode MAX_REPEATED}) and reach their schema as an array; any other is given once.
 */
export function parseQuery<T extends z.ZodRawShape>(
  url: URL,
  shape: T,
  options: { repeated?: readonly string[] } = {},
): z.output<z.ZodObject<T>> {
  const raw: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    if (options.repeated?.includes(key)) {
      if (value === "") continue;
      const values = (raw[key] ??= []) as string[];
      if (values.length >= MAX_REPEATED) {
        throw new ParamError(key, `at most ${MAX_REPEATED} values`);
      }
      values.push(value);
      continue;
    }
    if (key in raw) throw new ParamError(key, "given once");
    if (value === "") continue; // an empty form field means "not set"
    raw[key] = value;
  }
  for (const key of Object.keys(raw)) {
    if (!(key in shape)) {
      throw new ParamError(key, `not a known parameter (known: ${Object.keys(shape).join(", ")})`);
    }
  }
  let schema = objectSchemas.get(shape) as z.ZodObject<T> | undefined;
  if (!schema) {
    schema = z.object(shape);
    objectSchemas.set(shape, schema);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ParamError(String(issue.path[0] ?? "query"), issue.message);
  }
  return result.data;
}

/** Parses one path segment with `schema`. */
export function parsePath<T>(name: string, value: string | undefined, schema: z.ZodType<T>): T {
  const result = schema.safeParse(value ?? "");
  if (!result.success) throw new ParamError(name, result.error.issues[0]?.message ?? "invalid");
  return result.data;
}

/** Throws unless `from` is before `to` (both optional). */
export function checkRange(from: Date | undefined, to: Date | undefined): void {
  if (from && to && from.getTime() >= to.getTime()) throw new ParamError("from", "before `to`");
}
