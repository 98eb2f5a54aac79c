/** Service runtime: signals, bounded shutdown, health and Prometheus metrics. @module */
export * from "./free_port.ts";
export * from "./metrics.ts";
export * from "./service.ts";
