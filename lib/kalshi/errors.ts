/** Errors raised by the Kalshi client: values carrying the context needed to act on them. */

/** A non-2xx HTTP response from Kalshi. */
export class KalshiHttpError extends Error {
  /** HTTP status code. */
  readonly status: number;
  /** Method and path that failed, e.g. "GET /trade-api/v2/markets". */
  readonly endpoint: string;
  /** First characters of the response body. */
  readonly bodyExcerpt: string;
  /** Kalshi's error code (e.g. "too_many_requests"), when the body carried one. */
  readonly code: string | null;
  /** Whether a retry may succeed (429 and 5xx). */
  readonly retryable: boolean;

  /** An HTTP error answer of `endpoint`, with an excerpt of its body. */
  constructor(
    status: number,
    endpoint: string,
    bodyExcerpt: string,
    options: { code?: string | null; message?: string | null } = {},
  ) {
    const detail = options.message ?? bodyExcerpt;
    super(`Kalshi ${endpoint} answered ${status}${detail ? `: ${detail}` : ""}`);
    this.name = "KalshiHttpError";
    this.status = status;
    this.endpoint = endpoint;
    this.bodyExcerpt = bodyExcerpt;
    this.code = options.code ?? null;
    this.retryable = status === 429 || status >= 500;
  }
}

/** The request never got a response (DNS, refused, reset, timeout). */
export class KalshiNetworkError extends Error {
  /** Method and path that failed. */
  readonly endpoint: string;
  /** True when the per-request timeout fired. */
  readonly timedOut: boolean;

  constructor(endpoint: string, cause: unknown, timedOut: boolean) {
    super(
      `Kalshi ${endpoint} ${timedOut ? "timed out" : "failed"}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "KalshiNetworkError";
    this.endpoint = endpoint;
    this.timedOut = timedOut;
  }
}

/** A 2xx response whose body did not match the expected schema. */
export class KalshiSchemaError extends Error {
  /** Method and path of the request. */
  readonly endpoint: string;
  /** One line per problem: "markets[0].ticker: expected …; received …". */
  readonly issues: string[];
  /** First characters of the response body. */
  readonly bodyExcerpt: string;

  constructor(endpoint: string, issues: string[], bodyExcerpt: string) {
    super(`Kalshi ${endpoint} returned an unexpected payload: ${issues.slice(0, 3).join("; ")}`);
    this.name = "KalshiSchemaError";
    this.endpoint = endpoint;
    this.issues = issues;
    this.bodyExcerpt = bodyExcerpt;
  }
}

/** Pagination returned a cursor it had already returned (the walk would loop forever). */
export class KalshiPaginationError extends Error {
  /** Method and path being paginated. */
  readonly endpoint: string;
  /** The repeated cursor. */
  readonly cursor: string;
  /** Pages read before the repetition was seen. */
  readonly pages: number;

  /** A cursor Kalshi returned twice while paging `endpoint`. */
  constructor(endpoint: string, cursor: string, pages: number) {
    super(`Kalshi ${endpoint} repeated cursor "${cursor}" after ${pages} pages`);
    this.name = "KalshiPaginationError";
    this.endpoint = endpoint;
    this.cursor = cursor;
    this.pages = pages;
  }
}

/** A WebSocket command the server answered with an `error` message. */
export class KalshiWsCommandError extends Error {
  /** Kalshi's numeric error code (e.g. 6 already subscribed, 27 too many requests). */
  readonly code: number;
  /** The command that failed. */
  readonly command: string;

  constructor(command: string, code: number, message: string) {
    super(`Kalshi WebSocket ${command} failed with code ${code}: ${message}`);
    this.name = "KalshiWsCommandError";
    this.code = code;
    this.command = command;
  }
}

/** Shortens a body for error messages. */
export function excerpt(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
