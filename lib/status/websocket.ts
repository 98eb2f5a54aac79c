/**
 * The WebSocket capture: every `ws.session` (one per ws_service instance) with the newest receive
 * and exchange time of each channel, judged only while markets are open.
 * @module
 */
import { listIngestState, type Sql } from "../db/mod.ts";
import {
  ageFinding,
  ageSeconds,
  defineSection,
  type Finding,
  type GatherDeps,
  showAge,
  type StatusContext,
  type StatusRow,
} from "./section.ts";

/**
 * Statuses of markets ws_service watches (`services/ws_service/watch.ts`); they count as open
 * between their open and close times.
 */
export const WATCHED_STATUSES = ["initialized", "active", "inactive"] as const;

/** One capture session. */
export interface SessionFacts {
  /** The ws_service instance (the `ws.session` scope). */
  instance: string;
  sessionId: string;
  connectedAt: string;
  lastFlushedAt: string | null;
}

/** One channel, newest over every session. */
export interface ChannelFacts {
  /** When its newest message was received; null when none was recorded. */
  lastReceivedAt: string | null;
  /** The newest exchange time among its messages, when they carry one. */
  lastMessageAt: string | null;
  /** Seconds since `lastReceivedAt`. */
  ageSeconds: number | null;
}

/** What the section reports. */
export interface WebsocketFacts {
  /** Markets open now (watched statuses, between open and close time). */
  openMarkets: number;
  sessions: SessionFacts[];
  channels: Record<string, ChannelFacts>;
}

const later = (a: string | null | undefined, b: string | null | undefined) =>
  !a ? b ?? null : !b ? a : Date.parse(a) >= Date.parse(b) ? a : b;

async function countOpenMarkets(sql: Sql, now: Date): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM markets
    WHERE status = ANY(${[...WATCHED_STATUSES]}::text[])
      AND (open_time IS NULL OR open_time <= ${now})
      AND (close_time IS NULL OR close_time > ${now})`;
  return row.n;
}

function mergeChannels(
  values: { channels?: Record<string, { lastReceivedAt: string; lastMessageAt?: string }> }[],
  checked: readonly string[],
  now: Date,
): Record<string, ChannelFacts> {
  const out: Record<string, ChannelFacts> = {};
  for (const name of checked) {
    out[name] = { lastReceivedAt: null, lastMessageAt: null, ageSeconds: null };
  }
  for (const value of values) {
    for (const [name, times] of Object.entries(value.channels ?? {})) {
      const seen = out[name];
      const received = later(seen?.lastReceivedAt, times.lastReceivedAt);
      out[name] = {
        lastReceivedAt: received,
        lastMessageAt: later(seen?.lastMessageAt, times.lastMessageAt),
        ageSeconds: ageSeconds(received, now),
      };
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

async function gather(deps: GatherDeps, ctx: StatusContext): Promise<WebsocketFacts> {
  const [sessions, openMarkets] = await Promise.all([
    listIngestState(deps.sql, "ws.session"),
    countOpenMarkets(deps.sql, ctx.now),
  ]);
  const values = [...sessions.values()];
  return {
    openMarkets,
    sessions: [...sessions].map(([instance, v]) => ({
      instance,
      sessionId: v.sessionId,
      connectedAt: v.connectedAt,
      lastFlushedAt: v.lastFlushedAt ?? null,
    })),
    channels: mergeChannels(values, ctx.limits.wsChannels, ctx.now),
  };
}

function channelFinding(facts: WebsocketFacts, name: string, ctx: StatusContext): Finding[] {
  const connected = Math.max(...facts.sessions.map((s) => Date.parse(s.connectedAt)));
  const received = facts.channels[name]?.lastReceivedAt;
  const receivedMs = received ? Date.parse(received) : -Infinity;
  const silentMs = ctx.now.getTime() - Math.max(receivedMs, connected);
  if (silentMs <= ctx.limits.wsSilenceMs) return [];
  const what = receivedMs >= connected ? "last message" : "no message since the session connected";
  return [ageFinding(name, what, silentMs, ctx.limits.wsSilenceMs)];
}

function evaluate(facts: WebsocketFacts, ctx: StatusContext): Finding[] {
  if (facts.openMarkets === 0) return [];
  if (facts.sessions.length === 0) {
    return [{
      check: "ws session",
      message: `no capture session (ingest_state ws.session) while ${facts.openMarkets} ` +
        "market(s) are open",
    }];
  }
  return ctx.limits.wsChannels.flatMap((name) => channelFinding(facts, name, ctx));
}

function rows(facts: WebsocketFacts, ctx: StatusContext): StatusRow[] {
  const out: StatusRow[] = [{ what: "open markets", value: String(facts.openMarkets) }];
  if (facts.sessions.length === 0) {
    out.push({ what: "ws session", value: "none", check: "ws session" });
  }
  for (const s of facts.sessions) {
    out.push({
      what: `ws session ${s.instance}`,
      value: `connected ${s.connectedAt}, last flush ${s.lastFlushedAt ?? "never"}`,
      age: showAge(ageSeconds(s.lastFlushedAt, ctx.now)),
    });
  }
  for (const [name, c] of Object.entries(facts.channels)) {
    out.push({
      what: `ws ${name}`,
      value: c.lastReceivedAt === null
        ? "no message recorded"
        : `received ${c.lastReceivedAt}, exchange ${c.lastMessageAt ?? "-"}`,
      age: showAge(c.ageSeconds),
      check: ctx.limits.wsChannels.includes(name) ? name : undefined,
    });
  }
  return out;
}

/** The WebSocket section. */
export const websocketSection = defineSection<WebsocketFacts>({
  name: "websocket",
  gather,
  evaluate,
  rows,
});
