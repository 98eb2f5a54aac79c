/**
 * What the client needs of a payload schema: a `safeParse` that returns the normalised value or
 * the problems found. Every zod schema fits, so callers pass zod schemas without the client's
 * signatures naming zod.
 */

/** One problem found in a payload. */
export interface ValidationIssue {
  /** Kind of problem (`"invalid_type"`, `"too_big"`, `"custom"`, …). */
  readonly code?: string;
  /** Where in the payload, outermost key first; array indices are numbers. */
  readonly path: readonly PropertyKey[];
  /** What is wrong, in words. */
  readonly message: string;
  /** The value found there (present when parsed with `reportInput: true`). */
  readonly input?: unknown;
  /** The type that was expected, for `invalid_type` problems. */
  readonly expected?: string;
}

/** The problems that made a payload invalid. */
export interface ValidationError {
  /** Every problem found, in payload order. */
  readonly issues: readonly ValidationIssue[];
}

/** Outcome of {@linkcode ResponseValidator.safeParse}: the normalised value or the problems. */
export type ValidationResult<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly error: ValidationError };

/** Validates and normalises a decoded response body into a `T` (a zod schema of output `T` is one). */
export interface ResponseValidator<T> {
  /** Checks `input`; `reportInput: true` asks for the offending value in every issue. */
  safeParse(input: unknown, params: { reportInput: true }): ValidationResult<T>;
}
