/**
 * Typed Kalshi client: zod schemas and normalised types (prices in integer 1/10000 dollar,
 * counts in integer 1/100 contract), request signing, REST client with shared rate limiting,
 * retries and pagination, WebSocket client with reconnect, gap and disconnect markers, shared
 * settings, payload validation, and order books in exact units with pure delta helpers. The
 * simulator lives in `./sim/`.
 * @module
 */
export * from "./units.ts";
export * from "./schemas.ts";
export * from "./orderbook.ts";
export * from "./errors.ts";
export * from "./clock.ts";
export { createServerClock, type ServerClock } from "./server_clock.ts";
export * from "./auth.ts";
export * from "./backoff.ts";
export * from "./rate_limit.ts";
export * from "./pagination.ts";
export * from "./rest.ts";
export * from "./ws.ts";
export * from "./settings.ts";
export * from "./validate.ts";
