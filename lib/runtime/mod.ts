/** Service runtime: signals, bounded shutdown, health, readiness and Prometheus metrics. @module */

export { backoffDelay, type BackoffOptions } from "./backoff.ts";
export { freePort } from "./free_port.ts";
export { type Counter, createMetrics, type Metrics } from "./metrics.ts";
export { ageCheck, createReadiness, formatDuration, type Readiness } from "./readiness.ts";
export { runService } from "./service.ts";
export { type Gauge } from "./metrics.ts";
export { type Labels } from "./metrics.ts";
export { type ReadinessCheck } from "./readiness.ts";
export { type ReadinessOptions } from "./readiness.ts";
export { type ReadinessReport } from "./readiness.ts";
export { type ServiceContext } from "./service.ts";
export { type ServiceOptions } from "./service.ts";
export { type ServiceOutcome } from "./service.ts";
export { type CheckReport } from "./readiness.ts";
export { type CheckResult } from "./readiness.ts";
