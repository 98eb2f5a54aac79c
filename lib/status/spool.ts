/** ws_service's on-disk spool, when its folder is on this machine and readable. @module */
import { defineSection } from "./section.ts";

/** What the section reports. */
export interface SpoolFacts {
  dir: string;
  /** False when the folder is not here or may not be read (then nothing is known). */
  local: boolean;
  segments: number | null;
  bytes: number | null;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The spool section (informational: the ws_service's own readiness judges its growth). */
export const spoolSection = defineSection<SpoolFacts>({
  name: "spool",
  async gather({ measureSpool }, ctx) {
    const usage = await measureSpool(ctx.spoolDir);
    return {
      dir: ctx.spoolDir,
      local: usage !== null,
      segments: usage?.segments ?? null,
      bytes: usage?.bytes ?? null,
    };
  },
  evaluate: () => [],
  rows: (facts) => [{
    what: "spool",
    value: facts.local
      ? `${facts.dir}: ${facts.segments} segment(s), ${size(facts.bytes ?? 0)}`
      : `${facts.dir}: not on this machine (or not readable)`,
  }],
});
