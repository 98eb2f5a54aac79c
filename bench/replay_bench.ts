/**
 * Replay throughput at `--speed 0`: messages per second a replay delivers to one WebSocket client
 * and to ten at once (all of them together), beside the rate of reading the same rows with a plain
 * cursor query in the same run. Clients run in this process, so they share its CPU with the
 * server. Reports numbers; never fails on a time.
 */
import type { Sql } from "@kalshi-data/lib/db";
import { withTestDatabase } from "../lib/db/testing/database.ts";
import { systemClock } from "@kalshi-data/lib/kalshi";
import { createLogger } from "@kalshi-data/lib/log";
import { createDbSource, serveReplay } from "@kalshi-data/lib/replay";
import type { BenchRow } from "./harness.ts";

const FROM = Date.UTC(2026, 10, 25, 12, 0, 0);
const MARKETS = 200;
const logger = createLogger("replay_bench", { level: "error" });

/** `ticks` ticker rows over `MARKETS` markets, one every 10 ms, and a trade per 10 ticks. */
async function seed(sql: Sql, ticks: number): Promise<{ toMs: number; messages: number }> {
  await sql`SELECT ensure_tick_partitions(${new Date(FROM)}, 2)`;
  await sql`
    INSERT INTO ticks (market_ticker, ts, price, yes_bid, yes_ask, volume, open_interest,
                       yes_bid_size, yes_ask_size, last_trade_size, dollar_volume,
                       dollar_open_interest, extra)
    SELECT 'BENCH-' || (i % ${MARKETS}), ${new Date(FROM)}::timestamptz + i * interval '10 ms',
           0.5600, 0.5500, 0.5700, i, 100.00, 10.00, 12.00, 1.00, i / 100, 56,
           jsonb_build_object('market_id', 'id-' || (i % ${MARKETS}))
      FROM generate_series(0, ${ticks - 1}) AS i`;
  const trades = Math.floor(ticks / 10);
  await sql`
    INSERT INTO trades (trade_id, market_ticker, created_time, yes_price, no_price, count,
                        taker_side, source, raw)
    SELECT 'bench-' || i, 'BENCH-' || (i % ${MARKETS}),
           ${new Date(FROM)}::timestamptz + i * interval '100 ms', 0.5600, 0.4400, 3.00, 'yes',
           'ws', jsonb_build_object('trade_id', 'bench-' || i, 'market_ticker',
                                    'BENCH-' || (i % ${MARKETS}), 'yes_price_dollars', '0.5600',
                                    'no_price_dollars', '0.4400', 'count_fp', '3.00',
                                    'taker_side', 'yes', 'ts', 1764072000 + i / 10)
      FROM generate_series(0, ${trades - 1}) AS i`;
  return { toMs: FROM + ticks * 10 + 1, messages: ticks + trades };
}

/** Rows per second of a plain cursor read of the same rows, in the same order. */
async function plainRead(sql: Sql, toMs: number): Promise<number> {
  const started = performance.now();
  let rows = 0;
  for (const table of ["ticks", "trades"] as const) {
    const time = table === "ticks" ? sql`ts` : sql`created_time`;
    const cursor = sql`SELECT * FROM ${sql(table)}
                        WHERE ${time} >= ${new Date(FROM)} AND ${time} < ${new Date(toMs)}
                        ORDER BY ${time}`.cursor(2000);
    for await (const page of cursor) rows += page.length;
  }
  return rows / ((performance.now() - started) / 1000);
}

/** Connects, subscribes to ticker and trade, resolves with the time the last message arrived. */
function client(url: string, expected: number): Promise<{ firstMs: number; lastMs: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    let received = 0;
    let firstMs = 0;
    socket.onopen = () =>
      socket.send(JSON.stringify({
        id: 1,
        cmd: "subscribe",
        params: { channels: ["ticker", "trade"] },
      }));
    socket.onmessage = (ev) => {
      if (!(ev.data as string).startsWith('{"type":"t')) return;
      if (received++ === 0) firstMs = performance.now();
      if (received === expected) {
        const lastMs = performance.now();
        socket.close();
        resolve({ firstMs, lastMs });
      }
    };
    socket.onerror = (e) => reject(new Error(`client socket: ${(e as ErrorEvent).message}`));
  });
}

/** Messages per second to `clients` clients together, first message to last. */
async function replayRate(sql: Sql, toMs: number, expected: number, clients: number) {
  const served = serveReplay({
    source: createDbSource(sql),
    window: { fromMs: FROM, toMs },
    speed: 0,
    quietMs: 50,
    clock: systemClock,
    logger,
    maxClients: clients,
  });
  try {
    const runs = await Promise.all(
      Array.from({ length: clients }, () => client(served.wsUrl, expected)),
    );
    const first = Math.min(...runs.map((r) => r.firstMs));
    const last = Math.max(...runs.map((r) => r.lastMs));
    return (expected * clients) / ((last - first) / 1000);
  } finally {
    await served.close();
  }
}

/** The benchmark. */
export default async function replayBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  return await withTestDatabase(async ({ sql }) => {
    const { toMs, messages } = await seed(sql, quick ? 50_000 : 500_000);
    await sql`ANALYZE ticks`;
    await sql`ANALYZE trades`;
    await plainRead(sql, toMs); // warms the cache, as the replays read warm pages too
    const plain = await plainRead(sql, toMs);
    const one = await replayRate(sql, toMs, messages, 1);
    const ten = await replayRate(sql, toMs, messages, 10);
    const baselineName = "plain cursor SELECT of the same rows";
    return [
      {
        name: "replay --speed 0, one client",
        unit: "msg/s",
        value: one,
        baselineName,
        baseline: plain,
      },
      {
        name: "replay --speed 0, ten clients (sum)",
        unit: "msg/s",
        value: ten,
        baselineName,
        baseline: plain,
      },
    ];
  }, { max: 60 });
}
