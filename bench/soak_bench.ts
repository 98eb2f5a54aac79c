/**
 * Soak: `deno task start --sim` with a large world at real-time speed for minutes while a fault
 * schedule runs — the database behind a bench-owned TCP proxy cut for 30 s, WebSocket drops, a 429
 * storm, a SIGKILL of each service once (the launcher restarts it) — then the database against the
 * simulator's ground truth: ticks and trades missing outside recorded gaps, duplicated rows, gaps
 * the audit left unfilled, receive→commit latency outside the fault windows, RSS of each service at
 * start and end, the spool's high-water mark. Runs only when named (`deno task bench soak
 * [--quick] [--soak-markets=N] [--soak-minutes=M]`); reports numbers, never fails on a time.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { createTestDatabase } from "../lib/db/testing/database.ts";
import { startTcpProxy } from "../lib/testing/tcp_proxy.ts";
import { compareWithTruth, type FaultWindow, type SoakFindings } from "./_soak_compare.ts";
import { gauge, SOAK_SERVICES, type SoakSystem, startSoakSystem } from "./_soak_system.ts";
import type { BenchRow } from "./harness.ts";

const FLUSH_MS = 250; // WS_FLUSH_MS default: the batch age limit
const mb = (bytes: number) => bytes / 1_048_576;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SoakArgs = z.object({
  "soak-keep": z.boolean().default(false),
  "soak-markets": z.coerce.number().int().min(100).max(200_000).default(20_000),
  "soak-minutes": z.coerce.number().min(0.5).max(24 * 60).optional(),
});

/**
 * The run's size: flags `--soak-markets` (default 20,000) and `--soak-minutes` (10; quick 1.6);
 * `--soak-keep` keeps the database and the ground truth for a look afterwards.
 */
function soakPlan(quick: boolean): { markets: number; seconds: number; keep: boolean } {
  const { values } = parseArgs({
    args: Deno.args.filter((a) => a.startsWith("--soak-")),
    options: {
      "soak-markets": { type: "string" },
      "soak-minutes": { type: "string" },
      "soak-keep": { type: "boolean" },
    },
  });
  const parsed = SoakArgs.safeParse(values);
  if (!parsed.success) {
    throw new Error(`soak: bad flag: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  const minutes = parsed.data["soak-minutes"] ?? (quick ? 1.6 : 10);
  return {
    markets: parsed.data["soak-markets"],
    seconds: Math.round(minutes * 60),
    keep: parsed.data["soak-keep"],
  };
}

/** What the fault schedule needs to act. */
interface FaultContext {
  system: SoakSystem;
  proxy: { cut(): void; restore(): void };
  windows: FaultWindow[];
  log: (message: string) => void;
}

async function simControl(system: SoakSystem, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${system.simUrl}/_sim/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await response.body?.cancel();
}

/** The schedule, as fractions of the run: drops, a 429 storm, a 30 s database cut, kills. */
async function runFaults(ctx: FaultContext, seconds: number, began: number): Promise<void> {
  const at = async (fraction: number) => {
    const wait = began + fraction * seconds * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
  };
  const window = (name: string, ms: number, recoveryMs: number) => {
    ctx.log(name);
    ctx.windows.push({ name, fromMs: Date.now(), toMs: Date.now() + ms + recoveryMs });
  };
  await at(0.1);
  window("WebSocket drop", 0, 10_000);
  await simControl(ctx.system, "drop-sockets", {});
  await at(0.2);
  const storm = Math.min(20_000, seconds * 100);
  window("429 storm", storm, 10_000);
  await simControl(ctx.system, "faults", { rateLimitStorm: { probability: 0.5, burst: 20 } });
  await sleep(storm);
  await simControl(ctx.system, "faults", {});
  await at(0.35);
  window("database cut 30 s", 30_000, 15_000);
  ctx.proxy.cut();
  await sleep(30_000);
  ctx.proxy.restore();
  for (const [i, service] of SOAK_SERVICES.entries()) {
    await at(0.7 + i * 0.04);
    const pid = (await ctx.system.serviceProcess(service))?.pid;
    window(`SIGKILL ${service} (pid ${pid})`, 0, 20_000);
    if (pid) Deno.kill(pid, "SIGKILL");
  }
  await at(0.9);
  window("WebSocket drop", 0, 10_000);
  await simControl(ctx.system, "drop-sockets", {});
}

/** RSS samples of one process of a service. */
interface RssSpan {
  pid: number;
  start: number;
  end: number;
}

/**
 * RSS of each process of each service (its first sample once it has run 15 s, and its last: a
 * SIGKILL starts a new one) and the spool's high-water mark, every 2 s.
 */
function startSampling(system: SoakSystem) {
  const rss = new Map<string, RssSpan[]>(SOAK_SERVICES.map((s) => [s, []]));
  const firstSeen = new Map<number, number>();
  let spoolHigh = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const service of SOAK_SERVICES) {
        const proc = await system.serviceProcess(service);
        if (proc === undefined) continue;
        if (!firstSeen.has(proc.pid)) firstSeen.set(proc.pid, Date.now());
        if (Date.now() - firstSeen.get(proc.pid)! < 15_000) continue;
        const spans = rss.get(service)!;
        const span = spans.find((x) => x.pid === proc.pid);
        if (span) span.end = proc.rss;
        else spans.push({ pid: proc.pid, start: proc.rss, end: proc.rss });
      }
      spoolHigh = Math.max(spoolHigh, await gauge(system.wsMetricsUrl, "ws_spool_bytes") ?? 0);
      await sleep(2_000);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { rss, spoolHigh };
    },
  };
}

function rows(
  found: SoakFindings,
  sampled: { rss: Map<string, RssSpan[]>; spoolHigh: number },
  label: string,
): BenchRow[] {
  const row = (
    name: string,
    unit: string,
    value: number,
    baselineName: string,
    baseline: number,
  ) => ({ name: `${name} (${label})`, unit, value, baselineName, baseline });
  return [
    row("ticks missing outside gaps", "ticks", found.ticksMissing, "ticks sent", found.ticksSent),
    row(
      "trades missing outside gaps",
      "trades",
      found.tradesMissing,
      "trades sent",
      found.tradesSent,
    ),
    row(
      "ticks and trades sent after the stop signal, not stored (next start's restart gap)",
      "rows",
      found.missingAfterStop,
      "goal",
      0,
    ),
    row("duplicated tick rows", "rows", found.duplicateTicks, "ticks sent", found.ticksSent),
    row("duplicated lifecycle rows", "rows", found.duplicateLifecycle, "goal", 0),
    row("capture gaps unfilled after the audit", "gaps", found.gapsUnfilled, "gaps", found.gaps),
    row("receive→commit p50 outside faults", "ms", found.p50, "batch age limit", FLUSH_MS),
    row("receive→commit p99 outside faults", "ms", found.p99, "4× batch age limit", 4 * FLUSH_MS),
    row("receive→commit p99 overall", "ms", found.p99All, "4× batch age limit", 4 * FLUSH_MS),
    row("spool high-water mark", "MiB", mb(sampled.spoolHigh), "goal", 0),
    ...[...sampled.rss].flatMap(([service, spans]) =>
      spans.map((r, i) =>
        row(
          `RSS of ${service} ${
            i === 0 ? "(first process) at its last sample" : "after restart, at end"
          }`,
          "MiB",
          mb(r.end),
          "its RSS 15 s after start",
          mb(r.start),
        )
      )
    ),
  ];
}

/** `deno task bench soak [--quick]`. */
export default async function soakBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const plan = soakPlan(quick);
  const db = await createTestDatabase({ migrate: false });
  const target = new URL(db.url);
  const proxy = startTcpProxy({ hostname: target.hostname, port: Number(target.port || 5432) });
  const truthDir = await Deno.makeTempDir({ prefix: "soak_truth_" });
  const spoolDir = await Deno.makeTempDir({ prefix: "soak_spool_" });
  const log = (message: string) => console.error(`soak: ${message}`);
  const system = startSoakSystem({
    databaseUrl: proxy.url(db.url),
    markets: plan.markets,
    groundTruthDir: truthDir,
    spoolDir,
  });
  try {
    await system.running;
    const started = Date.now();
    // The schedule starts with capture: discovery of a large world takes a while on a loaded
    // machine, and until ws_service has markets to watch there are no ticks to lose.
    while (!(await gauge(system.wsMetricsUrl, "ws_messages_total", 'type="ticker"'))) {
      if (Date.now() - started > 600_000) throw new Error("soak: no tick captured in 10 minutes");
      await sleep(1_000);
    }
    const began = Date.now();
    log(
      `first tick after ${Math.round((began - started) / 1000)} s; running ${plan.seconds} s; ` +
        `load average ${Deno.loadavg().join(" ")}`,
    );
    const sampling = startSampling(system);
    const windows: FaultWindow[] = [];
    await runFaults({ system, proxy, windows, log }, plan.seconds, began);
    await sleep(began + plan.seconds * 1000 - Date.now());
    const sampled = await sampling.stop();
    const stopMs = Date.now();
    log(`load average ${Deno.loadavg().join(" ")} (${navigator.hardwareConcurrency} cores)`);
    log(`stopping (exit ${await system.stop()})`);
    const found = await compareWithTruth(db.sql, {
      truthDir,
      fromMs: began,
      stopMs,
      faults: windows,
    });
    diagnose(found, windows, began, log);
    return [
      ...rows(found, sampled, `${plan.markets} markets, ${plan.seconds} s`),
      {
        name: "start → first tick received (discovery, then subscription)",
        unit: "s",
        value: (began - started) / 1000,
        baselineName: "run length",
        baseline: plan.seconds,
      },
    ];
  } finally {
    await system.stop();
    await proxy.close();
    if (plan.keep) {
      await db.sql.end();
      log(`kept database ${db.url} and ground truth ${truthDir}`);
    } else {
      await db.drop();
      await Deno.remove(truthDir, { recursive: true }).catch(() => {});
    }
    await Deno.remove(spoolDir, { recursive: true }).catch(() => {});
  }
}

/** Where the missing rows and the slow commits were, relative to the run and its faults. */
function diagnose(
  found: SoakFindings,
  windows: FaultWindow[],
  began: number,
  log: (m: string) => void,
) {
  const seconds = (ms: number) => Math.round((ms - began) / 1000);
  const missed = new Map<string, number>();
  for (const ms of found.missedAtMs) {
    const fault = windows.find((w) => ms >= w.fromMs - 5_000 && ms <= w.toMs);
    const key = fault ? `near ${fault.name}` : `at ${seconds(ms)} s, outside faults`;
    missed.set(key, (missed.get(key) ?? 0) + 1);
  }
  for (const [where, n] of missed) log(`missing outside gaps: ${n} ${where}`);
  for (const w of windows) log(`fault ${w.name}: ${seconds(w.fromMs)}–${seconds(w.toMs)} s`);
  for (const p of found.pauses) {
    log(
      `commit pause ${Math.round(p.pauseMs)} ms before a ${p.rows}-row batch at ${
        seconds(p.atMs)
      } s`,
    );
  }
  for (const t of found.timeline) {
    log(
      `received at ${seconds(t.atMs)} s: ${t.rows} ticks, p50 ${Math.round(t.p50)} ms, ` +
        `p99 ${Math.round(t.p99)} ms`,
    );
  }
}
