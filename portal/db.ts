/**
 * The portal's only way to the database: a pool whose every connection runs as the SELECT-only
 * role `kalshi_reader` with read-only transactions. Startup options (`-c role=...`) apply before
 * the first query of each connection, so no query can run under the login role, whether the URL
 * logs in as a member of kalshi_reader (PORTAL_DATABASE_URL) or as the services' owner
 * (DATABASE_URL).
 * @module
 */
import { createPool, type PoolOptions, type Sql } from "../lib/db/pool.ts";

/** The role every portal connection assumes. */
export const READER_ROLE = "kalshi_reader";

/** `url` with startup options that switch to the reader role and make transactions read-only. */
export function readerUrl(url: string): string {
  const parsed = new URL(url);
  const existing = parsed.searchParams.get("options");
  const options = `-c role=${READER_ROLE} -c default_transaction_read_only=on`;
  parsed.searchParams.set("options", existing ? `${existing} ${options}` : options);
  return parsed.toString();
}

/** Opens the read-only pool. */
export function createReaderPool(url: string, options: PoolOptions = {}): Sql {
  return createPool(readerUrl(url), { applicationName: "kalshi-portal", ...options });
}
