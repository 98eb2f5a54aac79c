/**
 * The portal's only way to the database: a pool whose every connection runs as the SELECT-only
 * role `kalshi_reader` with read-only transactions. Startup options (`-c role=...`) apply before
 * the first query of each connection, so no query can run under the login role, whether the URL
 * logs in as a member of kalshi_reader (PORTAL_DATABASE_URL) or as the services' owner
 * (DATABASE_URL). The same options bound every connection's time on the server:
 * `statement_timeout` (one query, or one chunk of a download) and
 * `idle_in_transaction_session_timeout` (a transaction left waiting, e.g. a download's cursor
 * whose client stopped reading, ends the session), so no connection stays busy for ever.
 * @module
 */
import { createPool, type PoolOptions, type Sql } from "@kalshi-data/lib/db";

/** The role every portal connection assumes. */
export const READER_ROLE = "kalshi_reader";

/** Server-side time bounds of every reader connection. */
export interface ReaderTimeouts {
  /** `statement_timeout` in ms; default 30 000. */
  statementTimeoutMs: number;
  /** `idle_in_transaction_session_timeout` in ms; default 60 000. */
  idleInTransactionTimeoutMs: number;
}

/** The defaults of {@linkcode ReaderTimeouts} (PORTAL_STATEMENT_TIMEOUT_MS and its sibling). */
export const DEFAULT_READER_TIMEOUTS: ReaderTimeouts = {
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 60_000,
};

/**
 * `url` with startup options that switch to the reader role, make transactions read-only and set
 * the time bounds.
 */
export function readerUrl(url: string, timeouts: ReaderTimeouts = DEFAULT_READER_TIMEOUTS): string {
  const parsed = new URL(url);
  const existing = parsed.searchParams.get("options");
  const options = [
    `-c role=${READER_ROLE}`,
    "-c default_transaction_read_only=on",
    `-c statement_timeout=${Math.trunc(timeouts.statementTimeoutMs)}`,
    `-c idle_in_transaction_session_timeout=${Math.trunc(timeouts.idleInTransactionTimeoutMs)}`,
  ].join(" ");
  parsed.searchParams.set("options", existing ? `${existing} ${options}` : options);
  return parsed.toString();
}

/** Opens the read-only pool. */
export function createReaderPool(
  url: string,
  options: PoolOptions & { timeouts?: ReaderTimeouts } = {},
): Sql {
  const { timeouts, ...pool } = options;
  return createPool(readerUrl(url, timeouts), { applicationName: "kalshi-portal", ...pool });
}
