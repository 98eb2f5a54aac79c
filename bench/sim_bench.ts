/**
 * The Kalshi simulator at scale, in this process: world start-up beside a linear extrapolation
 * from a world a tenth the size, heap and RSS beside their values before start-up, a full
 * `/markets` walk (limit 1000) over HTTP cold beside warm and warm beside as many trivial
 * round trips (`GET /exchange/status`), and the engine's real time per simulated second beside
 * real time. 100,000 markets (quick: 10,000). Reports numbers; never fails on time.
 *
 *   deno task bench sim [--quick]
 *   deno run --allow-net=127.0.0.1 --allow-read --allow-env bench/sim_bench.ts [--quick] [--markets N] [--seed S]
 */
import { parseArgs } from "node:util";
import { type ServedSimulator, serveSimulator } from "@kalshi-data/lib/kalshi/sim";
import type { BenchRow } from "./harness.ts";

const MIB = 1_048_576;

/** A timed `/markets` walk. */
interface Walk {
  pages: number;
  markets: number;
  ms: number;
  bytes: number;
}

/** Walks every `/markets` page (limit 1000). */
async function walk(restUrl: string): Promise<Walk> {
  const began = performance.now();
  let cursor = "";
  let markets = 0;
  let pages = 0;
  let bytes = 0;
  do {
    const res = await fetch(`${restUrl}/markets?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    const text = await res.text();
    if (res.status !== 200) {
      throw new Error(`page ${pages}: HTTP ${res.status} ${text.slice(0, 200)}`);
    }
    const body = JSON.parse(text);
    bytes += text.length;
    markets += body.markets.length;
    pages++;
    cursor = body.cursor;
  } while (cursor);
  return { pages, markets, ms: performance.now() - began, bytes };
}

/** Milliseconds for `n` sequential `GET /exchange/status` round trips (the HTTP floor). */
async function trivialRoundTrips(restUrl: string, n: number): Promise<number> {
  const began = performance.now();
  for (let i = 0; i < n; i++) await (await fetch(`${restUrl}/exchange/status`)).arrayBuffer();
  return performance.now() - began;
}

/** Milliseconds to start (and close) a simulator of `markets` markets. */
async function startupMs(markets: number, seed: number): Promise<number> {
  const began = performance.now();
  const served = serveSimulator({ markets, seed, groundTruth: { memory: false } });
  const ms = performance.now() - began;
  await served.close();
  return ms;
}

/** Real ms the engine needs per simulated second: 10 simulated s in 100 ms steps, clock paused. */
async function engineCost(served: ServedSimulator): Promise<{ msPerS: number; perS: number }> {
  const post = async (body: unknown) => {
    const res = await fetch(`${served.url}/_sim/clock`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    await res.body?.cancel();
  };
  const emitted = async () =>
    Number((await (await fetch(`${served.url}/_sim/status`)).json()).emitted);
  await post({ pause: true });
  const emitted0 = await emitted();
  const began = performance.now();
  for (let i = 0; i < 100; i++) await post({ advance_ms: 100 });
  const msPerS = (performance.now() - began) / 10;
  return { msPerS, perS: (await emitted() - emitted0) / 10 };
}

/** What one simulator run measured. */
interface SimFigures {
  markets: number;
  startMs: number;
  smallStartMs: number;
  before: Deno.MemoryUsage;
  afterStart: Deno.MemoryUsage;
  rssAfterWalk: number;
  cold: Walk;
  warm: Walk;
  floorMs: number;
  engine: { msPerS: number; perS: number };
}

/** Best start-up times of five (after a warm-up): `markets` markets and a tenth as many. */
async function startupTimes(
  markets: number,
  seed: number,
): Promise<{ full: number; tenth: number }> {
  const tenth = Math.max(1, Math.round(markets / 10));
  await startupMs(tenth, seed); // warm-up: the first world pays for compiling its code
  const best = { full: Infinity, tenth: Infinity };
  for (let i = 0; i < 5; i++) {
    best.tenth = Math.min(best.tenth, await startupMs(tenth, seed));
    best.full = Math.min(best.full, await startupMs(markets, seed));
  }
  return best;
}

/** Runs a simulator of `markets` markets and takes every figure (see the module doc). */
async function takeFigures(markets: number, seed: number): Promise<SimFigures> {
  // Memory first, before other worlds leave garbage behind; start-up times last.
  const before = Deno.memoryUsage();
  const served = serveSimulator({ markets, seed, groundTruth: { memory: false } });
  const afterStart = Deno.memoryUsage();
  let figures;
  try {
    const cold = await walk(served.restUrl);
    const rssAfterWalk = Deno.memoryUsage().rss;
    const warm = await walk(served.restUrl);
    const floorMs = await trivialRoundTrips(served.restUrl, warm.pages);
    const engine = await engineCost(served);
    figures = { markets, before, afterStart, rssAfterWalk, cold, warm, floorMs, engine };
  } finally {
    await served.close();
  }
  const startup = await startupTimes(markets, seed);
  return { ...figures, startMs: startup.full, smallStartMs: startup.tenth };
}

/** The figures as rows, each beside its same-run baseline. */
function simRows(f: SimFigures): BenchRow[] {
  const mib = (bytes: number) => bytes / MIB;
  return [
    {
      name: `world start-up, ${f.markets} markets (best of 5)`,
      unit: "ms",
      value: f.startMs,
      baselineName: "10 × start-up of a world a tenth the size (best of 5)",
      baseline: 10 * f.smallStartMs,
    },
    {
      name: "heap used after start-up",
      unit: "MiB",
      value: mib(f.afterStart.heapUsed),
      baselineName: "heap used before start-up",
      baseline: mib(f.before.heapUsed),
    },
    {
      name: "RSS after a full /markets walk",
      unit: "MiB",
      value: mib(f.rssAfterWalk),
      baselineName: "RSS before start-up",
      baseline: mib(f.before.rss),
    },
    {
      name: `/markets walk, cold (${f.cold.pages} pages of 1000)`,
      unit: "ms",
      value: f.cold.ms,
      baselineName: "the same walk, warm",
      baseline: f.warm.ms,
    },
    {
      name: "/markets walk, warm",
      unit: "ms",
      value: f.warm.ms,
      baselineName: `${f.warm.pages} GET /exchange/status round trips`,
      baseline: f.floorMs,
    },
    {
      name: "engine: real time per simulated second",
      unit: "ms",
      value: f.engine.msPerS,
      baselineName: "real time (1 s)",
      baseline: 1000,
    },
  ];
}

/** Measures a simulator of `markets` markets: the benchmark's rows (see the module doc). */
export async function measureSimulator(markets: number, seed: number): Promise<BenchRow[]> {
  const f = await takeFigures(markets, seed);
  console.error(
    `sim_bench: ${markets} markets, ${f.cold.markets} listed in ${f.cold.pages} pages ` +
      `(${(f.cold.bytes / MIB).toFixed(1)} MiB); engine ${Math.round(f.engine.perS)} messages ` +
      "per simulated s",
  );
  return simRows(f);
}

/** The benchmark: 100,000 markets (quick: 10,000), seed 1. */
export default async function simBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  return await measureSimulator(quick ? 10_000 : 100_000, 1);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      markets: { type: "string" },
      seed: { type: "string", default: "1" },
    },
  });
  const markets = Number(values.markets ?? (values.quick ? 10_000 : 100_000));
  const { renderTable } = await import("./harness.ts");
  const rows = await measureSimulator(markets, Number(values.seed));
  console.log(renderTable(rows.map((r) => ({ ...r, file: "sim_bench.ts" }))));
}
