/** Exchange-level payloads: `/exchange/status`, `/historical/cutoff` and error bodies. */
import { z } from "zod";
import { Rfc3339 } from "./primitives.ts";

/** Per-exchange-index state inside {@linkcode ExchangeStatus} (unknown fields kept). */
export interface ExchangeIndexStatus {
  /** Kalshi's exchange index. */
  exchange_index: number;
  /** What the index is, in words. */
  description?: string | null;
  /** Whether this index's exchange is open. */
  exchange_active?: boolean | null;
  /** Whether trading is enabled on this index. */
  trading_active?: boolean | null;
  /** Whether transfers within the exchange are enabled on this index. */
  intra_exchange_transfers_active?: boolean | null;
  /** Any further field, as received. */
  [field: string]: unknown;
}

/** Parsed `GET /exchange/status`: Kalshi's wire field names, unknown fields kept. */
export interface ExchangeStatus {
  /** Whether the exchange is open (false during maintenance). */
  exchange_active: boolean;
  /** Whether trading is enabled (false outside trading hours or when halted). */
  trading_active: boolean;
  /** Whether transfers within the exchange are enabled. */
  intra_exchange_transfers_active?: boolean | null;
  /** When a paused exchange expects to resume, RFC 3339. */
  exchange_estimated_resume_time?: string | null;
  /** The same state per exchange index. */
  exchange_index_statuses?: ExchangeIndexStatus[] | null;
  /** Any further field, as received. */
  [field: string]: unknown;
}

/** `GET /exchange/status` response. */
export const ExchangeStatusSchema = z.looseObject({
  exchange_active: z.boolean(),
  trading_active: z.boolean(),
  intra_exchange_transfers_active: z.boolean().nullish(),
  exchange_estimated_resume_time: z.string().nullish(),
  exchange_index_statuses: z.array(z.looseObject({
    exchange_index: z.number().int(),
    description: z.string().nullish(),
    exchange_active: z.boolean().nullish(),
    trading_active: z.boolean().nullish(),
    intra_exchange_transfers_active: z.boolean().nullish(),
  })).nullish(),
}) satisfies z.ZodType<ExchangeStatus>;

/** Parsed `GET /historical/cutoff`: data older than these instants lives under /historical. */
export interface HistoricalCutoff {
  /** Markets settled before this instant (RFC 3339) are served only by /historical/markets. */
  marketSettledTs: string;
  /** Trades created before this instant (RFC 3339) are served only by /historical/trades. */
  tradesCreatedTs: string;
  /** The payload as received, unknown fields kept. */
  raw: Record<string, unknown>;
}

/** `GET /historical/cutoff` response: data older than these instants lives under /historical. */
export const HistoricalCutoffSchema = z.looseObject({
  market_settled_ts: Rfc3339,
  trades_created_ts: Rfc3339,
  orders_updated_ts: Rfc3339.nullish(),
  market_positions_last_updated_ts: Rfc3339.nullish(),
}).transform((wire): HistoricalCutoff => ({
  marketSettledTs: wire.market_settled_ts,
  tradesCreatedTs: wire.trades_created_ts,
  raw: wire as Record<string, unknown>,
}));

/**
 * Kalshi error body: `{"error":{"code","message","details"?}}` (documented and live), the
 * plain `{"error":"too many requests"}` 429 variant, or the bare `{"code":"…"}` of a refused
 * WebSocket handshake. Normalised to `{code, message, details}`.
 */
export const ErrorBodySchema = z.union([
  z.looseObject({
    error: z.union([
      z.string(),
      z.looseObject({
        code: z.string().nullish(),
        message: z.string().nullish(),
        details: z.string().nullish(),
      }),
    ]),
  }).transform((body) =>
    typeof body.error === "string" ? { code: null, message: body.error, details: null } : {
      code: body.error.code ?? null,
      message: body.error.message ?? null,
      details: body.error.details ?? null,
    }
  ),
  z.looseObject({
    code: z.string(),
    message: z.string().nullish(),
    details: z.string().nullish(),
  }).transform((body) => ({
    code: body.code,
    message: body.message ?? null,
    details: body.details ?? null,
  })),
]);

/** Normalised Kalshi error body. */
export type ErrorBody = z.output<typeof ErrorBodySchema>;
