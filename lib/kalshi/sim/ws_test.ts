import { ok as assert } from "node:assert/strict";
import { constants, generateKeyPairSync, sign } from "node:crypto";
import { Buffer } from "node:buffer";
import { assertEquals } from "../../testing/assert.ts";
import { parseWsMessage } from "../schemas.ts";
import type { EmitRecord, WsRecord } from "./ground_truth.ts";
import { type ServedSimulator, serveSimulator } from "./simulator.ts";
import { until } from "../../testing/wait.ts";
import { Subscriber } from "./testing/subscriber.ts";

const START = Date.UTC(2026, 10, 25, 12, 0, 0);

/** Waits (yielding to the event loop) until `cond` holds; the bound only stops a hung test. */

function serve(extra: Parameters<typeof serveSimulator>[0] = {}): ServedSimulator {
  return serveSimulator({
    seed: 11,
    markets: 60,
    startMs: START,
    paused: true,
    pumpIntervalMs: 0,
    pingSeconds: 0,
    ...extra,
  });
}

function sentTo(s: ServedSimulator, conn: number): string[] {
  return (s.sim.groundTruth.records("ws") as WsRecord[])
    .filter((r) =>
      r.conn === conn && (r.kind === "ws_send" || (r.kind === "ws_fault" && r.frame !== undefined))
    )
    .map((r) => r.frame!);
}

Deno.test("an unsigned WebSocket upgrade is accepted and answers Kalshi's commands", async () => {
  const s = serve();
  const c = new Subscriber(s.wsUrl);
  try {
    await c.opened();
    c.send({
      id: 1,
      cmd: "subscribe",
      params: { channels: ["ticker", "trade"], market_tickers: [s.sim.world.marketTickers[0]] },
    });
    c.send({ id: 2, cmd: "subscribe", params: { channels: ["market_lifecycle_v2"] } });
    c.send({ id: 3, cmd: "list_subscriptions" });
    c.send({
      id: 4,
      cmd: "update_subscription",
      params: { sids: [1], market_tickers: [s.sim.world.marketTickers[1]], action: "add_markets" },
    });
    c.send({ id: 5, cmd: "update_subscription", params: { sids: [1, 2], action: "add_markets" } });
    c.send({ id: 6, cmd: "unsubscribe", params: { sids: [2] } });
    c.send({ id: 7, cmd: "unsubscribe", params: { sids: [99] } });
    c.send({ id: 8, cmd: "frobnicate" });
    c.send({ id: 9, cmd: "subscribe", params: { channels: [] } });
    c.send({ id: 10, cmd: "subscribe", params: { channels: ["no_such_channel"] } });
    c.send({
      id: 11,
      cmd: "subscribe",
      params: { channels: ["orderbook_delta"], market_tickers: ["X"] },
    });
    await until(() => c.frames.length >= 12, "replies");
    const replies = c.json();
    assertEquals(replies.slice(0, 3), [
      { id: 1, type: "subscribed", msg: { channel: "ticker", sid: 1 } },
      { id: 1, type: "subscribed", msg: { channel: "trade", sid: 2 } },
      { id: 2, type: "subscribed", msg: { channel: "market_lifecycle_v2", sid: 3 } },
    ]);
    assertEquals(replies[3], {
      id: 3,
      type: "ok",
      msg: [{ channel: "ticker", sid: 1 }, { channel: "trade", sid: 2 }, {
        channel: "market_lifecycle_v2",
        sid: 3,
      }],
    });
    assertEquals(replies[4], {
      id: 4,
      sid: 1,
      seq: 1,
      type: "ok",
      msg: { market_tickers: [s.sim.world.marketTickers[0], s.sim.world.marketTickers[1]] },
    });
    const codes = replies.slice(5).map((r) =>
      r.type === "error" ? (r.msg as { code: number }).code : r.type
    );
    assertEquals(codes, [12, "unsubscribed", 7, 5, 3, 8, 9]);
    for (const r of replies) assertEquals(parseWsMessage(r).status, "valid");
  } finally {
    await c.close();
    await s.close();
  }
});

Deno.test("every subscriber to a channel receives the same frames", async () => {
  const s = serve();
  const a = new Subscriber(s.wsUrl);
  const b = new Subscriber(s.wsUrl);
  try {
    await Promise.all([a.opened(), b.opened()]);
    for (const c of [a, b]) {
      c.send({
        id: 1,
        cmd: "subscribe",
        params: { channels: ["ticker", "trade", "market_lifecycle_v2"] },
      });
    }
    await until(() => a.frames.length === 3 && b.frames.length === 3, "subscribed");
    s.sim.clock.advance(20 * 60_000);
    const sent = sentTo(s, 1).length;
    assert(sent > 50);
    await until(
      () => a.frames.length === sent && b.frames.length === sentTo(s, 2).length,
      "frames",
    );
    assertEquals(a.frames, b.frames);
    for (const f of a.json()) assertEquals(parseWsMessage(f).status, "valid");
  } finally {
    await a.close();
    await b.close();
    await s.close();
  }
});

Deno.test("a subscriber run with dropped sockets and malformed frames reconciles with the ground truth", async () => {
  const s = serve({
    faults: {
      dropSockets: { everyFrames: 150 },
      malformedMessages: { probability: 0.03 },
      unknownTypeMessages: { probability: 0.03 },
    },
  });
  const connections: Subscriber[] = [];
  try {
    let conn = 0;
    const connect = async () => {
      const c = new Subscriber(s.wsUrl);
      connections.push(c);
      conn++;
      await c.opened();
      c.send({
        id: 1,
        cmd: "subscribe",
        params: { channels: ["ticker", "trade", "market_lifecycle_v2"] },
      });
      await until(() => sentTo(s, conn).length >= 3 && c.frames.length >= 3, "subscribed");
      return c;
    };
    let c = await connect();
    for (let i = 0; i < 60; i++) {
      s.sim.clock.advance(30_000);
      await until(() => c.frames.length === sentTo(s, conn).length, "catch-up");
      if (s.sim.connections === 0) {
        await until(() => c.closed, "close seen");
        c = await connect();
      }
    }
    assert(conn >= 3, `expected several drops, got ${conn - 1}`);
    const ws = s.sim.groundTruth.records("ws") as WsRecord[];
    assert(ws.some((r) => r.fault === "malformed") && ws.some((r) => r.fault === "unknown_type"));
    // 1. Each connection received exactly the frames the ground truth says were sent to it, in order.
    connections.forEach((sub, i) => assertEquals(sub.frames, sentTo(s, i + 1)));
    // 2. Every data frame received is an emitted message, unchanged.
    const emitted = new Map(
      (s.sim.groundTruth.records("emit") as EmitRecord[]).map((e) => [e.n, e]),
    );
    const received = new Set<number>();
    for (const r of ws) {
      if (r.kind !== "ws_send" || r.n === undefined) continue;
      const frame = JSON.parse(r.frame!);
      assertEquals(frame.msg, emitted.get(r.n)!.msg);
      assertEquals(parseWsMessage(frame).status, "valid");
      received.add(r.n);
    }
    // 3. What was not received was emitted while no socket was subscribed (between a drop and the resubscribe).
    const windows: Array<[number, number]> = [];
    for (let i = 1; i <= conn; i++) {
      const ns = ws.filter((r) => r.conn === i && r.n !== undefined).map((r) => r.n!);
      if (ns.length) windows.push([ns[0], ns[ns.length - 1]]);
    }
    let missed = 0;
    for (const n of emitted.keys()) {
      const inside = windows.some(([lo, hi]) => n >= lo && n <= hi);
      if (inside) assert(received.has(n), `emission ${n} was lost inside a connected window`);
      else missed++;
    }
    assert(missed > 0 && received.size > 0);
    // 4. Per-subscription seq is gap-free within a connection.
    for (let i = 1; i <= conn; i++) {
      const seqs = new Map<number, number>();
      for (const r of ws.filter((r) => r.conn === i && r.seq !== undefined && r.n !== undefined)) {
        const prev = seqs.get(r.sid!) ?? 0;
        assertEquals(r.seq, prev + 1);
        seqs.set(r.sid!, r.seq!);
      }
    }
  } finally {
    for (const c of connections) await c.close();
    await s.close();
  }
});

Deno.test("with auth on, unsigned upgrades get 401 and RSA-PSS signed requests are accepted", async () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const s = serve({ auth: { publicKeyPem: pem, keyId: "key-1" } });
  const headers = (method: string, path: string) => {
    const ts = String(Date.now());
    const sig = sign("sha256", Buffer.from(ts + method + path), {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    }).toString("base64");
    return {
      "KALSHI-ACCESS-KEY": "key-1",
      "KALSHI-ACCESS-TIMESTAMP": ts,
      "KALSHI-ACCESS-SIGNATURE": sig,
    };
  };
  try {
    const unsigned = await fetch(s.wsUrl.replace("ws:", "http:"), {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
      },
    });
    assertEquals(unsigned.status, 401);
    assertEquals(await unsigned.json(), { code: "token_authentication_failure" });
    const c = new Subscriber(s.wsUrl, headers("GET", "/trade-api/ws/v2"));
    await c.opened();
    await c.close();
    const ok = await fetch(`${s.restUrl}/markets?limit=1`, {
      headers: headers("GET", "/trade-api/v2/markets"),
    });
    assertEquals(ok.status, 200);
    await ok.body?.cancel();
    const bad = await fetch(`${s.restUrl}/markets?limit=1`, {
      headers: headers("GET", "/trade-api/v2/events"),
    });
    assertEquals(bad.status, 401);
    await bad.body?.cancel();
    const publicRead = await fetch(`${s.restUrl}/exchange/status`);
    assertEquals(publicRead.status, 200);
    await publicRead.body?.cancel();
  } finally {
    await s.close();
  }
});
