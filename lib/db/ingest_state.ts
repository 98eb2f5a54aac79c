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

/** A sync pass's completion: when, and the `min_updated_ts` (Unix s) the next pass asks for. */
export interface SyncedState {
  /** When the pass completed, ISO 8601. */
  at: string;
  /** Kalshi watermark for the next incremental pass, Unix seconds. */
  minUpdatedTs?: number;
}

/**
 * The value stored under every `ingest_state` key. Times are ISO-8601 strings (UTC), Kalshi
 * watermarks Unix seconds.
 */
export interface IngestStateValues {
  /** Last complete GET /series sync; scope ''. `minUpdatedTs` feeds the next `min_updated_ts`. */
  "discovery.series_synced": SyncedState;
  /** Last complete event discovery pass; scope '' (or a series ticker for per-series passes). */
  "discovery.events_synced": SyncedState;
  /** Last complete market discovery pass; scope '' (or a series ticker). */
  "discovery.markets_synced": SyncedState;
  /**
   * A paginated walk of an unfinished full discovery sync; scope = the walk's name (e.g.
   * 'historical_markets'). `cursor` is the next page to read, '' once the walk is complete; the
   * rows are deleted when the whole sync completes, so an interrupted sync resumes.
   */
  "discovery.walk": { cursor: string; pages: number; items: number; startedAt: string };
  /** Last GET /historical/cutoff answer; scope ''. */
  "historical.cutoff": { marketSettledTs: string; tradesCreatedTs: string; fetchedAt: string };
  /** Candles stored without holes up to `endPeriodTs`; scope '<market_ticker>:<period_minutes>'. */
  "candles.high_water": { endPeriodTs: string };
  /** Trades stored without holes up to `createdTime`; scope '<market_ticker>'. */
  "trades.high_water": { createdTime: string };
  /**
   * How far backfill jobs of one market have been scheduled (Unix seconds, inclusive) per candle
   * period and for trades; scope '<market_ticker>'. Written in the transaction that inserts the
   * jobs, so a range is never scheduled twice.
   */
  "backfill.scheduled": {
    candles1?: number;
    candles60?: number;
    candles1440?: number;
    trades?: number;
  };
  /**
   * A WebSocket capture session; scope = the ws_service instance name. `channels` holds, per
   * WebSocket channel (`ticker`, `trade`, each lifecycle message type), the newest receive time
   * and exchange time written, merged so they never move backwards.
   */
  "ws.session": {
    sessionId: string;
    connectedAt: string;
    lastFlushedAt?: string;
    lastMessageAt?: string;
    channels?: Record<string, { lastReceivedAt: string; lastMessageAt?: string }>;
  };
  /** The coverage audit checked everything before `through`; scope ''. */
  "coverage.audited_through": { through: string };
}

/** A key of `ingest_state`. */
export type IngestStateKey = keyof IngestStateValues;

/** The value type stored under key `K`. */
export type IngestStateValue<K extends IngestStateKey> = IngestStateValues[K];

const instant = z.iso.datetime({ offset: true });
const syncedState = z.object({
  at: instant,
  minUpdatedTs: z.number().int().nonnegative().optional(),
});

/** Value schema of every key (documented on {@linkcode IngestStateValues}). */
export const INGEST_STATE_SCHEMAS = {
  "discovery.series_synced": syncedState,
  "discovery.events_synced": syncedState,
  "discovery.markets_synced": syncedState,
  "discovery.walk": z.object({
    cursor: z.string(),
    pages: z.number().int().nonnegative(),
    items: z.number().int().nonnegative(),
    startedAt: instant,
  }),
  "historical.cutoff": z.object({
    marketSettledTs: instant,
    tradesCreatedTs: instant,
    fetchedAt: instant,
  }),
  "candles.high_water": z.object({ endPeriodTs: instant }),
  "trades.high_water": z.object({ createdTime: instant }),
  "backfill.scheduled": z.object({
    candles1: z.number().int().nonnegative().optional(),
    candles60: z.number().int().nonnegative().optional(),
    candles1440: z.number().int().nonnegative().optional(),
    trades: z.number().int().nonnegative().optional(),
  }),
  "ws.session": z.object({
    sessionId: z.string().min(1),
    connectedAt: instant,
    lastFlushedAt: instant.optional(),
    lastMessageAt: instant.optional(),
    channels: z.record(
      z.string().min(1),
      z.object({ lastReceivedAt: instant, lastMessageAt: instant.optional() }),
    ).optional(),
  }),
  "coverage.audited_through": z.object({ through: instant }),
} as const satisfies { [K in IngestStateKey]: z.ZodType<IngestStateValues[K]> };

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
