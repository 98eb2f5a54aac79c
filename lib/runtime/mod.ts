/** Service runtime: signals, bounded shutdown, health, readiness and Prometheus metrics. @module */
export * from "./backoff.ts";
export * from "./free_port.ts";
export * from "./metrics.ts";
export * from "./readiness.ts";
export * from "./service.ts";
