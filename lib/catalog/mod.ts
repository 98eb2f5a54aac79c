/**
 * The one writer of `series`, `events` and `markets`: batch upserts from discovery (catalog.ts)
 * and lifecycle changes from live capture (lifecycle.ts).
 * @module
 */
export * from "./catalog.ts";
export * from "./lifecycle.ts";
