import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import { KalshiWsCommandError } from "./errors.ts";
import type { WsMessage } from "./schemas/ws.ts";
import { fakeClock } from "./testing/fake_clock.ts";
import { startFixtureServer } from "./testing/fixture_server.ts";
import { WsCommands } from "./ws_commands.ts";
import { decodeWsFrame } from "./ws_frame.ts";

function reply(type: "subscribed" | "ok" | "unsubscribed", id: number | null): WsMessage {
  const base = { id, sid: 3, seq: null, raw: {} };
  if (type === "subscribed") return { ...base, type, channel: "ticker", sid: 3 };
  if (type === "ok") return { ...base, type, marketTickers: null, msg: {} };
  return { ...base, type };
}

function errorReply(id: number | null, code: number): WsMessage {
  return {
    type: "error",
    id,
    sid: null,
    seq: null,
    raw: {},
    code,
    message: "Unknown channel",
    marketTicker: null,
    marketTickers: null,
  };
}

Deno.test("commands go out as {id, cmd, params} with increasing ids, params left out when absent", () => {
  const { clock } = fakeClock(1_000_000);
  const commands = new WsCommands({ clock, timeoutMs: 1000 });
  const sent: string[] = [];
  commands.send((t) => sent.push(t), "subscribe", { channels: ["ticker"] }).catch(() => {});
  commands.send((t) => sent.push(t), "list_subscriptions").catch(() => {});
  assertEquals(sent.map((t) => JSON.parse(t)), [
    { id: 1, cmd: "subscribe", params: { channels: ["ticker"] } },
    { id: 2, cmd: "list_subscriptions" },
  ]);
  assertEquals(commands.size, 2);
  commands.rejectAll("test over");
});

Deno.test("subscribed, ok and unsubscribed replies resolve the command with their id", async () => {
  const { clock } = fakeClock(1_000_000);
  const commands = new WsCommands({ clock, timeoutMs: 1000 });
  const types = ["subscribed", "ok", "unsubscribed"] as const;
  const pending = types.map((type) => commands.send(() => {}, type));
  for (const [i, type] of [...types.entries()].reverse()) {
    assertOk(commands.settle(reply(type, i + 1)));
  }
  assertEquals((await Promise.all(pending)).map((m) => m.type), [...types]);
  assertEquals(commands.size, 0);
});

Deno.test("an error reply rejects its command with KalshiWsCommandError carrying code and command", async () => {
  const { clock } = fakeClock(1_000_000);
  const commands = new WsCommands({ clock, timeoutMs: 1000 });
  const pending = commands.send(() => {}, "subscribe", { channels: ["nope"] });
  assertOk(commands.settle(errorReply(1, 8)));
  const error = await assertRejects(pending, KalshiWsCommandError);
  assertEquals([error.code, error.command], [8, "subscribe"]);
});

Deno.test("messages that answer no waiting command are not taken", async () => {
  const { clock } = fakeClock(1_000_000);
  const commands = new WsCommands({ clock, timeoutMs: 1000 });
  const pending = commands.send(() => {}, "subscribe");
  assertEquals(commands.settle(reply("ok", null)), false, "no id");
  assertEquals(commands.settle(reply("ok", 99)), false, "unknown id");
  assertEquals(commands.settle(errorReply(null, 10)), false, "error on a sid, no id");
  assertEquals(commands.size, 1);
  assertOk(commands.settle(reply("subscribed", 1)));
  await pending;
});

Deno.test("a command not answered in time fails after the injected clock passed the timeout; a late reply is not taken", async () => {
  const { fake, clock } = fakeClock(1_000_000);
  const commands = new WsCommands({ clock, timeoutMs: 15_000 });
  let failure: Error | null = null;
  const pending = commands.send(() => {}, "update_subscription").catch((e) => (failure = e));
  await fake.tickAsync(14_999);
  assertEquals(failure, null);
  await fake.tickAsync(1);
  await pending;
  assertEquals(
    failure!.message,
    "Kalshi WebSocket update_subscription (id 1) got no reply in 15000 ms",
  );
  assertEquals(commands.size, 0);
  assertEquals(commands.settle(reply("ok", 1)), false);
});

Deno.test("a settled command's timeout never fires", async () => {
  const { fake, clock } = fakeClock(1_000_000);
  const commands = new WsCommands({ clock, timeoutMs: 100 });
  const pending = commands.send(() => {}, "subscribe");
  commands.settle(reply("subscribed", 1));
  await pending;
  assertEquals(fake.countTimers(), 0);
});

Deno.test("losing the connection rejects every pending command with the reason", async () => {
  const { fake, clock } = fakeClock(1_000_000);
  const commands = new WsCommands({ clock, timeoutMs: 1000 });
  const a = commands.send(() => {}, "subscribe");
  const b = commands.send(() => {}, "update_subscription");
  commands.rejectAll("closed 1006");
  assertEquals(
    (await assertRejects(a, Error)).message,
    "connection lost before reply to subscribe: closed 1006",
  );
  assertEquals(
    (await assertRejects(b, Error)).message,
    "connection lost before reply to update_subscription: closed 1006",
  );
  assertEquals([commands.size, fake.countTimers()], [0, 0]);
});

Deno.test("a command the socket cannot take fails at once and is not left waiting", async () => {
  const { clock } = fakeClock(1_000_000);
  const commands = new WsCommands({ clock, timeoutMs: 1000 });
  const pending = commands.send(() => {
    throw new Error("socket closing");
  }, "subscribe");
  assertEquals((await assertRejects(pending, Error)).message, "socket closing");
  assertEquals(commands.size, 0);
});

Deno.test("against the fixture server, commands are settled by the server's own replies", async () => {
  const server = startFixtureServer();
  const { clock } = fakeClock(1_000_000);
  const commands = new WsCommands({ clock, timeoutMs: 1000 });
  const socket = new WebSocket(server.wsUrl);
  socket.onmessage = (event) => {
    const item = decodeWsFrame(event.data, 0);
    if (item.kind === "message") commands.settle(item.message);
  };
  try {
    await new Promise((resolve) => (socket.onopen = resolve));
    const send = (text: string) => socket.send(text);
    const subscribed = await commands.send(send, "subscribe", { channels: ["trade"] });
    assertOk(subscribed.type === "subscribed" && subscribed.channel === "trade");
    const ok = await commands.send(send, "update_subscription", {
      sid: subscribed.sid,
      market_tickers: ["A-1"],
      action: "add_markets",
    });
    assertOk(ok.type === "ok" && ok.id === 2);
    const refused = commands.send(send, "update_subscription", {
      sid: 99,
      market_tickers: ["A-1"],
      action: "add_markets",
    });
    assertEquals((await assertRejects(refused, KalshiWsCommandError)).code, 7);
    assertEquals(server.commands.map((c) => c.id), [1, 2, 3]);
  } finally {
    socket.close();
    await server.close();
  }
});
