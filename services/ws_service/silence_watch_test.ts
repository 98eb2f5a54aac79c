import { assertEquals } from "../../lib/testing/assert.ts";
import { SilenceWatch } from "./silence_watch.ts";

Deno.test("the silence watch reports a silent ticker channel once, only while connected and watching", () => {
  let now = 0;
  let connected = true;
  let watched = 5;
  const reports: number[] = [];
  const watch = new SilenceWatch({
    staleMs: 120_000,
    connected: () => connected,
    watched: () => watched,
    onStale: (ms) => reports.push(ms),
    now: () => now,
  });
  try {
    watch.check();
    assertEquals(reports, [], "nothing seen yet: nothing to judge");
    watch.seen("ticker");
    now = 120_000;
    watch.check();
    assertEquals(reports, [], "at the limit");
    now = 121_000;
    connected = false;
    watch.check();
    assertEquals(reports, [], "a closed socket is the reconnect logic's business");
    connected = true;
    watched = 0;
    watch.check();
    assertEquals(reports, [], "no market watched: silence is expected");
    watched = 5;
    watch.check();
    watch.check();
    assertEquals(reports, [121_000], "reported once");
    watch.seen("trade");
    now = 500_000;
    watch.check();
    assertEquals(reports, [121_000], "other channels do not count");
  } finally {
    watch.close();
  }
});
