/** The ingestion scope shared by discovery, scheduling and live capture, and its settings. @module */
export * from "./scope.ts";
export * from "./settings.ts";
