/**
 * The building block of `deno task status`: a section gathers its facts from the database (or
 * the machine), judges them against the limits and describes them as table rows. A new concern
 * (order books, the archive, …) is one more section in {@linkcode ./sections.ts}.
 * @module
 */
import type { SpoolUsage } from "../capture/mod.ts";
import type { Sql } from "../db/mod.ts";
import { formatDuration } from "../runtime/mod.ts";

/** The limits a status run judges by (from the command's settings). */
export interface StatusLimits {
  /** A checked WebSocket channel is stale after this long without a message (open markets only). */
  wsSilenceMs: number;
  /** The channels the silence limit applies to. */
  wsChannels: readonly string[];
  /** The last discovery pass may have started at most this long ago. */
  maxPassAgeMs: number;
  /** The oldest due backfill job may have waited at most this long. */
  maxDueAgeMs: number;
  /** Any backfill job that died within this window makes the status stale. */
  deadWindowMs: number;
}

/** What every section sees. */
export interface StatusContext {
  /** The instant the status describes (injected in tests). */
  now: Date;
  /** The limits. */
  limits: StatusLimits;
  /** The ws_service spool folder, measured when local. */
  spoolDir: string;
}

/** What sections read from. */
export interface GatherDeps {
  /** The database (one connection; queries of all sections are pipelined on it). */
  sql: Sql;
  /** Measures a spool folder; null when it is not here or not readable. */
  measureSpool(dir: string): Promise<SpoolUsage | null>;
}

/** A failed check: which, and by how much. */
export interface Finding {
  /** The check's name, e.g. `ticker`, `discovery`, `dead jobs`. */
  check: string;
  /** What is wrong, e.g. "last message 12m04s ago, limit 5m". */
  message: string;
  /** How old the thing judged is, when it is an age. */
  ageSeconds?: number;
  /** The limit it exceeded, when it is an age. */
  limitSeconds?: number;
}

/** One line of the table. */
export interface StatusRow {
  /** What the line is about. */
  what: string;
  /** Its value. */
  value: string;
  /** How old, when it is a time ("12m04s"). */
  age?: string;
  /** The check judging this line, if any: its state (ok / STALE) is shown. */
  check?: string;
}

/** What one section contributes to the report. */
export interface SectionResult {
  /** Its facts, as the `--json` output shows them under the section's name. */
  data: unknown;
  /** Its failed checks. */
  findings: Finding[];
  /** Its table lines. */
  rows: StatusRow[];
}

/** A section of the status, ready to run. */
export interface StatusSection {
  /** Key of its data in the `--json` output. */
  name: string;
  /** Gathers, judges and describes. */
  run(deps: GatherDeps, ctx: StatusContext): Promise<SectionResult>;
}

/** The three steps of a section over its own data type `T`. */
export interface SectionParts<T> {
  /** Key of its data in the `--json` output. */
  name: string;
  /** Reads the facts (cheap, index-backed queries; times relative to `ctx.now`). */
  gather(deps: GatherDeps, ctx: StatusContext): Promise<T>;
  /** The failed checks (none when healthy). */
  evaluate(data: T, ctx: StatusContext): Finding[];
  /** The table lines. */
  rows(data: T, ctx: StatusContext): StatusRow[];
}

/** Builds a {@linkcode StatusSection} from its gather, evaluate and rows steps. */
export function defineSection<T>(parts: SectionParts<T>): StatusSection {
  return {
    name: parts.name,
    async run(deps, ctx) {
      const data = await parts.gather(deps, ctx);
      return { data, findings: parts.evaluate(data, ctx), rows: parts.rows(data, ctx) };
    },
  };
}

/** Whole seconds from `iso` (or a `Date`) to `now`; null when there is no time. */
export function ageSeconds(when: string | Date | null | undefined, now: Date): number | null {
  if (when === null || when === undefined) return null;
  const ms = typeof when === "string" ? Date.parse(when) : when.getTime();
  return Math.floor((now.getTime() - ms) / 1000);
}

/** "12m04s" for an age in seconds; "" when there is none. */
export function showAge(seconds: number | null): string {
  return seconds === null ? "" : formatDuration(seconds * 1000);
}

/** A limit as a person writes it: "5m", "30m", "1h", "90s". */
export function showLimit(ms: number): string {
  return formatDuration(ms).replace(/([a-z])00[smh]$/, "$1");
}

/** A finding for an age beyond its limit. */
export function ageFinding(check: string, what: string, ageMs: number, limitMs: number): Finding {
  return {
    check,
    message: `${what} ${formatDuration(ageMs)} ago, limit ${showLimit(limitMs)}`,
    ageSeconds: Math.floor(ageMs / 1000),
    limitSeconds: Math.floor(limitMs / 1000),
  };
}
