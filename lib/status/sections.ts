/**
 * Every section of `deno task status`, in the order the table shows them. Adding a concern is
 * one entry here (see {@linkcode defineSection}).
 * @module
 */
import { archiveSection } from "./archive.ts";
import { backfillSection } from "./backfill.ts";
import { captureGapsSection, deadLettersSection } from "./capture.ts";
import { discoverySection } from "./discovery.ts";
import { orderbookSection } from "./orderbook.ts";
import type { StatusSection } from "./section.ts";
import { spoolSection } from "./spool.ts";
import { websocketSection } from "./websocket.ts";

/** The sections, in table order. */
export const STATUS_SECTIONS: readonly StatusSection[] = [
  websocketSection,
  orderbookSection,
  discoverySection,
  backfillSection,
  captureGapsSection,
  deadLettersSection,
  spoolSection,
  archiveSection,
];
