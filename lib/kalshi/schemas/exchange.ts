/** Exchange-level payloads: `/exchange/status`, `/historical/cutoff` and error bodies. */
import { z } from "zod";
import { Rfc3339 } from "./primitives.ts";

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
});

/** Parsed `GET /exchange/status`. */
export type ExchangeStatus = z.output<typeof ExchangeStatusSchema>;

/** `GET /historical/cutoff` response: data older than these instants lives under /historical. */
export const HistoricalCutoffSchema = z.looseObject({
  market_settled_ts: Rfc3339,
  trades_created_ts: Rfc3339,
  orders_updated_ts: Rfc3339.nullish(),
  market_positions_last_updated_ts: Rfc3339.nullish(),
}).transform((wire) => ({
  marketSettledTs: wire.market_settled_ts,
  tradesCreatedTs: wire.trades_created_ts,
  raw: wire as Record<string, unknown>,
}));

/** Parsed `GET /historical/cutoff`. */
export type HistoricalCutoff = z.output<typeof HistoricalCutoffSchema>;

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
