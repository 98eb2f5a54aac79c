/** The last discovery pass (`ingest_state` `discovery.markets_synced`, scope ''). @module */
import { getIngestState } from "../db/mod.ts";
import {
  ageFinding,
  ageSeconds,
  defineSection,
  type Finding,
  showAge,
  type StatusContext,
} from "./section.ts";

/** What the section reports. */
export interface DiscoveryFacts {
  /** When the last complete pass started; null when none is recorded. */
  lastPassAt: string | null;
  /** Seconds since then. */
  ageSeconds: number | null;
}

function evaluate(facts: DiscoveryFacts, ctx: StatusContext): Finding[] {
  if (facts.lastPassAt === null) {
    return [{
      check: "discovery",
      message: "no discovery pass recorded (ingest_state discovery.markets_synced)",
    }];
  }
  const ageMs = ctx.now.getTime() - Date.parse(facts.lastPassAt);
  if (ageMs <= ctx.limits.maxPassAgeMs) return [];
  return [ageFinding("discovery", "last pass started", ageMs, ctx.limits.maxPassAgeMs)];
}

/** The discovery section. */
export const discoverySection = defineSection<DiscoveryFacts>({
  name: "discovery",
  async gather({ sql }, ctx) {
    const value = await getIngestState(sql, "discovery.markets_synced");
    const at = value?.at ?? null;
    return { lastPassAt: at, ageSeconds: ageSeconds(at, ctx.now) };
  },
  evaluate,
  rows: (facts) => [{
    what: "discovery",
    value: facts.lastPassAt === null ? "no pass recorded" : `last pass started ${facts.lastPassAt}`,
    age: showAge(facts.ageSeconds),
    check: "discovery",
  }],
});
