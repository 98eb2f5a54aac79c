/**
 * `deno task status`: the capture's health from the database alone — gather (one section per
 * concern, {@linkcode STATUS_SECTIONS}) → evaluate (failed checks) → render (table or JSON).
 * @module
 */
export * from "./section.ts";
export * from "./sections.ts";
export * from "./report.ts";
export * from "./render.ts";
export * from "./errors.ts";
export * from "./run.ts";
export { WATCHED_STATUSES, websocketSection } from "./websocket.ts";
export type { ChannelFacts, SessionFacts, WebsocketFacts } from "./websocket.ts";
export { discoverySection } from "./discovery.ts";
export type { DiscoveryFacts } from "./discovery.ts";
export { backfillSection } from "./backfill.ts";
export type { BackfillFacts } from "./backfill.ts";
export { captureGapsSection, deadLettersSection } from "./capture.ts";
export type { DeadLetterFacts, GapFacts } from "./capture.ts";
export { spoolSection } from "./spool.ts";
export type { SpoolFacts } from "./spool.ts";
