import { generateKeyPairSync } from "node:crypto";
import { OrderBook } from "../../orderbook/mod.ts";
import { assertEquals, assertOk } from "../../testing/assert.ts";
import { until } from "../../testing/wait.ts";
import { authHeaders, type KalshiCredentials } from "../auth.ts";
import {
  type OrderbookDeltaMsg,
  type OrderbookSnapshotMsg,
  parseWsMessage,
  type WsMessage,
} from "../schemas.ts";
import { createWsClient } from "../ws.ts";
import type { WsRecord } from "./ground_truth.ts";
import type { ServedSimulator } from "./simulator.ts";
import { pausedSimulator } from "./testing/paused.ts";
import { Subscriber } from "./testing/subscriber.ts";
import { marketStatus } from "./world.ts";

const START = Date.UTC(2026, 10, 25, 12, 0, 0);

interface Setup {
  served: ServedSimulator;
  credentials: KalshiCredentials;
  tickers: string[];
}

function setup(markets = 6): Setup {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const served = pausedSimulator({
    seed: 5,
    markets: 150,
    startMs: START,
    auth: { publicKeyPem: pem, keyId: "key-1" },
  });
  const w = served.sim.world;
  const tickers = Array.from({ length: w.marketCount }, (_, m) => m)
    .filter((m) => marketStatus(w, m, START) === "active" && w.marketStepMs[m] <= 15_000)
    .slice(0, markets)
    .map((m) => w.marketTickers[m]);
  assertEquals(tickers.length, markets);
  return { served, credentials: { keyId: "key-1", privateKey }, tickers };
}

async function connect({ served, credentials }: Setup): Promise<Subscriber> {
  const headers = authHeaders(credentials, {
    method: "GET",
    url: served.wsUrl,
    timestampMs: Date.now(),
  });
  const c = new Subscriber(served.wsUrl, headers);
  await c.opened();
  return c;
}

/** Waits until the subscriber holds every frame the simulator sent on connection `conn`. */
async function synced(s: ServedSimulator, c: Subscriber, conn = 1): Promise<void> {
  const sent = () =>
    (s.sim.groundTruth.records("ws") as WsRecord[])
      .filter((r) => r.conn === conn && r.kind === "ws_send").length;
  await until(() => c.frames.length === sent() && c.frames.length > 0, "every frame sent");
}

/** Stores the snapshot's book under its market (replacing any book there). */
function applySnapshot(books: Map<string, OrderBook>, m: OrderbookSnapshotMsg): void {
  const book = new OrderBook();
  book.applySnapshot(m.levels.yes, m.levels.no);
  books.set(m.marketTicker, book);
}

/** Applies the delta to its market's book; a delta that would leave a negative level fails. */
function applyDelta(books: Map<string, OrderBook>, m: OrderbookDeltaMsg): OrderBook {
  const book = books.get(m.marketTicker)!;
  assertEquals(
    book.applyDelta(m.side, m.price, m.delta),
    null,
    `negative: ${JSON.stringify(m.raw)}`,
  );
  return book;
}

/** A client-side replica: books built from snapshots and deltas by hand, seq checked per sid. */
class Replica {
  books = new Map<string, OrderBook>();
  lastSeq = new Map<number, number>();
  gaps = 0;
  deltas = 0;
  tickers = 0;
  #read = 0;
  messages: WsMessage[] = [];

  /** Applies the frames received since the last call. */
  consume(c: Subscriber): void {
    for (; this.#read < c.frames.length; this.#read++) this.apply(c.frames[this.#read]);
  }

  /** Applies one frame. */
  apply(frame: string): void {
    const parsed = parseWsMessage(JSON.parse(frame));
    assertOk(parsed.status === "valid", `frame ${frame}`);
    const m = parsed.message;
    this.messages.push(m);
    if (m.sid !== null && m.seq !== null) {
      const last = this.lastSeq.get(m.sid);
      if (last !== undefined && m.seq !== last + 1) this.gaps += m.seq - last - 1;
      this.lastSeq.set(m.sid, m.seq);
    }
    if (m.type === "orderbook_snapshot") applySnapshot(this.books, m);
    if (m.type === "orderbook_delta") {
      this.deltas++;
      const book = applyDelta(this.books, m);
      assertOk(!book.crossed(), `crossed after ${JSON.stringify(m.raw)}`);
    }
    if (m.type === "ticker" && this.books.has(m.marketTicker)) {
      this.tickers++;
      const book = this.books.get(m.marketTicker)!;
      const [bid, ask] = [book.bestBid("yes"), book.bestAsk("yes")];
      assertEquals(
        [bid?.price ?? null, ask?.price ?? null, bid?.size ?? 0, ask?.size ?? 0],
        [m.yesBid, m.yesAsk, m.yesBidSize, m.yesAskSize],
        `ticker ${JSON.stringify(m.raw)} against the replica's book`,
      );
    }
  }
}

function assertBooksTrue(
  s: ServedSimulator,
  books: Map<string, OrderBook>,
  tickers: string[],
): void {
  const now = s.sim.clock.now();
  for (const t of tickers) {
    assertEquals(books.get(t)?.toLevels(), s.sim.bookAt(t, now), `${t} at ${now}`);
  }
}

Deno.test("snapshot plus deltas applied by hand equal the ground-truth book at every instant checked", async () => {
  const env = setup();
  const { served, tickers } = env;
  const c = await connect(env);
  try {
    c.send({
      id: 1,
      cmd: "subscribe",
      params: { channels: ["orderbook_delta", "ticker"], market_tickers: tickers },
    });
    await synced(served, c);
    const r = new Replica();
    r.consume(c);
    assertEquals(r.books.size, tickers.length);
    assertBooksTrue(served, r.books, tickers);
    for (let i = 0; i < 40; i++) {
      served.sim.clock.advance(7_919);
      await synced(served, c);
      r.consume(c);
      assertBooksTrue(served, r.books, tickers);
    }
    assertEquals(r.gaps, 0);
    assertOk(r.deltas > 300, `only ${r.deltas} deltas`);
    assertOk(r.tickers > 50, `only ${r.tickers} tickers checked`);
    const sids = new Set(r.messages.filter((m) => m.type === "orderbook_delta").map((m) => m.sid));
    assertEquals([...sids], [1], "every market shares the subscription's sid and seq");
  } finally {
    await c.close();
    await served.close();
  }
});

Deno.test("get_snapshot answers with current books and add_markets snapshots only the new market", async () => {
  const env = setup(3);
  const { served, tickers } = env;
  const [a, b, extra] = tickers;
  const c = await connect(env);
  try {
    c.send({
      id: 1,
      cmd: "subscribe",
      params: { channels: ["orderbook_delta"], market_ticker: a },
    });
    c.send({ id: 2, cmd: "subscribe", params: { channels: ["ticker"], market_tickers: [a] } });
    await synced(served, c);
    served.sim.clock.advance(60_000);
    await synced(served, c);
    const r = new Replica();
    r.consume(c);
    const before = c.frames.length;
    c.send({
      id: 3,
      cmd: "update_subscription",
      params: { sid: 1, market_tickers: [b], action: "add_markets" },
    });
    c.send({
      id: 4,
      cmd: "update_subscription",
      params: { sids: [1], market_tickers: [a, extra], action: "get_snapshot" },
    });
    c.send({
      id: 5,
      cmd: "update_subscription",
      params: { sids: [2], market_tickers: [a], action: "get_snapshot" },
    });
    c.send({ id: 6, cmd: "subscribe", params: { channels: ["orderbook_delta"] } });
    await until(() => c.frames.length >= before + 6, "the replies");
    r.consume(c);
    const replies = r.messages.slice(-6).map((m) =>
      m.type === "orderbook_snapshot" ? `snapshot ${m.marketTicker}` : `${m.type} ${m.id}`
    );
    assertEquals(replies, [
      "ok 3",
      `snapshot ${b}`,
      `snapshot ${a}`,
      `snapshot ${extra}`,
      "error 5",
      "error 6",
    ]);
    assertEquals(r.gaps, 0);
    assertBooksTrue(served, r.books, [a, b, extra]);
    served.sim.clock.advance(60_000);
    await synced(served, c);
    r.consume(c);
    const deltaMarkets = new Set(
      r.messages.slice(-200).filter((m) => m.type === "orderbook_delta").map((m) =>
        m.type === "orderbook_delta" ? m.marketTicker : ""
      ),
    );
    assertOk(!deltaMarkets.has(extra), "get_snapshot does not add the market");
    assertBooksTrue(served, r.books, [a, b]);
  } finally {
    await c.close();
    await served.close();
  }
});

/** Messages missing from each sid's seq sequence, over frames `from` on. */
function seqGaps(frames: string[], from = 0): number {
  const last = new Map<number, number>();
  let gaps = 0;
  for (const f of frames.slice(from)) {
    const { sid, seq } = JSON.parse(f);
    if (typeof seq !== "number") continue;
    const prev = last.get(sid);
    if (prev !== undefined) gaps += seq - prev - 1;
    last.set(sid, seq);
  }
  return gaps;
}

Deno.test("the drop fault leaves seq gaps; get_snapshot resyncs the books", async () => {
  const env = setup(4);
  const { served, tickers } = env;
  const c = await connect(env);
  try {
    c.send({
      id: 1,
      cmd: "subscribe",
      params: { channels: ["orderbook_delta"], market_tickers: tickers },
    });
    await synced(served, c);
    const set = await fetch(`${served.url}/_sim/faults`, {
      method: "POST",
      body: JSON.stringify({ dropOrderbookDeltas: { next: 3 } }),
    });
    assertEquals(set.status, 200);
    await set.body?.cancel();
    served.sim.clock.advance(30_000);
    await synced(served, c);
    const dropped = () =>
      (served.sim.groundTruth.records("ws") as WsRecord[])
        .filter((f) => f.kind === "ws_fault" && f.fault === "drop_delta").length;
    assertEquals([seqGaps(c.frames), dropped()], [3, 3]);
    served.sim.setFaults({ dropOrderbookDeltas: { probability: 0.3 } });
    served.sim.clock.advance(30_000);
    served.sim.setFaults({});
    await synced(served, c);
    assertOk(dropped() > 3, "the probability drops some more");
    const before = c.frames.length;
    c.send({
      id: 2,
      cmd: "update_subscription",
      params: { sid: 1, market_tickers: tickers, action: "get_snapshot" },
    });
    await until(() => c.frames.length === before + tickers.length, "the snapshots");
    served.sim.clock.advance(30_000);
    await synced(served, c);
    const r = new Replica();
    for (const f of c.frames.slice(before)) r.apply(f);
    assertEquals(r.books.size, tickers.length);
    assertEquals([r.gaps, seqGaps(c.frames, before)], [0, 0]);
    assertEquals(seqGaps(c.frames), dropped(), "every dropped delta is a gap, nothing else");
    assertBooksTrue(served, r.books, tickers);
  } finally {
    await c.close();
    await served.close();
  }
});

Deno.test("the typed client subscribes in chunks and reads snapshots and deltas that track the truth", async () => {
  const env = setup(5);
  const { served, tickers, credentials } = env;
  const client = createWsClient({
    url: served.wsUrl,
    credentials,
    maxTickersPerCommand: 2,
    livenessTimeoutMs: 0,
  });
  const books = new Map<string, OrderBook>();
  let deltas = 0;
  const reading = (async () => {
    for await (const item of client) {
      assertOk(item.kind !== "invalid" && item.kind !== "gap", JSON.stringify(item));
      if (item.kind !== "message") continue;
      const m = item.message;
      if (m.type === "orderbook_snapshot") applySnapshot(books, m);
      if (m.type === "orderbook_delta") {
        deltas++;
        applyDelta(books, m);
      }
    }
  })();
  try {
    await client.subscribe("orderbook_delta", { marketTickers: tickers });
    await until(() => books.size === tickers.length, "a snapshot per market");
    served.sim.clock.advance(60_000);
    const sent = (served.sim.groundTruth.records("ws") as WsRecord[])
      .filter((r) => r.kind === "ws_send" && r.frame?.startsWith('{"type":"orderbook_delta"'))
      .length;
    await until(() => deltas === sent, "every delta");
    assertOk(deltas > 20, `only ${deltas} deltas`);
    assertBooksTrue(served, books, tickers);
  } finally {
    await client.close();
    await reading;
    await served.close();
  }
});
