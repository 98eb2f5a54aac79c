/**
 * `deno task status`: the capture's health from the database alone — gather (one section per
 * concern, {@linkcode STATUS_SECTIONS}) → evaluate (failed checks) → render (table or JSON).
 * @module
 */

export { StatusDeadlineError } from "./errors.ts";
export { renderJson, renderText } from "./render.ts";
export { collectStatus, exitCodeOf } from "./report.ts";
export { runStatus, type StatusConfig, statusContext, type StatusIo, withDeadline } from "./run.ts";
export { STATUS_SECTIONS } from "./sections.ts";
export { type GatherDeps } from "./section.ts";
export { type StatusContext } from "./section.ts";
export { type StatusReport } from "./report.ts";
export { type StatusSection } from "./section.ts";
export { type Finding } from "./section.ts";
export { type SectionResult } from "./section.ts";
export { type StatusLimits } from "./section.ts";
export { type StatusRow } from "./section.ts";
