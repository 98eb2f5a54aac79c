/**
 * Measures the Kalshi simulator at scale: world start-up time, memory, and a full `/markets` walk
 * (limit 1000) over HTTP, cold then warm, plus idle engine cost. Reports numbers; never fails on time.
 *
 *   deno run --allow-net=127.0.0.1 --allow-read --allow-env bench/sim_bench.ts [--markets 100000] [--seed 1]
 */
import { parseArgs } from "node:util";
import { serveSimulator } from "../lib/kalshi/sim/simulator.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    markets: { type: "string", default: "100000" },
    seed: { type: "string", default: "1" },
  },
});
const markets = Number(values.markets);
const mb = (n: number) => Math.round(n / 1e5) / 10;

const rssBefore = Deno.memoryUsage().rss;
const t0 = performance.now();
const served = serveSimulator({
  markets,
  seed: Number(values.seed),
  groundTruth: { memory: false },
});
const startMs = performance.now() - t0;
const afterStart = Deno.memoryUsage();

async function walk(): Promise<{ markets: number; pages: number; seconds: number; bytes: number }> {
  const t = performance.now();
  let cursor = "";
  let n = 0;
  let pages = 0;
  let bytes = 0;
  do {
    const res = await fetch(
      `${served.restUrl}/markets?limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
    );
    const text = await res.text();
    if (res.status !== 200) {
      throw new Error(`page ${pages}: HTTP ${res.status} ${text.slice(0, 200)}`);
    }
    bytes += text.length;
    const body = JSON.parse(text);
    n += body.markets.length;
    pages++;
    cursor = body.cursor;
  } while (cursor);
  return { markets: n, pages, seconds: Math.round(performance.now() - t) / 1000, bytes };
}

const cold = await walk();
const afterCold = Deno.memoryUsage();
const warm = await walk();
// Engine cost: pause the clock, then advance 10 simulated seconds in 100 ms steps (each step pumps).
const post = async (body: unknown) => {
  const res = await fetch(`${served.url}/_sim/clock`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  await res.body?.cancel();
};
await post({ pause: true });
const emitted0 = Number((await (await fetch(`${served.url}/_sim/status`)).json()).emitted);
const e0 = performance.now();
for (let i = 0; i < 100; i++) await post({ advance_ms: 100 });
const engineMs = performance.now() - e0;
const status = await (await fetch(`${served.url}/_sim/status`)).json();
await served.close();

console.log(JSON.stringify(
  {
    markets,
    events: status.events,
    series: status.series,
    startup_ms: Math.round(startMs),
    rss_mb: {
      before: mb(rssBefore),
      after_start: mb(afterStart.rss),
      after_walk: mb(afterCold.rss),
    },
    heap_used_mb: { after_start: mb(afterStart.heapUsed), after_walk: mb(afterCold.heapUsed) },
    walk_cold: { ...cold, mb: mb(cold.bytes) },
    walk_warm: { ...warm, mb: mb(warm.bytes) },
    engine: {
      messages_per_simulated_s: Math.round((Number(status.emitted) - emitted0) / 10),
      real_ms_per_simulated_s: Math.round(engineMs / 10),
    },
  },
  null,
  2,
));
