import { assertEquals, assertOk, assertThrows } from "../testing/assert.ts";
import { WsStreamBuffer, type WsStreamItem } from "./ws_stream.ts";

const invalid = (n: number): WsStreamItem => ({
  kind: "invalid",
  receivedAtMs: n,
  rawText: String(n),
  error: "not JSON",
});

const times = (items: WsStreamItem[]) =>
  items.map((i) => (i.kind === "disconnect" ? i.startedAtMs : i.receivedAtMs));

Deno.test("a buffer yields its items in arrival order and ends once it is ended and read", async () => {
  const buffer = new WsStreamBuffer(10);
  for (const n of [1, 2, 3]) buffer.push(invalid(n));
  buffer.end();
  const read: WsStreamItem[] = [];
  for await (const item of buffer) read.push(item);
  assertEquals(times(read), [1, 2, 3]);
  assertEquals(buffer.size, 0);
});

Deno.test("a waiting consumer is woken by each push", async () => {
  const buffer = new WsStreamBuffer(10);
  const read: WsStreamItem[] = [];
  const consumer = (async () => {
    for await (const item of buffer) read.push(item);
  })();
  await Promise.resolve();
  buffer.push(invalid(1));
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(times(read), [1]);
  buffer.push(invalid(2));
  buffer.end();
  await consumer;
  assertEquals(times(read), [1, 2]);
});

Deno.test("a consumer that finds the buffer empty waits for the end: a last marker pushed before it still arrives", async () => {
  const buffer = new WsStreamBuffer(10);
  buffer.push(invalid(1));
  const read: WsStreamItem[] = [];
  const consumer = (async () => {
    for await (const item of buffer) read.push(item);
  })();
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(times(read), [1]);
  buffer.push({
    kind: "disconnect",
    startedAtMs: 5,
    endedAtMs: null,
    reason: "closed 1006",
    failedAttempts: 2,
  });
  buffer.end();
  await consumer;
  assertEquals(read.map((i) => i.kind), ["invalid", "disconnect"]);
});

Deno.test("a buffer is full at its limit and a lagging consumer has caught up at half of it", async () => {
  const buffer = new WsStreamBuffer(4);
  for (const n of [1, 2, 3]) buffer.push(invalid(n));
  assertEquals(buffer.full, false);
  buffer.push(invalid(4));
  assertEquals(buffer.full, true);
  let caughtUp = false;
  const waiting = buffer.caughtUp(new AbortController().signal).then(() => (caughtUp = true));
  const iterator = buffer[Symbol.asyncIterator]();
  await iterator.next();
  await Promise.resolve();
  assertEquals(caughtUp, false, "three left, resume below two");
  await iterator.next();
  await waiting;
  assertEquals(buffer.size, 2);
});

Deno.test("caughtUp resolves at once below half or when its signal aborts", async () => {
  const buffer = new WsStreamBuffer(4);
  buffer.push(invalid(1));
  await buffer.caughtUp(new AbortController().signal);
  for (const n of [2, 3, 4]) buffer.push(invalid(n));
  const stop = new AbortController();
  const waiting = buffer.caughtUp(stop.signal);
  stop.abort();
  await waiting;
  assertOk(buffer.full);
});

Deno.test("a buffer limit that is not a positive integer is refused", () => {
  for (const max of [0, -1, 1.5, NaN]) assertThrows(() => new WsStreamBuffer(max), RangeError);
});
