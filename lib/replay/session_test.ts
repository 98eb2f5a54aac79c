import { withTestDatabase } from "../db/testing/database.ts";
import type { Sql } from "../db/mod.ts";
import { fakeClock } from "../kalshi/testing/fake_clock.ts";
import type { Clock } from "../kalshi/mod.ts";
import { createLogger } from "../log/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { until } from "../testing/wait.ts";
import { createDbSource } from "./db_source.ts";
import { serveReplay, type ServeReplayOptions } from "./server.ts";

const FROM = Date.UTC(2026, 10, 25, 12, 0, 0);
const quiet = createLogger("replay_test", { level: "error" });

/** Ticks of two markets, one per second each, offset by half a second: [ticker, ts_ms]. */
function tickTimes(): [string, number][] {
  const out: [string, number][] = [];
  for (let s = 0; s < 10; s++) {
    out.push(["M-ONE", FROM + s * 1000], ["M-TWO", FROM + s * 1000 + 500]);
  }
  return out;
}

async function insertTicks(sql: Sql): Promise<void> {
  const rows = tickTimes().map(([ticker, ms], i) => ({
    market_ticker: ticker,
    ts: new Date(ms),
    price: "0.5000",
    yes_bid: "0.4900",
    yes_ask: "0.5100",
    volume: `${i}.00`,
    open_interest: "3.00",
    extra: sql.json({ market_id: `id-${ticker}` }),
  }));
  await sql`INSERT INTO ticks ${sql(rows)}`;
}

/** A replay of the test's database over [FROM, FROM + 1 s) at speed 0, unless `options` differ. */
function serveFrom(sql: Sql, clock: Clock, options: Partial<ServeReplayOptions> = {}) {
  return serveReplay({
    source: createDbSource(sql),
    window: { fromMs: FROM, toMs: FROM + 1000 },
    speed: 0,
    quietMs: 200,
    clock,
    logger: quiet,
    ...options,
  });
}

interface Received {
  frames: Record<string, unknown>[];
  socket: WebSocket;
}

async function connect(url: string): Promise<Received> {
  const socket = new WebSocket(url);
  const frames: Record<string, unknown>[] = [];
  socket.onmessage = (ev) => frames.push(JSON.parse(ev.data));
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  return { frames, socket };
}

const tickerFrames = (r: Received) =>
  r.frames.filter((f) => f.type === "ticker").map((f) => {
    const msg = f.msg as { market_ticker: string; ts_ms: number };
    return [msg.market_ticker, msg.ts_ms] as [string, number];
  });

Deno.test("speed 1 paces by exchange time on the injected clock, and a market added mid-replay gets exactly its messages from then on", async () => {
  await withTestDatabase(async ({ sql }) => {
    await insertTicks(sql);
    const { fake, clock } = fakeClock(5_000_000);
    const served = serveFrom(sql, clock, {
      window: { fromMs: FROM, toMs: FROM + 60_000 },
      speed: 1,
    });
    const client = await connect(served.wsUrl);
    try {
      client.socket.send(JSON.stringify({
        id: 1,
        cmd: "subscribe",
        params: { channels: ["ticker"], market_tickers: ["M-ONE"] },
      }));
      await until(() => client.frames.length === 1, "subscribed");
      assertEquals(client.frames[0], {
        id: 1,
        type: "subscribed",
        msg: { channel: "ticker", sid: 1 },
      });
      // Nothing before the quiet moment has passed.
      await fake.tickAsync(199);
      assertEquals(tickerFrames(client), []);
      await fake.tickAsync(1);
      const expectUpTo = (ms: number, markets: Set<string>, sinceMs = -Infinity) =>
        tickTimes().filter(([t, at]) =>
          (t === "M-ONE" || (markets.has(t) && at > sinceMs)) && at <= FROM + ms
        );
      // Replay time follows the clock: after 3.2 s, exactly the ticks stamped up to 3.2 s.
      let elapsed = 0;
      for (const step of [0, 1000, 2000, 3200]) {
        await fake.tickAsync(step - elapsed);
        elapsed = step;
        const want = expectUpTo(step, new Set());
        await until(() => tickerFrames(client).length === want.length, `ticks up to ${step} ms`);
        assertEquals(tickerFrames(client), want);
      }
      client.socket.send(JSON.stringify({
        id: 2,
        cmd: "update_subscription",
        params: { sids: [1], action: "add_markets", market_tickers: ["M-TWO"] },
      }));
      await until(() => client.frames.some((f) => f.id === 2), "update acknowledged");
      assertEquals(client.frames.find((f) => f.id === 2), {
        id: 2,
        sid: 1,
        seq: 1,
        type: "ok",
        msg: { market_tickers: ["M-ONE", "M-TWO"] },
      });
      await fake.tickAsync(10_000);
      const want = expectUpTo(60_000, new Set(["M-TWO"]), FROM + elapsed);
      await until(() => tickerFrames(client).length === want.length, "the rest of the window");
      assertEquals(tickerFrames(client), want);
      const first = client.frames.find((f) => f.type === "ticker") as { msg: unknown };
      assertEquals(first.msg, {
        market_ticker: "M-ONE",
        market_id: "id-M-ONE",
        price_dollars: "0.5000",
        yes_bid_dollars: "0.4900",
        yes_ask_dollars: "0.5100",
        volume_fp: "0.00",
        open_interest_fp: "3.00",
        ts: FROM / 1000,
        ts_ms: FROM,
        time: new Date(FROM).toISOString(),
      });
    } finally {
      client.socket.close();
      await served.close();
    }
  });
});

Deno.test("commands are answered as Kalshi answers them", async () => {
  await withTestDatabase(async ({ sql }) => {
    const { clock } = fakeClock(5_000_000);
    const served = serveFrom(sql, clock);
    const client = await connect(served.wsUrl);
    try {
      const commands = [
        { id: 1, cmd: "subscribe", params: { channels: ["ticker", "market_lifecycle_v2"] } },
        { id: 2, cmd: "list_subscriptions" },
        { id: 3, cmd: "subscribe", params: { channels: ["nope"] } },
        { id: 4, cmd: "update_subscription", params: { sids: [2], action: "add_markets" } },
        { id: 5, cmd: "unsubscribe", params: { sids: [9] } },
        { id: 6, cmd: "unsubscribe", params: { sids: [1] } },
        { id: 7, cmd: "dance" },
      ];
      for (const c of commands) client.socket.send(JSON.stringify(c));
      client.socket.send("not json");
      await until(() => client.frames.length === 9, "every reply");
      assertEquals(client.frames, [
        { id: 1, type: "subscribed", msg: { channel: "ticker", sid: 1 } },
        { id: 1, type: "subscribed", msg: { channel: "market_lifecycle_v2", sid: 2 } },
        {
          id: 2,
          type: "ok",
          msg: [{ channel: "ticker", sid: 1 }, { channel: "market_lifecycle_v2", sid: 2 }],
        },
        { id: 3, type: "error", msg: { code: 8, msg: "Unknown channel name" } },
        { id: 4, type: "error", msg: { code: 14, msg: "Market ticker required" } },
        { id: 5, type: "error", msg: { code: 7, msg: "Unknown subscription ID" } },
        { id: 6, sid: 1, seq: 1, type: "unsubscribed" },
        { id: 7, type: "error", msg: { code: 5, msg: "Unknown command" } },
        { type: "error", msg: { code: 1, msg: "Unable to process message" } },
      ]);
    } finally {
      client.socket.close();
      await served.close();
    }
  });
});

/** The status line and headers a WebSocket handshake to `url` gets (a raw HTTP/1.1 request). */
async function handshake(url: string): Promise<string> {
  const { hostname, port, pathname } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    await conn.write(new TextEncoder().encode(
      `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ));
    const buffer = new Uint8Array(4096);
    const n = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
  } finally {
    conn.close();
  }
}

Deno.test("a client beyond the cap is refused with 503 and Retry-After; when one leaves, the next gets in", async () => {
  await withTestDatabase(async ({ sql }) => {
    const { clock } = fakeClock(5_000_000);
    const served = serveFrom(sql, clock, { maxClients: 2 });
    const clients = [await connect(served.wsUrl), await connect(served.wsUrl)];
    try {
      const refused = await handshake(served.wsUrl);
      assertEquals(refused.split("\r\n")[0], "HTTP/1.1 503 Service Unavailable");
      assertOk(/\r\nretry-after: 5\r\n/i.test(refused), refused);
      assertOk(refused.includes("at most 2 WebSocket clients"), refused);
      clients.shift()!.socket.close();
      await until(() => served.sessions().length === 1, "the first client gone");
      const next = await connect(served.wsUrl);
      clients.push(next);
      assertEquals(served.sessions().length, 2);
    } finally {
      for (const c of clients) c.socket.close();
      await served.close();
    }
  });
});
