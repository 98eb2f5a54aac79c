/**
 * Live capture into PostgreSQL: message→row mapping, batches written exactly once, the on-disk
 * spool, the pipeline between them, and capture-gap bookkeeping. @module
 */

export { BatchBuilder } from "./batch.ts";
export { GapTracker } from "./gaps.ts";
export {
  ORDERBOOK_SCOPE_EXPECTED,
  type OrderbookScope,
  parseOrderbookScope,
  selectOrderbookMarkets,
} from "./orderbook_scope.ts";
export { type CapturePipeline, createCapturePipeline } from "./pipeline.ts";
export {
  type CapturedDeltaRow,
  type CapturedSnapshotRow,
  type DeadLetterRow,
  type GapRow,
  type LifecycleRow,
  lifecycleRow,
  type TickRow,
  tickRow,
  type TradeRow,
  tradeRow,
} from "./rows.ts";
export { measureSpool, openSpool, type Spool, type SpoolUsage } from "./spool.ts";
export { writeBatch } from "./store.ts";
export type { CaptureBatch } from "./batch.ts";
export type { ChannelMarkets } from "./gaps.ts";
export type { LatencyHistogram } from "./latency.ts";
export type { OrderbookCandidate } from "./orderbook_scope.ts";
export type { CapturePipelineOptions, PipelineStats, StopReport } from "./pipeline.ts";
export type { LifecycleChannelMessage } from "./rows.ts";
export type { SpoolOptions } from "./spool.ts";
export type { NewMarketsHook, WriteBatchOptions, WriteOutcome } from "./store.ts";
export type { GroupWrite } from "./writer.ts";
