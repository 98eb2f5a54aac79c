/**
 * The one place that defines the `ingest_state` keys: every resume point a service keeps, with
 * the zod schema of its value. The SQL CHECK on `ingest_state.key` mirrors this list (a test
 * keeps them equal); adding a key means adding it here and in a new migration.
 *
 * `scope` qualifies per-item keys; global keys use the empty scope.
 * @module
 */
import { z } from "zod";
import type postgres from "postgres";
import type { Queryable } from "./pool.ts";

const instant = z.iso.datetime({ offset: true });

/** Value schema of every key. Times are ISO-8601 strings (UTC), Kalshi watermarks Unix seconds. */
export const INGEST_STATE_SCHEMAS = {
  /** Last complete GET /series sync; scope ''. `minUpdatedTs` feeds the next `min_updated_ts`. */
  "discovery.series_synced": z.object({
    at: instant,
    minUpdatedTs: z.number().int().nonnegative().optional(),
  }),
  /** Last complete event discovery pass; scope '' (or a series ticker for per-series passes). */
  "discovery.events_synced": z.object({
    at: instant,
    minUpdatedTs: z.number().int().nonnegative().optional(),
  }),
  /** Last complete market discovery pass; scope '' (or a series ticker). */
  "discovery.markets_synced": z.object({
    at: instant,
    minUpdatedTs: z.number().int().nonnegative().optional(),
  }),
  /**
   * A paginated walk of an unfinished full discovery sync; scope = the walk's name (e.g.
   * 'historical_markets'). `cursor` is the next page to read, '' once the walk is complete; the
   * rows are deleted when the whole sync completes, so an interrupted sync resumes.
   */
  "discovery.walk": z.object({
    cursor: z.string(),
    pages: z.number().int().nonnegative(),
    items: z.number().int().nonnegative(),
    startedAt: instant,
  }),
  /** Last GET /historical/cutoff answer; scope ''. */
  "historical.cutoff": z.object({
    marketSettledTs: instant,
    tradesCreatedTs: instant,
    fetchedAt: instant,
  }),
  /** Candles stored without holes up to `endPeriodTs`; scope '<market_ticker>:<period_minutes>'. */
  "candles.high_water": z.object({ endPeriodTs: instant }),
  /** Trades stored without holes up to `createdTime`; scope '<market_ticker>'. */
  "trades.high_water": z.object({ createdTime: instant }),
  /**
   * How far backfill jobs of one market have been scheduled (Unix seconds, inclusive) per candle
   * period and for trades; scope '<market_ticker>'. Written in the transaction that inserts the
   * jobs, so a range is never scheduled twice.
   */
  "backfill.scheduled": z.object({
    candles1: z.number().int().nonnegative().optional(),
    candles60: z.number().int().nonnegative().optional(),
    candles1440: z.number().int().nonnegative().optional(),
    trades: z.number().int().nonnegative().optional(),
  }),
  /** A WebSocket capture session; scope = the ws_service instance name. */
  "ws.session": z.object({
    sessionId: z.string().min(1),
    connectedAt: instant,
    lastFlushedAt: instant.optional(),
    lastMessageAt: instant.optional(),
    /**
     * Per WebSocket channel (`ticker`, `trade`, each lifecycle message type): the newest receive
     * time and exchange time written, merged so they never move backwards.
     */
    channels: z.record(
      z.string().min(1),
      z.object({ lastReceivedAt: instant, lastMessageAt: instant.optional() }),
    ).optional(),
  }),
  /** The coverage audit checked everything before `through`; scope ''. */
  "coverage.audited_through": z.object({ through: instant }),
} as const;

/** Every key `ingest_state` accepts. */
export const IngestStateKey = z.enum(
  Object.keys(INGEST_STATE_SCHEMAS) as [
    keyof typeof INGEST_STATE_SCHEMAS,
    ...(keyof typeof INGEST_STATE_SCHEMAS)[],
  ],
);

/** A key of `ingest_state`. */
export type IngestStateKey = z.infer<typeof IngestStateKey>;

/** The value type stored under key `K`. */
export type IngestStateValue<K extends IngestStateKey> = z.infer<(typeof INGEST_STATE_SCHEMAS)[K]>;

/** A stored value that no longer matches its schema (a bug or a manual edit). */
export class IngestStateError extends Error {
  /** The key and scope concerned. */
  readonly key: IngestStateKey;
  /** The scope concerned. */
  readonly scope: string;
  /** Creates the error. */
  constructor(key: IngestStateKey, scope: string, issues: string) {
    super(`ingest_state ${key} [${scope}] holds an invalid value: ${issues}`);
    this.name = "IngestStateError";
    this.key = key;
    this.scope = scope;
  }
}

function parseValue<K extends IngestStateKey>(
  key: K,
  scope: string,
  raw: unknown,
): IngestStateValue<K> {
  const result = INGEST_STATE_SCHEMAS[key].safeParse(raw);
  if (!result.success) throw new IngestStateError(key, scope, result.error.message);
  return result.data as IngestStateValue<K>;
}

/** Reads the value of `key` (in `scope`, default ''), or undefined when never set. */
export async function getIngestState<K extends IngestStateKey>(
  sql: Queryable,
  key: K,
  options: { scope?: string } = {},
): Promise<IngestStateValue<K> | undefined> {
  const scope = options.scope ?? "";
  const rows = await sql<{ value: unknown }[]>`
    SELECT value FROM ingest_state WHERE key = ${key} AND scope = ${scope}`;
  return rows.length === 0 ? undefined : parseValue(key, scope, rows[0].value);
}

/** Writes (upserts) the value of `key` in `scope` (default ''), validated against its schema. */
export async function setIngestState<K extends IngestStateKey>(
  sql: Queryable,
  entry: { key: K; value: IngestStateValue<K>; scope?: string },
): Promise<void> {
  const scope = entry.scope ?? "";
  const value = INGEST_STATE_SCHEMAS[entry.key].parse(entry.value);
  await sql`
    INSERT INTO ingest_state (key, scope, value, updated_at)
    VALUES (${entry.key}, ${scope}, ${sql.json(value as postgres.JSONValue)}, now())
    ON CONFLICT (key, scope) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`;
}

/** Reads every scope of `key` (e.g. all candle high-water marks), keyed by scope. */
export async function listIngestState<K extends IngestStateKey>(
  sql: Queryable,
  key: K,
): Promise<Map<string, IngestStateValue<K>>> {
  const rows = await sql<{ scope: string; value: unknown }[]>`
    SELECT scope, value FROM ingest_state WHERE key = ${key} ORDER BY scope`;
  return new Map(rows.map((r) => [r.scope, parseValue(key, r.scope, r.value)]));
}
