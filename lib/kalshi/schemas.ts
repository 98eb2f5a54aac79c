/**
 * Zod schemas for every Kalshi payload the platform consumes, and the normalised types they
 * produce. Prices: integer 1/10000 dollar; counts: integer 1/100 contract (see `units.ts`).
 * Every `*Schema` validates the wire shape (current and legacy), keeps unknown fields, and
 * outputs the normalised form with the raw payload under `raw`.
 */
export * from "./schemas/primitives.ts";
export * from "./schemas/market.ts";
export * from "./schemas/series.ts";
export * from "./schemas/event.ts";
export * from "./schemas/candlestick.ts";
export * from "./schemas/trade.ts";
export * from "./schemas/exchange.ts";
export * from "./schemas/orderbook.ts";
export * from "./schemas/ws.ts";
