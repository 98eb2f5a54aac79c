/**
 * Backfill: the job table's scheduler (one job per market, period and window on a fixed grid),
 * the coverage audit, claiming, the worker pool that fetches candles and trades, and its health.
 * @module
 */

export { auditCoverage, type AuditReport } from "./audit.ts";
export { countJobs } from "./claim.ts";
export { addBackfillReadiness, readBacklogHealth } from "./health.ts";
export { CANDLE_PERIODS, jobKey, type NewJob } from "./job.ts";
export {
  requiredRange,
  type SchedulableMarket,
  scheduleDueBackfill,
  scheduleMarketBackfill,
  type ScheduleResult,
  TRACKS,
} from "./schedule.ts";
export { createWakeup } from "./wakeup.ts";
export { runWorkerPool } from "./worker_pool.ts";
export { type AuditOptions } from "./audit.ts";
export { type BackfillReadinessOptions } from "./health.ts";
export { type BacklogHealth } from "./health.ts";
export { type BacklogHealthOptions } from "./health.ts";
export { type CandleJobPayload } from "./job.ts";
export { type DueOptions } from "./schedule.ts";
export { type JobCounts } from "./claim.ts";
export { type ScheduleOptions } from "./schedule.ts";
export { type Track } from "./schedule.ts";
export { type TradeJobPayload } from "./job.ts";
export { type Wakeup } from "./wakeup.ts";
export { type WorkerPoolOptions } from "./worker_pool.ts";
export { type WorkerPoolResult } from "./worker_pool.ts";
export { type BackfillStats } from "./execute.ts";
export { type CandlePeriod } from "./job.ts";
export { type Cutoff } from "./schedule.ts";
export { type ProgressReport } from "./progress.ts";
