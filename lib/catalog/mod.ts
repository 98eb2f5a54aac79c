/** Batch upserts of series, events and markets (discovery and live capture share them). @module */
export * from "./catalog.ts";
