/** Structured JSON-lines logging shared by every service. @module */
export * from "./logger.ts";
