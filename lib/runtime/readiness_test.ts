import { assertEquals, assertOk } from "../testing/assert.ts";
import { createMetrics } from "./metrics.ts";
import { ageCheck, createReadiness, formatDuration } from "./readiness.ts";

Deno.test("readiness is ready with no checks, and not ready once any check fails", async () => {
  const metrics = createMetrics();
  const readiness = createReadiness({ metrics });
  assertEquals((await readiness.evaluate()).ready, true);
  let connected = true;
  readiness.add("connected", () => connected ? { ok: true } : { ok: false, reason: "socket down" });
  readiness.add("db", () => Promise.resolve({ ok: true }));
  assertEquals((await readiness.evaluate()).ready, true);
  connected = false;
  const report = await readiness.evaluate();
  assertEquals(report.ready, false);
  assertEquals(report.checks.map((c) => [c.name, c.ok]), [["connected", false], ["db", true]]);
  const text = await metrics.render();
  assertOk(text.includes("service_ready 0"), text);
  assertOk(text.includes('service_readiness_check{check="connected"} 0'), text);
  assertOk(text.includes('service_readiness_check{check="db"} 1'), text);
});

Deno.test("a check that throws or never answers fails with the reason instead of hanging", async () => {
  const readiness = createReadiness({ timeoutMs: 1 });
  readiness.add("throws", () => {
    throw new Error("connection refused");
  });
  readiness.add("hangs", () => new Promise(() => {}));
  const report = await readiness.evaluate();
  assertEquals(report.ready, false);
  assertEquals(report.checks[0].reason, "check failed: connection refused");
  assertOk(report.checks[1].reason?.includes("timed out"));
});

Deno.test("a stopping service is not ready", async () => {
  const readiness = createReadiness();
  readiness.stopping();
  const report = await readiness.evaluate();
  assertEquals(report.ready, false);
  assertEquals(report.checks.at(-1)?.name, "stopping");
});

Deno.test("an age check counts from the start until the first event, then from the event", () => {
  let now = 1_000_000;
  let last: number | undefined = undefined;
  const check = ageCheck("last pass", {
    now: () => now,
    lastMs: () => last,
    sinceMs: now,
    limitMs: 60_000,
  });
  assertEquals(check(), { ok: true, detail: { age_ms: 0, limit_ms: 60_000, last: null } });
  now += 61_000;
  const failed = check() as { ok: boolean; reason?: string };
  assertEquals(failed.ok, false);
  assertEquals(failed.reason, "last pass: none since start 1m01s ago (limit 1m00s)");
  last = now - 5_000;
  assertEquals((check() as { ok: boolean }).ok, true);
  now += 3_600_000;
  assertEquals((check() as { reason?: string }).reason, "last pass: 1h00m ago (limit 1m00s)");
});

Deno.test("durations read as people write them", () => {
  assertEquals(
    [0, 59_400, 61_000, 3_599_000, 3_600_000, 49 * 3_600_000].map(formatDuration),
    ["0s", "59s", "1m01s", "59m59s", "1h00m", "2d01h"],
  );
});
