import { assertEquals, assertOk } from "../testing/assert.ts";
import { fakeClock } from "./testing/fake_clock.ts";
import { CLIENT_CLOSED_REASON, LivenessWatch, WsReconnectPolicy } from "./ws_reconnect.ts";

Deno.test("backoff doubles its ceiling per failed attempt up to the maximum, jittered by the injected random", () => {
  const { clock } = fakeClock(1_000_000);
  const low = new WsReconnectPolicy({ clock, random: () => 0, baseMs: 100, maxMs: 1000 });
  const high = new WsReconnectPolicy({ clock, random: () => 0.999999, baseMs: 100, maxMs: 1000 });
  const delays = (policy: WsReconnectPolicy) =>
    Array.from({ length: 6 }, () => policy.attemptFailed("refused"));
  assertEquals(delays(low), [50, 100, 200, 400, 500, 500]);
  assertEquals(delays(high), [100, 200, 400, 800, 1000, 1000]);
  assertEquals(low.failedAttempts, 6);
});

Deno.test("the default backoff starts at 500 ms and stops at 30 s", () => {
  const { clock } = fakeClock(1_000_000);
  const policy = new WsReconnectPolicy({ clock, random: () => 0 });
  const delays = Array.from({ length: 12 }, () => policy.attemptFailed("x"));
  assertEquals([delays[0], delays[11]], [250, 15_000]);
});

Deno.test("an outage of failed first attempts is reported on connect with its first reason and attempt count", async () => {
  const { fake, clock } = fakeClock(1_000_000);
  const policy = new WsReconnectPolicy({ clock, random: () => 0 });
  assertEquals(policy.connected(), null, "the first connection ends no outage");
  policy.connectionLost("closed 1006", 1_000_500);
  policy.attemptFailed("tcp connect error");
  policy.attemptFailed("other error");
  await fake.tickAsync(2_000);
  assertEquals(policy.connected(), {
    kind: "disconnect",
    startedAtMs: 1_000_500,
    endedAtMs: 1_002_000,
    reason: "closed 1006",
    failedAttempts: 2,
  });
  assertEquals(policy.failedAttempts, 0);
  assertEquals(policy.connected(), null, "reported once");
});

Deno.test("a first connect that fails starts the outage at the failure", async () => {
  const { fake, clock } = fakeClock(1_000_000);
  const policy = new WsReconnectPolicy({ clock, random: () => 0 });
  policy.attemptFailed("tcp connect error");
  await fake.tickAsync(300);
  const marker = policy.connected();
  assertOk(marker !== null);
  assertEquals([marker.startedAtMs, marker.endedAtMs, marker.reason], [
    1_000_000,
    1_000_300,
    "tcp connect error",
  ]);
});

Deno.test("stopping mid-outage gives an open-ended marker; stopping a live connection gives none", () => {
  const { clock } = fakeClock(1_000_000);
  const policy = new WsReconnectPolicy({ clock });
  assertEquals(policy.stopped(), null, "never connected, never failed");
  policy.connectionLost("closed 1011 test drop", 5);
  policy.attemptFailed("tcp connect error");
  assertEquals(policy.stopped(), {
    kind: "disconnect",
    startedAtMs: 5,
    endedAtMs: null,
    reason: "closed 1011 test drop",
    failedAttempts: 1,
  });
  const live = new WsReconnectPolicy({ clock });
  live.connected();
  live.connectionLost(CLIENT_CLOSED_REASON, 9);
  assertEquals(live.stopped(), null);
});

Deno.test("refused handshakes are counted in a row until a connection opens", () => {
  const { clock } = fakeClock(1_000_000);
  const policy = new WsReconnectPolicy({ clock });
  policy.attemptFailed("Invalid status code: 401");
  assertEquals(policy.refused(401), {
    kind: "refused",
    status: 401,
    attempts: 1,
    receivedAtMs: 1_000_000,
  });
  policy.attemptFailed("tcp connect error");
  policy.attemptFailed("Invalid status code: 403");
  assertEquals(policy.refused(403).attempts, 2, "other failures do not reset the count");
  policy.connected();
  policy.attemptFailed("Invalid status code: 401");
  assertEquals(policy.refused(401).attempts, 1);
});

Deno.test("the liveness watch expires once the injected clock passed the timeout since the last frame", async () => {
  const { fake, clock } = fakeClock(1_000_000);
  const watch = new LivenessWatch(clock, 1000);
  let expired: boolean | null = null;
  const watching = watch.expired(new AbortController().signal).then((e) => (expired = e));
  await fake.tickAsync(600);
  watch.frame();
  await fake.tickAsync(999);
  assertEquals(expired, null, "a frame 999 ms ago is recent enough");
  await fake.tickAsync(1);
  await watching;
  assertEquals(expired, true);
});

Deno.test("the liveness watch ends with false when its connection ended first", async () => {
  const { fake, clock } = fakeClock(1_000_000);
  const watch = new LivenessWatch(clock, 1000);
  const done = new AbortController();
  const watching = watch.expired(done.signal);
  await fake.tickAsync(500);
  done.abort();
  assertEquals(await watching, false);
  assertEquals(fake.countTimers(), 0);
});
