import { assertEquals, assertOk } from "../testing/assert.ts";
import { WsSequences } from "./ws_sequences.ts";

const frame = (sid: number | null, seq: number | null, type = "trade") => ({ type, sid, seq });

Deno.test("consecutive sequence numbers on a sid are no gap", () => {
  const sequences = new WsSequences();
  for (const seq of [1, 2, 3]) assertEquals(sequences.observe(frame(7, seq), seq), null);
});

Deno.test("a jump is a gap from the expected to the received number, with the sid's channel", () => {
  const sequences = new WsSequences();
  sequences.bind(7, "trade");
  sequences.observe(frame(7, 1), 10);
  sequences.observe(frame(7, 2), 11);
  const gap = sequences.observe(frame(7, 5), 12);
  assertEquals(gap, {
    kind: "gap",
    receivedAtMs: 12,
    sid: 7,
    channel: "trade",
    expectedSeq: 3,
    receivedSeq: 5,
  });
  assertEquals(sequences.observe(frame(7, 6), 13), null, "counting goes on from the jump");
});

Deno.test("a gap on a sid the client never saw confirmed names no channel", () => {
  const sequences = new WsSequences();
  sequences.observe(frame(9, 1), 1);
  const gap = sequences.observe(frame(9, 3), 2);
  assertOk(gap !== null && gap.channel === null);
});

Deno.test("sids are numbered apart, control replies count and error replies do not", () => {
  const sequences = new WsSequences();
  sequences.observe(frame(1, 1), 1);
  sequences.observe(frame(2, 1), 1);
  assertEquals(sequences.observe(frame(1, 2, "ok"), 2), null);
  assertEquals(sequences.observe(frame(2, 9, "error"), 2), null);
  assertEquals(sequences.observe(frame(2, 2), 3), null);
  assertEquals(sequences.observe(frame(1, 3), 3), null);
});

Deno.test("frames without sid or seq are not tracked", () => {
  const sequences = new WsSequences();
  assertEquals(sequences.observe(frame(null, 5), 1), null);
  assertEquals(sequences.observe(frame(1, null, "ticker"), 1), null);
  assertEquals(sequences.observe(frame(1, 8), 1), null, "first number seen on the sid");
});

Deno.test("a re-subscribed sid starts its numbering afresh", () => {
  const sequences = new WsSequences();
  sequences.bind(4, "ticker");
  sequences.observe(frame(4, 30), 1);
  sequences.bind(4, "trade");
  assertEquals(sequences.observe(frame(4, 1), 2), null);
  assertEquals(sequences.channelOf(4), "trade");
});

Deno.test("a new connection forgets every sid and its channel", () => {
  const sequences = new WsSequences();
  sequences.bind(1, "ticker");
  sequences.observe(frame(1, 5), 1);
  sequences.reset();
  assertEquals(sequences.channelOf(1), undefined);
  assertEquals(sequences.observe(frame(1, 1), 2), null);
});
