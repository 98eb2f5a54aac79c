import { createMetrics, createReadiness } from "@kalshi-data/lib/runtime";
import { assertEquals } from "../../lib/testing/assert.ts";
import { addWsReadiness, createGrowthTracker } from "./readiness.ts";

Deno.test("the growth tracker starts when the spool grows and resets when it drains or empties", () => {
  const track = createGrowthTracker();
  assertEquals(track(0, 0), undefined);
  assertEquals(track(100, 10), 10);
  assertEquals(track(300, 20), 10);
  assertEquals(track(300, 30), 10, "not drained: still counting");
  assertEquals(track(200, 40), undefined, "draining");
  assertEquals(track(250, 50), 50);
  assertEquals(track(0, 60), undefined);
});

Deno.test("ws readiness: connected, data while markets are open, a spool that drains", async () => {
  let now = 0;
  const state = { connected: true, last: undefined as number | undefined, open: 0, spool: 0 };
  const metrics = createMetrics();
  const readiness = createReadiness({ metrics });
  addWsReadiness(readiness, {
    connected: () => state.connected,
    lastDataMs: () => state.last,
    openWatched: () => state.open,
    spoolBytes: () => state.spool,
  }, { now: () => now, startedMs: 0, maxSilenceMs: 60_000, maxSpoolGrowingMs: 120_000, metrics });
  const failing = async () =>
    (await readiness.evaluate()).checks.filter((c) => !c.ok).map((c) => c.name);

  now = 600_000;
  assertEquals(await failing(), [], "silence without open markets is fine");
  state.open = 3;
  assertEquals(await failing(), ["data"], "open markets and nothing since the start");
  state.last = now - 1000;
  assertEquals(await failing(), []);
  state.connected = false;
  assertEquals(await failing(), ["connected"]);
  state.connected = true;

  state.spool = 1000;
  assertEquals(await failing(), []);
  now += 60_000;
  state.last = now;
  state.spool = 5000;
  assertEquals(await failing(), []);
  now += 61_000;
  state.last = now;
  assertEquals(await failing(), ["spool"], "grown for 121 s");
  const text = await metrics.render();
  assertEquals(/ws_spool_growing_seconds (\d+)/.exec(text)?.[1], "121");
  assertEquals(/ws_connected (\d)/.exec(text)?.[1], "1");
  assertEquals(/ws_subscribed_open_markets (\d+)/.exec(text)?.[1], "3");
  state.spool = 10;
  assertEquals(await failing(), [], "draining again");
});

Deno.test("ws readiness: the order-book channel is not ready when silent while books are subscribed", async () => {
  let now = 0;
  const book = {
    markets: 0,
    maintained: 0,
    lastMessageMs: null as number | null,
    gaps: 0,
    openGaps: 0,
  };
  const metrics = createMetrics();
  const readiness = createReadiness({ metrics });
  addWsReadiness(readiness, {
    connected: () => true,
    lastDataMs: () => now,
    openWatched: () => 0,
    spoolBytes: () => 0,
    orderbook: () => book,
  }, { now: () => now, startedMs: 0, maxSilenceMs: 60_000, maxSpoolGrowingMs: 120_000, metrics });
  const orderbook = async () =>
    (await readiness.evaluate()).checks.find((c) => c.name === "orderbook")!;

  now = 600_000;
  assertEquals((await orderbook()).ok, true, "no market in the order-book scope");
  book.markets = 5;
  assertEquals((await orderbook()).ok, false, "subscribed, nothing since the start");
  Object.assign(book, { maintained: 4, lastMessageMs: now - 1000, gaps: 2, openGaps: 1 });
  const check = await orderbook();
  assertEquals([check.ok, check.detail], [true, {
    markets: 5,
    books_maintained: 4,
    last_message_age_ms: 1000,
    gaps: 2,
    open_gaps: 1,
  }]);
  now += 61_000;
  assertEquals((await orderbook()).ok, false, "silent 62 s");
  const text = await metrics.render();
  assertEquals(/ws_orderbook_books\{state="maintained"\} (\d+)/.exec(text)?.[1], "4");
});
