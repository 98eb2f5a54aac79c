import fc from "fast-check";
import { assertEquals } from "../testing/assert.ts";
import type { ReplayMessage } from "./protocol.ts";
import { mergeByTime } from "./source.ts";

const message = (timeMs: number, channel: string): ReplayMessage => ({
  timeMs,
  channel,
  type: channel,
  marketTicker: null,
  msg: {},
});

async function* pages(channel: string, times: number[], size: number) {
  for (let i = 0; i < times.length; i += size) {
    yield times.slice(i, i + size).map((t) => message(t, channel));
  }
  yield []; // an empty page is skipped
}

Deno.test("merging time-ordered streams of any paging gives one time order, ties by stream rank", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 30 }), { maxLength: 4 }),
      fc.integer({ min: 1, max: 7 }),
      async (streams, size) => {
        const sorted = streams.map((s) => [...s].sort((a, b) => a - b));
        const out: [number, string][] = [];
        const merged = mergeByTime(sorted.map((times, i) => pages(`c${i}`, times, size)));
        for await (const batch of merged) {
          out.push(...batch.map((m): [number, string] => [m.timeMs, m.channel]));
        }
        const expected = sorted.flatMap((times, i) =>
          times.map((t): [number, string] => [t, `c${i}`])
        )
          .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
        assertEquals(out, expected);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("abandoning a merge closes every stream still open", async () => {
  const closed: string[] = [];
  async function* endless(name: string) {
    try {
      for (let t = 0;; t++) yield [message(t, name)];
    } finally {
      closed.push(name);
    }
  }
  for await (const batch of mergeByTime([endless("a"), endless("b")])) {
    if (batch[0].timeMs > 3) break;
  }
  assertEquals(closed.sort(), ["a", "b"]);
});
