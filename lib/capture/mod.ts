/**
 * Live capture into PostgreSQL: message→row mapping, batches written exactly once, the on-disk
 * spool, the pipeline between them, and capture-gap bookkeeping. @module
 */
export * from "./rows.ts";
export * from "./batch.ts";
export * from "./spool.ts";
export * from "./store.ts";
export * from "./batcher.ts";
export * from "./batch_queue.ts";
export * from "./writer.ts";
export * from "./pipeline.ts";
export * from "./gaps.ts";
export * from "./latency.ts";
export * from "./orderbook_scope.ts";
