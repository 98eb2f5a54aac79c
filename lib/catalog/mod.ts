/**
 * The one writer of `series`, `events` and `markets`: batch upserts from discovery (catalog.ts)
 * and lifecycle changes from live capture (lifecycle.ts).
 * @module
 */

export { upsertEvents, upsertMarkets, upsertSeries } from "./catalog.ts";
export { applyLifecycle, type LifecycleChange, lifecycleChange } from "./lifecycle.ts";
export { type ApplyLifecycleOptions } from "./lifecycle.ts";
export { type EventChange } from "./lifecycle.ts";
export { type EventFeeChange } from "./lifecycle.ts";
export { type LifecycleMessage } from "./lifecycle.ts";
export { type MarketCreatedChange } from "./lifecycle.ts";
export { type MarketUpdateChange } from "./lifecycle.ts";
export { type UpsertEventsOptions } from "./catalog.ts";
export { type UpsertMarketsOptions } from "./catalog.ts";
export { type Json } from "./lifecycle.ts";
