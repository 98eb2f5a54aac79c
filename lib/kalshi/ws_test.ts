import { generateKeyPairSync } from "node:crypto";
import { assertEquals, assertOk, assertRejects, assertThrows } from "../testing/assert.ts";
import { startFixtureServer } from "./testing/fixture_server.ts";
import { verifyAuthHeaders } from "./auth.ts";
import type { Clock } from "./clock.ts";
import { KalshiWsCommandError } from "./errors.ts";
import { createWsClient, type KalshiWsClient, type WsStreamItem } from "./ws.ts";

function steppingClock(): Clock {
  let now = 1_790_000_000_000;
  return {
    now: () => (now += 1),
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

/** Reads items until `stop` says so (or the stream ends). */
async function collect(
  client: KalshiWsClient,
  stop: (item: WsStreamItem, all: WsStreamItem[]) => boolean,
): Promise<WsStreamItem[]> {
  const all: WsStreamItem[] = [];
  for await (const item of client) {
    all.push(item);
    if (stop(item, all)) break;
  }
  return all;
}

const isType = (item: WsStreamItem, type: string) =>
  item.kind === "message" && item.message.type === type;

Deno.test("reconnect re-subscribes every ticker, chunked, and reports the disconnect with start and end", async () => {
  const server = startFixtureServer();
  const client = createWsClient({
    url: server.wsUrl,
    clock: steppingClock(),
    maxTickersPerCommand: 2,
    livenessTimeoutMs: 0,
  });
  try {
    const tickers = ["T-1", "T-2", "T-3", "T-4", "T-5"];
    await client.subscribe("ticker", { marketTickers: tickers });
    await client.subscribe("market_lifecycle_v2");
    const firstRound = server.commands.map((c) => ({ ...c }));
    assertEquals(firstRound.map((c) => c.cmd), [
      "subscribe",
      "update_subscription",
      "update_subscription",
      "subscribe",
    ]);
    server.commands.length = 0;
    server.dropConnections();
    const items = await collect(
      client,
      (_item, all) =>
        all.filter((i) => isType(i, "ok")).length >= 4 &&
        all.filter((i) => isType(i, "subscribed")).length >= 4,
    );
    const marker = items.find((i) => i.kind === "disconnect");
    assertOk(marker !== undefined && marker.kind === "disconnect", "no disconnect marker");
    assertOk(marker.endedAtMs !== null && marker.startedAtMs <= marker.endedAtMs);
    assertEquals(server.connections(), 2);
    const resubscribed = server.commands.flatMap((c) => {
      const p = c.params as Record<string, unknown>;
      return (p.market_tickers as string[] | undefined) ?? [];
    });
    assertEquals(resubscribed.sort(), tickers);
    const channels = server.commands.filter((c) => c.cmd === "subscribe").map((c) =>
      (c.params as { channels: string[] }).channels[0]
    ).sort();
    assertEquals(channels, ["market_lifecycle_v2", "ticker"]);
    for (const c of server.commands) {
      const n =
        ((c.params as Record<string, unknown>).market_tickers as string[] | undefined)?.length ?? 0;
      assertOk(n <= 2, "a command carried more tickers than the limit");
    }
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("malformed frames become invalid items and the stream keeps going", async () => {
  const server = startFixtureServer();
  const client = createWsClient({
    url: server.wsUrl,
    clock: steppingClock(),
    livenessTimeoutMs: 0,
  });
  try {
    await client.subscribe("ticker");
    server.broadcast("this is not json");
    server.broadcast('{"type":"ticker","sid":1,"msg":{"market_ticker":"A-1"}}');
    server.broadcast('{"type":"fill","sid":9,"seq":1,"msg":{"market_ticker":"A-1"}}');
    server.broadcast(new TextEncoder().encode("\u0000binary") as unknown as string);
    server.broadcast(JSON.stringify({
      type: "ticker",
      sid: 1,
      msg: {
        market_ticker: "A-1",
        price_dollars: "0.5000",
        yes_bid_dollars: "0.4900",
        yes_ask_dollars: "0.5100",
        volume_fp: "10.00",
        open_interest_fp: "5.00",
        ts_ms: 1_790_000_000_123,
      },
    }));
    const items = await collect(client, (item) => isType(item, "ticker"));
    const kinds = items.filter((i) => !isType(i, "subscribed")).map((i) => i.kind);
    assertEquals(kinds, ["invalid", "invalid", "unsupported", "invalid", "message"]);
    const second = items.filter((i) => i.kind === "invalid")[1];
    assertOk(second.kind === "invalid" && second.error.includes("msg.yes_bid_dollars"));
    assertOk(second.rawText.includes('"A-1"'));
    const last = items[items.length - 1];
    assertOk(
      last.kind === "message" && last.message.type === "ticker" && last.message.yesBid === 4900,
    );
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("a sequence jump on a sid is reported as a gap before the message", async () => {
  const server = startFixtureServer();
  const client = createWsClient({
    url: server.wsUrl,
    clock: steppingClock(),
    livenessTimeoutMs: 0,
  });
  const trade = (seq: number) =>
    JSON.stringify({
      type: "trade",
      sid: 7,
      seq,
      msg: {
        trade_id: `t${seq}`,
        market_ticker: "A-1",
        yes_price_dollars: "0.6000",
        no_price_dollars: "0.4000",
        count_fp: "1.00",
        taker_outcome_side: "yes",
        ts_ms: 1_790_000_000_000,
      },
    });
  try {
    await client.subscribe("trade");
    for (const seq of [1, 2, 5, 6]) server.broadcast(trade(seq));
    const items = await collect(
      client,
      (item) => item.kind === "message" && item.message.type === "trade" && item.message.seq === 6,
    );
    const relevant = items.filter((i) => !isType(i, "subscribed"));
    assertEquals(relevant.map((i) => i.kind), ["message", "message", "gap", "message", "message"]);
    const gap = relevant[2];
    assertOk(gap.kind === "gap");
    assertEquals([gap.sid, gap.expectedSeq, gap.receivedSeq], [7, 3, 5]);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("control replies on a sid count in its sequence: an update_subscription is no gap", async () => {
  const server = startFixtureServer();
  const client = createWsClient({
    url: server.wsUrl,
    clock: steppingClock(),
    livenessTimeoutMs: 0,
  });
  const trade = (seq: number) =>
    JSON.stringify({
      type: "trade",
      sid: 7,
      seq,
      msg: {
        trade_id: `t${seq}`,
        market_ticker: "A-1",
        yes_price_dollars: "0.6000",
        no_price_dollars: "0.4000",
        count_fp: "1.00",
        taker_outcome_side: "yes",
        ts_ms: 1_790_000_000_000,
      },
    });
  const ok = (seq: number) =>
    JSON.stringify({ type: "ok", sid: 7, seq, msg: { market_tickers: ["A-1", "B-1"] } });
  try {
    await client.subscribe("trade");
    for (const frame of [trade(1), ok(2), trade(3), ok(4), trade(6)]) server.broadcast(frame);
    const items = await collect(
      client,
      (item) => item.kind === "message" && item.message.type === "trade" && item.message.seq === 6,
    );
    const gaps = items.filter((i) => i.kind === "gap");
    assertEquals(gaps.length, 1, "only the real jump is a gap");
    const gap = gaps[0];
    assertOk(gap.kind === "gap");
    assertEquals([gap.sid, gap.expectedSeq, gap.receivedSeq], [7, 5, 6]);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("the handshake carries a signature the server can verify", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  let verified = false;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    verified = verifyAuthHeaders(publicKey, {
      method: "GET",
      url: request.url,
      headers: request.headers,
    });
    if (!verified) return new Response('{"code":"token_authentication_failure"}', { status: 401 });
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (e) => {
      const cmd = JSON.parse(String(e.data));
      socket.send(
        JSON.stringify({ id: cmd.id, type: "subscribed", msg: { channel: "ticker", sid: 1 } }),
      );
    };
    return response;
  });
  const client = createWsClient({
    url: `ws://127.0.0.1:${(server.addr as Deno.NetAddr).port}/trade-api/ws/v2`,
    credentials: { keyId: "kid", privateKey },
    livenessTimeoutMs: 0,
  });
  try {
    await client.subscribe("ticker");
    assertOk(verified);
  } finally {
    await client.close();
    await server.shutdown();
  }
});

Deno.test("closing while the server is unreachable ends the stream with an open-ended disconnect", async () => {
  let attempts = 0;
  const client = createWsClient({
    url: "ws://127.0.0.1:9/trade-api/ws/v2",
    clock: steppingClock(),
    livenessTimeoutMs: 0,
    connect: () => {
      attempts++;
      if (attempts === 3) queueMicrotask(() => client.close());
      throw new Error("connection refused");
    },
  });
  const items = await collect(client, () => false);
  assertEquals(items.length, 1);
  const marker = items[0];
  assertOk(marker.kind === "disconnect" && marker.endedAtMs === null);
  assertOk(marker.failedAttempts >= 3);
});

Deno.test("a subscribe the server refuses rejects with KalshiWsCommandError carrying the code", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (e) => {
      const cmd = JSON.parse(String(e.data));
      socket.send(
        JSON.stringify({ id: cmd.id, type: "error", msg: { code: 8, msg: "Unknown channel" } }),
      );
    };
    return response;
  });
  const client = createWsClient({
    url: `ws://127.0.0.1:${(server.addr as Deno.NetAddr).port}/trade-api/ws/v2`,
    livenessTimeoutMs: 0,
  });
  try {
    const error = await assertRejects(client.subscribe("no_such_channel"), KalshiWsCommandError);
    assertEquals([error.code, error.command], [8, "subscribe"]);
  } finally {
    await client.close();
    await server.shutdown();
  }
});

Deno.test("a connection that goes silent is dropped by the watchdog and reconnected", async () => {
  let handshakes = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    handshakes++;
    const { response } = Deno.upgradeWebSocket(request);
    return response; // never sends a frame
  });
  const client = createWsClient({
    url: `ws://127.0.0.1:${(server.addr as Deno.NetAddr).port}/trade-api/ws/v2`,
    clock: steppingClock(),
    livenessTimeoutMs: 20,
  });
  try {
    const [marker] = await collect(client, (item) => item.kind === "disconnect");
    assertOk(marker.kind === "disconnect" && marker.reason.startsWith("no frame for 20 ms"));
    assertOk(handshakes >= 2);
  } finally {
    await client.close();
    await server.shutdown();
  }
});

/**
 * A server that answers subscribe and then sends `frames(connection)` ticker frames on that
 * connection; records handshakes, subscribe commands and when the first connection closed.
 */
function startFloodServer(frames: (connection: number) => string[]) {
  let handshakes = 0;
  const subscribes: number[] = [];
  let firstClosed!: () => void;
  const firstConnectionClosed = new Promise<void>((resolve) => (firstClosed = resolve));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const connection = ++handshakes;
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (e) => {
      const cmd = JSON.parse(String(e.data));
      if (cmd.cmd !== "subscribe") return;
      subscribes.push(connection);
      socket.send(
        JSON.stringify({ id: cmd.id, type: "subscribed", msg: { channel: "ticker", sid: 1 } }),
      );
      for (const frame of frames(connection)) socket.send(frame);
    };
    if (connection === 1) socket.onclose = () => firstClosed();
    return response;
  });
  return {
    url: `ws://127.0.0.1:${(server.addr as Deno.NetAddr).port}/trade-api/ws/v2`,
    handshakes: () => handshakes,
    subscribes,
    firstConnectionClosed,
    close: () => server.shutdown(),
  };
}

/** Guards a wait that a regression would turn into a hang: fails it after 10 s instead. */
async function failUnlessSettled(promise: Promise<void>, failure: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(failure)), 10_000);
  });
  try {
    await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

function tickerFrame(market: string, seq: number): string {
  return JSON.stringify({
    type: "ticker",
    sid: 1,
    seq,
    msg: {
      market_ticker: market,
      price_dollars: "0.5000",
      yes_bid_dollars: "0.4900",
      yes_ask_dollars: "0.5100",
      volume_fp: "10.00",
      open_interest_fp: "5.00",
      ts_ms: 1_790_000_000_000 + seq,
    },
  });
}

const seqOf = (item: WsStreamItem, market: string) =>
  item.kind === "message" && item.message.type === "ticker" &&
    item.message.marketTicker === market
    ? item.message.seq
    : null;

Deno.test("a consumer that stops reading costs the connection, not memory: the buffer stays bounded, a buffer_overflow marker spans the loss and the stream resumes", async () => {
  const max = 20;
  const server = startFloodServer((connection) =>
    connection === 1
      ? Array.from({ length: 5 * max }, (_, i) => tickerFrame("A-1", i + 1))
      : [1, 2, 3].map((seq) => tickerFrame("B-1", seq))
  );
  const bufferedAtConnect: number[] = [];
  // Declared first: the client connects (and calls `connect`) before createWsClient returns.
  let client: KalshiWsClient | undefined = undefined;
  client = createWsClient({
    url: server.url,
    clock: steppingClock(),
    livenessTimeoutMs: 0,
    maxBufferedMessages: max,
    connect: (url) => {
      bufferedAtConnect.push(client?.buffered ?? 0);
      return new WebSocket(url);
    },
  });
  try {
    await client.subscribe("ticker");
    // Nobody reads: the client drops the connection at a full buffer instead of growing.
    await failUnlessSettled(server.firstConnectionClosed, "the flooded connection was kept open");
    assertEquals(client.buffered, max);
    assertEquals(client.connected, false);

    const items = await collect(client, (item) => seqOf(item, "B-1") === 3);
    // Everything received before the overflow is delivered, in order.
    const before = items.slice(0, max);
    assertOk(isType(before[0], "subscribed"));
    assertEquals(
      before.slice(1).map((i) => seqOf(i, "A-1")),
      Array.from({ length: max - 1 }, (_, i) => i + 1),
    );
    const markers = items.filter((i) => i.kind === "disconnect");
    assertEquals(markers.length, 1);
    const marker = markers[0];
    assertOk(marker.kind === "disconnect" && marker.endedAtMs !== null);
    assertEquals(marker.reason, "buffer_overflow");
    assertEquals(items.indexOf(marker), max);
    // The marker spans exactly the lost stretch: from after the last frame kept to the reconnect.
    const receivedAt = (i: WsStreamItem) => (i.kind === "disconnect" ? NaN : i.receivedAtMs);
    assertOk(before.every((i) => receivedAt(i) < marker.startedAtMs));
    assertOk(marker.startedAtMs <= marker.endedAtMs);
    const after = items.slice(max + 1);
    assertOk(after.every((i) => receivedAt(i) > marker.endedAtMs!));
    // The stream resumes on a new connection with the subscription re-established.
    assertOk(isType(after[0], "subscribed"));
    assertEquals(after.slice(1).map((i) => seqOf(i, "B-1")), [1, 2, 3]);
    assertEquals(items.filter((i) => i.kind === "gap").length, 0);
    assertEquals(server.subscribes, [1, 2]);
    // It reconnected only once the consumer had read half of the buffer.
    assertEquals(server.handshakes(), 2);
    assertEquals(bufferedAtConnect.length, 2);
    assertOk(bufferedAtConnect[1] <= max / 2, `reconnected at ${bufferedAtConnect[1]} buffered`);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("closing while a lagging consumer holds the buffer ends the stream with an open-ended buffer_overflow marker", async () => {
  const max = 8;
  const server = startFloodServer(() =>
    Array.from({ length: 3 * max }, (_, i) => tickerFrame("A-1", i + 1))
  );
  const client = createWsClient({
    url: server.url,
    clock: steppingClock(),
    livenessTimeoutMs: 0,
    maxBufferedMessages: max,
  });
  try {
    await client.subscribe("ticker");
    await failUnlessSettled(server.firstConnectionClosed, "the flooded connection was kept open");
    await client.close();
    const items = await collect(client, () => false);
    assertEquals(items.length, max + 1);
    const marker = items[max];
    assertOk(marker.kind === "disconnect" && marker.endedAtMs === null);
    assertEquals(marker.reason, "buffer_overflow");
    assertEquals(server.handshakes(), 1);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("a buffer limit below one message is refused", () => {
  for (const maxBufferedMessages of [0, -1, 1.5]) {
    assertThrows(() => createWsClient({ maxBufferedMessages }), RangeError);
  }
});

Deno.test("refused handshakes are refused items counted in a row, and the client keeps reconnecting", async () => {
  let handshakes = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    handshakes++;
    if (handshakes <= 3) {
      const status = handshakes === 2 ? 403 : 401;
      return new Response('{"code":"token_authentication_failure"}', { status });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (e) => {
      const cmd = JSON.parse(String(e.data));
      socket.send(
        JSON.stringify({ id: cmd.id, type: "subscribed", msg: { channel: "ticker", sid: 1 } }),
      );
    };
    return response;
  });
  const client = createWsClient({
    url: `ws://127.0.0.1:${(server.addr as Deno.NetAddr).port}/trade-api/ws/v2`,
    clock: steppingClock(),
    livenessTimeoutMs: 0,
  });
  try {
    const subscribed = client.subscribe("ticker");
    const items = await collect(client, (item) => isType(item, "subscribed"));
    await subscribed;
    assertEquals(items.map((i) => i.kind), [
      "refused",
      "refused",
      "refused",
      "disconnect",
      "message",
    ]);
    const refused = items.filter((i) => i.kind === "refused");
    assertEquals(refused.map((i) => [i.status, i.attempts]), [[401, 1], [403, 2], [401, 3]]);
    const marker = items[3];
    assertOk(marker.kind === "disconnect" && marker.failedAttempts === 3);
    assertOk(marker.reason.includes("status code: 401"), marker.reason);
    const first = refused[0];
    assertOk(first.kind === "refused" && first.receivedAtMs > marker.startedAtMs);
  } finally {
    await client.close();
    await server.shutdown();
  }
});

Deno.test("channelOf names the channel of each confirmed sid when its reply is read, and a reconnect forgets the old sids", async () => {
  const server = startFixtureServer();
  const client = createWsClient({
    url: server.wsUrl,
    clock: steppingClock(),
    livenessTimeoutMs: 0,
  });
  try {
    await client.subscribe("ticker");
    await client.subscribe("trade");
    const channelAtRead: [string, string | null][] = [];
    const readSubscribed = (count: number) =>
      collect(client, (item, all) => {
        if (item.kind === "message" && item.message.type === "subscribed") {
          channelAtRead.push([item.message.channel, client.channelOf(item.message.sid)]);
        }
        return all.filter((i) => isType(i, "subscribed")).length >= count;
      });
    await readSubscribed(2);
    assertEquals([client.channelOf(1), client.channelOf(2), client.channelOf(3)], [
      "ticker",
      "trade",
      null,
    ]);
    await client.unsubscribe("ticker");
    server.dropConnections();
    await readSubscribed(1);
    assertEquals(channelAtRead, [["ticker", "ticker"], ["trade", "trade"], ["trade", "trade"]]);
    assertEquals([client.channelOf(1), client.channelOf(2)], ["trade", null]);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("a channel error on a sid makes the client subscribe that channel again", async () => {
  const server = startFixtureServer();
  const client = createWsClient({
    url: server.wsUrl,
    clock: steppingClock(),
    livenessTimeoutMs: 0,
  });
  try {
    await client.subscribe("trade");
    server.broadcast(JSON.stringify({ type: "error", sid: 1, msg: { code: 10, msg: "gone" } }));
    await collect(client, (_item, all) => all.filter((i) => isType(i, "subscribed")).length >= 2);
    const subscribes = server.commands.filter((c) => c.cmd === "subscribe");
    assertEquals(subscribes.length, 2);
    assertEquals(client.subscriptions()[0].sid, 2);
    assertEquals(client.channelOf(2), "trade");
  } finally {
    await client.close();
    await server.close();
  }
});
