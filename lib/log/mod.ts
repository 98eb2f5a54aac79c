/** Structured JSON-lines logging shared by every service. @module */

export { createLogger, type Logger, type LogLevel } from "./logger.ts";
export { type LoggerOptions } from "./logger.ts";
