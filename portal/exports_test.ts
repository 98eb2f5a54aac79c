/**
 * Portal connections always come back: downloads that the client cancels, abandons mid-stream or
 * stops reading release their database backend (pg_stat_activity of the test's own database),
 * concurrent downloads are capped (429 with Retry-After), a range streams without a row cap, and
 * a download whose database connection dies frees its slot. Real HTTP (Deno.serve, fetch and a
 * raw TCP client), real PostgreSQL; the watchdog's clock is injected.
 */
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { startTcpProxy } from "../lib/testing/tcp_proxy.ts";
import { until } from "../lib/testing/wait.ts";
import { createPortalApp } from "./app.ts";
import { createReaderPool } from "./db.ts";
import { ExportLimiter, ExportWatchdog } from "./exports.ts";
import { createPortalFixture, type PortalFixture } from "./testing/portal.ts";
import { rawGet, serveApp, type ServedApp } from "./testing/serve.ts";
import { SEED } from "./testing/seed.ts";

/** Candles added to the active market (period 1), far before the seeded ones. */
const EXTRA_CANDLES = 200_000;
const STALL_MS = 30_000;
const CSV = `/api/markets/${SEED.activeMarket}/candles?period=1&format=csv`;

async function addCandles(f: PortalFixture): Promise<void> {
  await f.db.sql`
    INSERT INTO candles (market_ticker, period_minutes, end_period_ts, price_close, volume, source)
    SELECT ${SEED.activeMarket}, 1, timestamptz '2020-01-01' + g * interval '1 minute', 0.5, g,
           'live'
    FROM generate_series(1, ${EXTRA_CANDLES}) g`;
}

/** The portal's backends on the test's database that are not idle (a query or a transaction). */
async function busyBackends(f: PortalFixture): Promise<{ state: string; query: string }[]> {
  return await f.db.sql<{ state: string; query: string }[]>`
    SELECT state, left(query, 80) AS query FROM pg_stat_activity
    WHERE datname = ${f.db.name} AND application_name = 'kalshi-portal'
      AND pid <> pg_backend_pid() AND state <> 'idle'`;
}

async function allReleased(f: PortalFixture, limiter: ExportLimiter, what: string) {
  await until(async () => (await busyBackends(f)).length === 0 && limiter.active === 0, what, {
    diagnose: async () => JSON.stringify({ busy: await busyBackends(f), slots: limiter.active }),
  });
}

/** What the steps of the first test share. */
interface StepContext {
  f: PortalFixture;
  served: ServedApp;
  limiter: ExportLimiter;
}

async function capsStep({ f, served, limiter }: StepContext): Promise<void> {
  const open = async (client: string) => {
    const abort = new AbortController();
    const res = await fetch(served.url + CSV, {
      signal: abort.signal,
      headers: { "x-forwarded-for": client },
    });
    return { res, stop: () => abort.abort() };
  };
  const a1 = await open("198.51.100.1");
  const a2 = await open("198.51.100.1");
  const a3 = await open("198.51.100.1");
  assertEquals([a1.res.status, a2.res.status, a3.res.status], [200, 200, 429]);
  assertEquals(a3.res.headers.get("retry-after"), "5");
  assertOk((await a3.res.json()).error.message.includes("2 downloads running"));
  const json = await fetch(`${served.url}/api/markets/${SEED.activeMarket}/ticks?format=json`, {
    headers: { "x-forwarded-for": "198.51.100.1" },
  });
  assertEquals(json.status, 429, "JSON downloads count too");
  await json.body?.cancel();
  const b1 = await open("198.51.100.2");
  const c1 = await open("198.51.100.3");
  assertEquals([b1.res.status, c1.res.status], [200, 429], "3 in total");
  await c1.res.body?.cancel();
  for (const d of [a1, a2, b1]) d.stop();
  await allReleased(f, limiter, "every slot and backend back");
  const again = await open("198.51.100.3");
  assertEquals(again.res.status, 200);
  again.stop();
  await allReleased(f, limiter, "released again");
}

async function jsonStep({ f, served, limiter }: StepContext): Promise<void> {
  const locker = await f.db.sql.reserve();
  try {
    await locker`BEGIN`;
    await locker`LOCK TABLE candles IN ACCESS EXCLUSIVE MODE`;
    const abort = new AbortController();
    const pending = fetch(`${served.url}/api/markets/${SEED.activeMarket}/candles?period=1`, {
      signal: abort.signal,
    }).catch(() => undefined);
    await until(
      async () => (await busyBackends(f)).some((b) => b.query.includes("json_agg")),
      "the JSON statement to wait on the lock",
    );
    abort.abort();
    await pending;
    await allReleased(f, limiter, "the statement cancelled while the lock is still held");
  } finally {
    await locker`ROLLBACK`;
    locker.release();
  }
}

Deno.test("downloads give their connection back however the client leaves", async (t) => {
  const f = await createPortalFixture({ seedOptions: { bulkMarkets: 0 } });
  await addCandles(f);
  let clock = 0;
  const limiter = new ExportLimiter({ perClient: 2, total: 3 });
  const watchdog = new ExportWatchdog({
    stallMs: STALL_MS,
    maxMs: 3600_000,
    now: () => clock,
    sweepEveryMs: 0,
  });
  const app = f.appWith({
    exports: { limiter, watchdog },
    trustedProxies: { mode: "hops", hops: 1 },
  });
  const served = serveApp(app);
  const ctx = { f, served, limiter };
  try {
    await t.step("a cancelled CSV download releases its backend at once, every time", async () => {
      for (let i = 0; i < 6; i++) { // more than the pool's 4 connections
        const abort = new AbortController();
        const res = await fetch(served.url + CSV, { signal: abort.signal });
        assertEquals(res.status, 200, f.logs.join("\n"));
        const reader = res.body!.getReader();
        await reader.read();
        await reader.read();
        assertEquals((await busyBackends(f)).length, 1, "the cursor's transaction is open");
        abort.abort();
        await reader.cancel().catch(() => {});
        await allReleased(f, limiter, `backend released after cancel #${i + 1}`);
      }
      const page = await fetch(`${served.url}/markets/${SEED.activeMarket}`);
      assertEquals(page.status, 200, "the pool is not starved");
      await page.body?.cancel();
    });

    await t.step("a client that drops the connection mid-stream releases it too", async () => {
      const raw = await rawGet(served.port, CSV);
      await raw.readUntil((text) => text.length > 200_000);
      assertOk(raw.received().startsWith("HTTP/1.1 200"));
      raw.close();
      await allReleased(f, limiter, "backend released after the socket closed");
    });

    await t.step("a client that stops reading is cut off after the stall time", async () => {
      const raw = await rawGet(served.port, CSV);
      await raw.readUntil((text) => text.includes("end_period_ts"));
      // The client reads nothing more; the clock moves on one stall period per check.
      await until(async () => {
        clock += STALL_MS;
        watchdog.sweep();
        return (await busyBackends(f)).length === 0 && limiter.active === 0;
      }, "the stalled download to be ended");
      const text = await raw.readToEnd();
      assertOk(!text.endsWith("\r\n0\r\n\r\n"), "the response is visibly incomplete");
      raw.close();
      assertOk(f.logs.some((l) => l.includes("download aborted") && l.includes("took no data")));
    });

    await t.step("a whole range streams completely: no row cap", async () => {
      const res = await fetch(served.url + CSV);
      const lines = (await res.text()).trimEnd().split("\n");
      assertEquals(lines.length, 1 + EXTRA_CANDLES + SEED.activeCandles[1]);
      await allReleased(f, limiter, "backend released after a complete download");
    });

    await t.step("downloads over the per-client and total caps get 429", () => capsStep(ctx));
    await t.step("a JSON download whose client leaves cancels its statement", () => jsonStep(ctx));
  } finally {
    await served.close();
    await f.close();
  }
});

Deno.test("a download whose database connection dies frees its slot", async () => {
  const f = await createPortalFixture({ seedOptions: { bulkMarkets: 0 } });
  await addCandles(f);
  const target = new URL(f.db.url);
  const proxy = startTcpProxy({ hostname: target.hostname, port: Number(target.port || 5432) });
  const reader = createReaderPool(proxy.url(f.db.url), { max: 3 });
  const limiter = new ExportLimiter({ perClient: 2, total: 2 });
  const watchdog = new ExportWatchdog({ stallMs: STALL_MS, maxMs: 3600_000, sweepEveryMs: 0 });
  const app = createPortalApp(reader, { assets: f.assets, exports: { limiter, watchdog } });
  const served = serveApp(app);
  try {
    const res = await fetch(served.url + CSV);
    const reader_ = res.body!.getReader();
    await reader_.read();
    await reader_.read();
    proxy.cut();
    let failed = false;
    try {
      while (!(await reader_.read()).done);
    } catch {
      failed = true;
    }
    assertOk(failed, "the client sees the download fail, not a short file that looks whole");
    await until(() => limiter.active === 0 && watchdog.size === 0, "the slot to be freed");
    proxy.restore();
    const again = await fetch(served.url + CSV);
    assertEquals(again.status, 200);
    const lines = (await again.text()).trimEnd().split("\n");
    assertEquals(lines.length, 1 + EXTRA_CANDLES + SEED.activeCandles[1], "the pool recovered");
    // A JSON answer whose held connection dies: an error answer, the slot freed, and the pool
    // serves every later request (the dead connection is never handed out again).
    proxy.cut();
    const json = `/api/markets/${SEED.activeMarket}/candles?period=60`;
    const lost = await fetch(served.url + json);
    assertOk(lost.status >= 500, `status ${lost.status}`);
    await lost.body?.cancel();
    await until(() => limiter.active === 0, "the JSON slot to be freed");
    proxy.restore();
    for (let i = 0; i < 4; i++) { // more than the pool's 3 connections
      const ok = await fetch(served.url + json);
      assertEquals(ok.status, 200, `JSON request #${i + 1} after the loss`);
      assertEquals((await ok.json()).candles.length, SEED.activeCandles[60]);
    }
  } finally {
    await served.close();
    // postgres.js waits out the timeout for a connection that died mid-query and was not reused.
    await reader.end({ timeout: 1 });
    await proxy.close();
    await f.close();
  }
});

Deno.test("the server's idle-in-transaction timeout is the backstop behind the watchdog", async () => {
  const f = await createPortalFixture({ seedOptions: { bulkMarkets: 0 } });
  await addCandles(f);
  const reader = createReaderPool(f.db.url, {
    max: 3,
    timeouts: { statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 1000 },
  });
  const limiter = new ExportLimiter({ perClient: 2, total: 2 });
  // A watchdog that never sweeps: only the server can end the stalled download.
  const watchdog = new ExportWatchdog({ stallMs: STALL_MS, maxMs: 3600_000, sweepEveryMs: 0 });
  const app = createPortalApp(reader, { assets: f.assets, exports: { limiter, watchdog } });
  const served = serveApp(app);
  try {
    const raw = await rawGet(served.port, CSV);
    await raw.readUntil((text) => text.includes("end_period_ts"));
    await until(() => limiter.active === 0, "the server to end the stalled download's session");
    raw.close();
    const again = await fetch(served.url + CSV);
    const lines = (await again.text()).trimEnd().split("\n");
    assertEquals(lines.length, 1 + EXTRA_CANDLES + SEED.activeCandles[1], "the pool recovered");
  } finally {
    await served.close();
    await reader.end({ timeout: 5 });
    await f.close();
  }
});

Deno.test("the watchdog ends stalled and overlong downloads only", () => {
  let now = 0;
  const ended: string[] = [];
  const watchdog = new ExportWatchdog({ stallMs: 10, maxMs: 100, now: () => now, sweepEveryMs: 0 });
  const reading = watchdog.watch((reason) => ended.push(`reading: ${reason}`));
  const stalled = watchdog.watch((reason) => ended.push(`stalled: ${reason}`));
  const fetching = watchdog.watch((reason) => ended.push(`fetching: ${reason}`));
  stalled.waiting();
  fetching.pulled(); // waiting on the database, not on the client
  for (now = 0; now < 50; now += 5) {
    reading.waiting();
    reading.pulled();
    watchdog.sweep();
  }
  assertEquals(ended.length, 1);
  assertOk(ended[0].startsWith("stalled: its client took no data for 0.01 s"));
  now = 100;
  assertEquals(watchdog.sweep(), 2);
  assertOk(ended.slice(1).every((e) => e.includes("ran longer than 0.1 s")));
  assertEquals(watchdog.size, 0);
  stalled.stop(); // stopping an ended download is harmless
});

Deno.test("the limiter caps per client and overall and frees idempotently", () => {
  const limiter = new ExportLimiter({ perClient: 1, total: 2 });
  const a = limiter.tryAcquire("a");
  assertEquals(limiter.tryAcquire("a"), { full: "client" });
  const b = limiter.tryAcquire("b");
  assertEquals(limiter.tryAcquire("c"), { full: "total" });
  assertOk("release" in a && "release" in b);
  a.release();
  a.release();
  assertEquals(limiter.active, 1);
  assertOk("release" in limiter.tryAcquire("a"));
});
