import { assertEquals, assertOk } from "../testing/assert.ts";
import type { WsMessage } from "./schemas/ws.ts";
import { fakeClock } from "./testing/fake_clock.ts";
import { type FixtureServer, startFixtureServer } from "./testing/fixture_server.ts";
import { WsCommands } from "./ws_commands.ts";
import { decodeWsFrame } from "./ws_frame.ts";
import {
  chunkTickers,
  endsSubscription,
  planSubscribe,
  type WsSubscriptionLink,
  WsSubscriptions,
} from "./ws_subscriptions.ts";

Deno.test("tickers are chunked into groups of at most N, in order", () => {
  assertEquals(chunkTickers(["A", "B", "C", "D", "E"], 2), [["A", "B"], ["C", "D"], ["E"]]);
  assertEquals(chunkTickers([], 2), []);
});

Deno.test("a subscribe plan carries the first chunk and add_markets for the rest, with extra params", () => {
  const plan = planSubscribe("ticker", ["A", "B", "C"], {
    maxTickersPerCommand: 2,
    params: { send_initial_snapshot: true },
  });
  assertEquals(plan.subscribe, {
    send_initial_snapshot: true,
    channels: ["ticker"],
    market_tickers: ["A", "B"],
  });
  assertEquals(plan.addMarkets, [["C"]]);
});

Deno.test("a channel-wide subscribe plan names no market", () => {
  assertEquals(planSubscribe("market_lifecycle_v2", null, { maxTickersPerCommand: 2 }), {
    subscribe: { channels: ["market_lifecycle_v2"] },
    addMarkets: [],
  });
});

Deno.test("only channel errors on a sid (codes 10 and 25) end a subscription", () => {
  const error = (code: number, sid: number | null): WsMessage => ({
    type: "error",
    id: null,
    sid,
    seq: null,
    raw: {},
    code,
    message: "",
    marketTicker: null,
    marketTickers: null,
  });
  assertEquals([10, 25, 6, 8].map((code) => endsSubscription(error(code, 4))), [
    true,
    true,
    false,
    false,
  ]);
  assertEquals(endsSubscription(error(10, null)), false);
});

/** A clock on which no command ever times out: it is never ticked; the fixture server answers. */
const { clock: noTimeouts } = fakeClock(0);

/**
 * A real connection to the fixture server behind a {@linkcode WsSubscriptionLink}: `reconnect()`
 * drops the socket and opens a new one, as the client does.
 */
function fixtureLink(server: FixtureServer) {
  const commands = new WsCommands({ clock: noTimeouts, timeoutMs: 5000 });
  let epoch = 0;
  let socket: WebSocket | null = null;
  let opened = Promise.withResolvers<void>();
  const open = () => {
    const ws = new WebSocket(server.wsUrl);
    ws.onmessage = (event) => {
      const item = decodeWsFrame(event.data, 0);
      if (item.kind === "message") commands.settle(item.message);
    };
    ws.onopen = () => {
      socket = ws;
      epoch++;
      opened.resolve();
    };
  };
  const link: WsSubscriptionLink = {
    epoch: () => epoch,
    whenConnected: () => opened.promise,
    command: (name, params) => commands.send((text) => socket!.send(text), name, params),
  };
  const closeSocket = async () => {
    const ws = socket!;
    socket = null;
    opened = Promise.withResolvers<void>();
    const closed = new Promise((resolve) => (ws.onclose = resolve));
    ws.close();
    await closed;
    commands.rejectAll("test reconnect");
  };
  return {
    link,
    open,
    opened: () => opened.promise,
    closeSocket,
    close: () => (socket === null ? Promise.resolve() : closeSocket()),
  };
}

const cmds = (server: FixtureServer) =>
  server.commands.map((c) => {
    const p = c.params as Record<string, unknown>;
    return [c.cmd, p.action ?? p.channels ?? p.sids, p.market_tickers ?? null];
  });

Deno.test("a subscribe made before the connection opens is sent once it does, chunked", async () => {
  const server = startFixtureServer();
  const conn = fixtureLink(server);
  const subs = new WsSubscriptions(conn.link, { maxTickersPerCommand: 2 });
  try {
    const done = subs.subscribe("ticker", { marketTickers: ["T-1", "T-2", "T-3", "T-4", "T-5"] });
    assertEquals(subs.snapshot()[0].sid, null);
    conn.open();
    await done;
    assertEquals(cmds(server), [
      ["subscribe", ["ticker"], ["T-1", "T-2"]],
      ["update_subscription", "add_markets", ["T-3", "T-4"]],
      ["update_subscription", "add_markets", ["T-5"]],
    ]);
    const [state] = subs.snapshot();
    assertEquals([state.channel, state.allMarkets, state.sid], ["ticker", false, 1]);
    assertEquals(state.marketTickers.size, 5);
  } finally {
    await conn.close();
    await server.close();
  }
});

Deno.test("subscribing a channel twice at once establishes it once", async () => {
  const server = startFixtureServer();
  const conn = fixtureLink(server);
  const subs = new WsSubscriptions(conn.link);
  try {
    conn.open();
    await Promise.all([
      subs.subscribe("market_lifecycle_v2"),
      subs.subscribe("market_lifecycle_v2"),
    ]);
    assertEquals(cmds(server), [["subscribe", ["market_lifecycle_v2"], null]]);
  } finally {
    await conn.close();
    await server.close();
  }
});

Deno.test("markets are added and removed with update_subscription, only those that change", async () => {
  const server = startFixtureServer();
  const conn = fixtureLink(server);
  const subs = new WsSubscriptions(conn.link, { maxTickersPerCommand: 2 });
  try {
    conn.open();
    await subs.subscribe("trade", { marketTickers: ["A"] });
    await subs.subscribe("trade", { marketTickers: ["A", "B", "C", "D"] });
    await subs.removeMarkets("trade", ["A", "X"]);
    await subs.removeMarkets("no_such_channel", ["A"]);
    assertEquals(cmds(server), [
      ["subscribe", ["trade"], ["A"]],
      ["update_subscription", "add_markets", ["B", "C"]],
      ["update_subscription", "add_markets", ["D"]],
      ["update_subscription", "delete_markets", ["A"]],
    ]);
    assertEquals([...subs.snapshot()[0].marketTickers], ["B", "C", "D"]);
  } finally {
    await conn.close();
    await server.close();
  }
});

Deno.test("markets named for an all-markets channel send nothing more", async () => {
  const server = startFixtureServer();
  const conn = fixtureLink(server);
  const subs = new WsSubscriptions(conn.link);
  try {
    conn.open();
    await subs.subscribe("ticker");
    await subs.subscribe("ticker", { marketTickers: ["A"] });
    assertEquals(cmds(server), [["subscribe", ["ticker"], null]]);
    assertOk(subs.snapshot()[0].allMarkets);
  } finally {
    await conn.close();
    await server.close();
  }
});

Deno.test("unsubscribe sends the channel's sid and forgets it; an unknown channel sends nothing", async () => {
  const server = startFixtureServer();
  const conn = fixtureLink(server);
  const subs = new WsSubscriptions(conn.link);
  try {
    conn.open();
    await subs.subscribe("ticker");
    await subs.subscribe("trade");
    await subs.unsubscribe("ticker");
    await subs.unsubscribe("ticker");
    assertEquals(cmds(server).slice(2), [["unsubscribe", [1], null]]);
    assertEquals(subs.snapshot().map((s) => s.channel), ["trade"]);
  } finally {
    await conn.close();
    await server.close();
  }
});

Deno.test("after a reconnect every channel is subscribed again with all its markets", async () => {
  const server = startFixtureServer();
  const conn = fixtureLink(server);
  const subs = new WsSubscriptions(conn.link, { maxTickersPerCommand: 2 });
  try {
    conn.open();
    await subs.subscribe("ticker", { marketTickers: ["A", "B", "C"] });
    await subs.subscribe("market_lifecycle_v2");
    await conn.closeSocket();
    subs.connectionLost();
    assertEquals(subs.snapshot().map((s) => s.sid), [null, null]);
    server.commands.length = 0;
    conn.open();
    await conn.opened();
    subs.resubscribeAll();
    await Promise.all([subs.subscribe("ticker"), subs.subscribe("market_lifecycle_v2")]);
    assertEquals(cmds(server), [
      ["subscribe", ["ticker"], ["A", "B"]],
      ["subscribe", ["market_lifecycle_v2"], null],
      ["update_subscription", "add_markets", ["C"]],
    ]);
    assertEquals(subs.snapshot().map((s) => s.sid), [1, 2]);
  } finally {
    await conn.close();
    await server.close();
  }
});

Deno.test("a subscription the server ended is established again on the same connection", async () => {
  const server = startFixtureServer();
  const conn = fixtureLink(server);
  const subs = new WsSubscriptions(conn.link);
  try {
    conn.open();
    await subs.subscribe("trade");
    subs.reestablish("trade");
    subs.reestablish("not_subscribed");
    await subs.subscribe("trade");
    assertEquals(cmds(server), [["subscribe", ["trade"], null], ["subscribe", ["trade"], null]]);
    assertEquals(subs.snapshot()[0].sid, 2);
  } finally {
    await conn.close();
    await server.close();
  }
});
